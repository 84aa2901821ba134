"""ORM table of outcome events (issue 15). Columns follow
:class:`deterrence_desktop.domain.outcomes.OutcomeEvent` field by field."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .tables import ActionRow, Base, CommunicationRow, _now


class OutcomeEventRow(Base):
    """One outcome for one person. It hangs off the person (ON DELETE CASCADE), so erasing
    the person erases their outcomes; aggregate reports already written keep only counts."""
    __tablename__ = "outcome_event"
    __table_args__ = (
        # Covers what an evaluation reads, so reading 200,000 events never touches the rows.
        Index("ix_outcome_event_person_kind_time", "person_id", "kind", "occurred_on"),
        Index("ix_outcome_event_kind_time", "kind", "occurred_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    source_reference: Mapped[str] = mapped_column(String(200), default="")
    cps_decision: Mapped[str | None] = mapped_column(String(32))
    arrested_on: Mapped[date | None] = mapped_column(Date)
    disposal: Mapped[str] = mapped_column(String(200), default="")
    # The incident another feature records; the key to its table is added when both meet.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"))
    death_cause: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


# What an evaluation reads of other features' tables, covered by an index each so that it
# never reads their rows (descriptions, messages): delivery per partner, and engagement.
Index("ix_action_evaluation", ActionRow.person_id, ActionRow.partner_id, ActionRow.status,
      ActionRow.due_date, ActionRow.updated_at, ActionRow.kind)
Index("ix_communication_evaluation", CommunicationRow.person_id, CommunicationRow.outcome,
      CommunicationRow.occurred_at, CommunicationRow.deterrence_message,
      CommunicationRow.support_offer, CommunicationRow.channel)
