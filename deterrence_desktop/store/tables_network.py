"""ORM tables of the group audit and the network (issue 14): incidents, the people and
groups involved, links between people, and group-audit sessions.

Column names follow the fields of the records in ``domain/network.py``.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base


class IncidentRow(Base):
    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class IncidentPersonRow(Base):
    __tablename__ = "incident_person"
    __table_args__ = (UniqueConstraint("incident_id", "person_id", name="uq_incident_person_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))


class IncidentGroupRow(Base):
    __tablename__ = "incident_group"
    __table_args__ = (UniqueConstraint("incident_id", "group_id", name="uq_incident_group_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("group_record.id", ondelete="CASCADE"),
                                          index=True)


class PersonLinkRow(Base):
    __tablename__ = "person_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    other_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                                 index=True)
    kind: Mapped[str] = mapped_column(String(16))
    source_partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="SET NULL"))
    reported_on: Mapped[date] = mapped_column(Date)
    confidence: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class GroupAuditSessionRow(Base):
    __tablename__ = "group_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    participants: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
