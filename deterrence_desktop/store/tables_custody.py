"""ORM tables of custody episodes, release-date changes, local closures and continuity plans.

Column names follow the fields of the records in ``deterrence_desktop.domain.custody``.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base


class CustodyEpisodeRow(Base):
    __tablename__ = "custody_episode"
    __table_args__ = (
        Index("ix_custody_episode_person_started", "person_id", "started_on"),
        Index("ix_custody_episode_release", "actual_release", "expected_release"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    establishment_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="SET NULL"))
    prison_number: Mapped[str] = mapped_column(String(20), default="")
    started_on: Mapped[date] = mapped_column(Date)
    expected_release: Mapped[date | None] = mapped_column(Date)
    actual_release: Mapped[date | None] = mapped_column(Date)
    sentence_band: Mapped[str] = mapped_column(String(32), default="not_known")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class ReleaseDateChangeRow(Base):
    __tablename__ = "release_date_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("custody_episode.id", ondelete="CASCADE"), index=True)
    expected_release: Mapped[date | None] = mapped_column(Date)
    learned_on: Mapped[date] = mapped_column(Date)
    previous: Mapped[date | None] = mapped_column(Date)


class LocalClosureRow(Base):
    __tablename__ = "local_closure"
    id: Mapped[int] = mapped_column(primary_key=True)
    on: Mapped[date] = mapped_column(Date, unique=True)
    description: Mapped[str] = mapped_column(String(200))


class ContinuityTemplateRow(Base):
    __tablename__ = "continuity_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class TemplateStepRow(Base):
    __tablename__ = "template_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("continuity_template.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    partner_type: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="support")
    offset_days: Mapped[int] = mapped_column(Integer, default=0)
    shift: Mapped[str] = mapped_column(String(8), default="earlier")
    description: Mapped[str] = mapped_column(Text, default="")
    intervention_id: Mapped[int | None] = mapped_column(
        ForeignKey("intervention.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class ContinuityPlanRow(Base):
    __tablename__ = "continuity_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("custody_episode.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("continuity_template.id", ondelete="SET NULL"))
    applied_on: Mapped[date] = mapped_column(Date)


class PlanActionRow(Base):
    """An action of a continuity plan; the step's offset and shift are kept with it, so the
    plan follows a moved release date even after the template is edited."""
    __tablename__ = "plan_action"
    __table_args__ = (UniqueConstraint("action_id", name="uq_plan_action_action_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("continuity_plan.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("template_step.id", ondelete="SET NULL"))
    offset_days: Mapped[int] = mapped_column(Integer, default=0)
    shift: Mapped[str] = mapped_column(String(8), default="earlier")


CUSTODY_TABLES = [CustodyEpisodeRow, ReleaseDateChangeRow, LocalClosureRow, ContinuityTemplateRow,
                  TemplateStepRow, ContinuityPlanRow, PlanActionRow]
