"""ORM tables of the workspace.

Column names follow the field names of the domain records in
``deterrence_desktop.domain.model`` so that :mod:`.mapping` can move values
between a row and a record without a hand-written converter per table.
Enumerations are stored as their string values; the domain validates them.

Every table whose rows the services change in place has a ``version`` column, the
mapper's ``version_id_col``: an insert sets it to 1, every ORM update raises it by one
and carries ``WHERE version = <the version read>``, so that of two transactions that
read the same version only the first to write wins (the other's flush raises
StaleDataError, which the services turn into an EditConflict).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
    Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> datetime:
    from ..domain import clock
    return clock.utcnow()


class WorkspaceMeta(Base):
    """Key/value facts about the workspace itself (its id, the audit chain head)."""
    __tablename__ = "workspace_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PartnershipRow(Base):
    __tablename__ = "partnership"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(200))
    strategy: Mapped[str] = mapped_column(String(32))
    retention_months: Mapped[int] = mapped_column(Integer, default=12)
    protective_marking: Mapped[str] = mapped_column(String(64), default="OFFICIAL-SENSITIVE")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class PartnerRow(Base):
    __tablename__ = "partner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    lead_contact: Mapped[str] = mapped_column(String(200), default="")
    contact_details: Mapped[str] = mapped_column(Text, default="")
    isa_reference: Mapped[str] = mapped_column(String(200), default="")
    isa_start: Mapped[date | None] = mapped_column(Date)
    isa_end: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class UserRow(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class PersonRow(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str] = mapped_column(String(200), default="")
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str] = mapped_column(String(16), default="")
    legal_status: Mapped[str] = mapped_column(String(32), default="none")
    legal_status_end: Mapped[date | None] = mapped_column(Date)
    custody_release: Mapped[date | None] = mapped_column(Date)
    supervising_partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="SET NULL"))
    risk_level: Mapped[str] = mapped_column(String(16), default="medium")
    needs: Mapped[list] = mapped_column(JSON, default=list)
    review_date: Mapped[date | None] = mapped_column(Date, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_now, onupdate=_now)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class InfluencerRow(Base):
    __tablename__ = "influencer"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    relationship: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class GroupRow(Base):
    __tablename__ = "group_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    area: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class MembershipRow(Base):
    __tablename__ = "membership"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group_record.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(200), default="member")
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class GroupRelationRow(Base):
    __tablename__ = "group_relation"
    __table_args__ = (UniqueConstraint("group_id", "other_group_id", name="uq_group_relation_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group_record.id", ondelete="CASCADE"))
    other_group_id: Mapped[int] = mapped_column(ForeignKey("group_record.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    since: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")


class CohortRow(Base):
    __tablename__ = "cohort"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class CohortMemberRow(Base):
    __tablename__ = "cohort_member"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id", name="uq_cohort_member_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    added_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)       # left the cohort (evaluation stops)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class InterventionRow(Base):
    __tablename__ = "intervention"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    partner_type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(Text, default="")


class MeetingRow(Base):
    __tablename__ = "meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[list] = mapped_column(JSON, default=list)
    agenda: Mapped[list] = mapped_column(JSON, default=list)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")


class CallInRow(Base):
    __tablename__ = "call_in"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    venue: Mapped[str] = mapped_column(String(200), default="")
    venue_notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="planned")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class InvitationRow(Base):
    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("call_in_id", "person_id", name="uq_invitation_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    call_in_id: Mapped[int] = mapped_column(ForeignKey("call_in.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_by: Mapped[str] = mapped_column(String(200), default="")
    attendance: Mapped[str] = mapped_column(String(16), default="invited")
    asked_for_help: Mapped[bool] = mapped_column(Boolean, default=False)


class ActionRow(Base):
    __tablename__ = "action"
    __table_args__ = (
        Index("ix_action_partner_status", "partner_id", "status"),
        Index("ix_action_status_due", "status", "due_date"),
        Index("ix_action_person_status", "person_id", "status"),   # open actions per person
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_record.id", ondelete="CASCADE"), index=True)
    assignee: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    outcome: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    intervention_id: Mapped[int | None] = mapped_column(
        ForeignKey("intervention.id", ondelete="SET NULL"))
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True)
    call_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_in.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_now, onupdate=_now)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class CommunicationRow(Base):
    __tablename__ = "communication"
    __table_args__ = (Index("ix_communication_person_time", "person_id", "occurred_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(32))
    delivered_by: Mapped[str] = mapped_column(String(200), default="")
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    influencer_id: Mapped[int | None] = mapped_column(
        ForeignKey("influencer.id", ondelete="SET NULL"))
    deterrence_message: Mapped[bool] = mapped_column(Boolean, default=True)
    support_offer: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(16), default="delivered")
    call_in_id: Mapped[int | None] = mapped_column(ForeignKey("call_in.id", ondelete="SET NULL"))
    document_sha256: Mapped[str] = mapped_column(String(64), default="")
    template: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class AuditEntryRow(Base):
    """Append-only, hash-chained log of processing (DPA 2018 s.62).

    ``detail`` holds field names, counts and references, never the personal
    data itself, so an erased person's content does not survive here.
    """
    __tablename__ = "audit_entry"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))          # ISO 8601, UTC
    username: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(16), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_ref: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str] = mapped_column(String(200), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SettingRow(Base):
    """Workspace settings (idle lock, retention rule, backup policy...): typed in the services.
    Settings that say anything about people live here, inside the encryption, never in QSettings."""
    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class AssetRow(Base):
    """Binary assets kept in the workspace: letterhead logos, scanned signatures."""
    __tablename__ = "asset"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))            # logo, signature
    name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class SignatoryRow(Base):
    """Someone who signs letters on behalf of a partner."""
    __tablename__ = "signatory"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    signature_asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class LetterTemplateRow(Base):
    """A workspace's own, versioned copy of a letter template. A new version is a new row."""
    __tablename__ = "letter_template"
    __table_args__ = (UniqueConstraint("name", "language", "version", name="uq_letter_template_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))            # e.g. call_in_invitation
    letter_type: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="en")    # en, cy
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LetterBatchRow(Base):
    """One printed batch of letters: what went to the printer, provable by its digest."""
    __tablename__ = "letter_batch"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)       # B-2026-000001
    template: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    letter_references: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class LetterIssueRow(Base):
    """What one issued letter said, so it can be reprinted word for word.

    It hangs off the letter's communication and its person (ON DELETE CASCADE),
    so erasing the person erases the letter's content with them.
    """
    __tablename__ = "letter_issue"
    reference: Mapped[str] = mapped_column(String(32), primary_key=True)  # L-2026-000001
    batch_id: Mapped[str] = mapped_column(ForeignKey("letter_batch.id", ondelete="CASCADE"), index=True)
    communication_id: Mapped[int] = mapped_column(
        ForeignKey("communication.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    file_sha256: Mapped[str] = mapped_column(String(64), default="")
    snapshot: Mapped[dict] = mapped_column(JSON)


class CustomNotificationRow(Base):
    """A one-to-one notification: the individual legal-risk summary and the offer of help."""
    __tablename__ = "custom_notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    legal_risk_summary: Mapped[str] = mapped_column(Text, default="")
    lever_ids: Mapped[list] = mapped_column(JSON, default=list)
    offer_ids: Mapped[list] = mapped_column(JSON, default=list)
    support_offer: Mapped[str] = mapped_column(Text, default="")
    delivered_by: Mapped[str] = mapped_column(String(200), default="")
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    influencer_id: Mapped[int | None] = mapped_column(ForeignKey("influencer.id", ondelete="SET NULL"))
    place: Mapped[str] = mapped_column(String(200), default="")
    planned_for: Mapped[date | None] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="")     # delivered, refused, not_found
    action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id", ondelete="SET NULL"))
    communication_id: Mapped[int | None] = mapped_column(
        ForeignKey("communication.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class MeetingItemRow(Base):
    """One agenda item of a meeting (a person or a group) and what the chair recorded."""
    __tablename__ = "meeting_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group_record.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(Text, default="")
    discussed: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class RetentionReviewRow(Base):
    """A keep-or-erase decision. Holds the reference only, so it outlives an erasure."""
    __tablename__ = "retention_review"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_reference: Mapped[str] = mapped_column(String(16), index=True)
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    reviewer: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))        # keep, erase
    reason: Mapped[str] = mapped_column(Text)
    next_review: Mapped[date | None] = mapped_column(Date)


# Counted by `info`, in this order.
COUNTED_TABLES = [
    PartnerRow, UserRow, PersonRow, InfluencerRow, GroupRow, MembershipRow, GroupRelationRow,
    CohortRow, CohortMemberRow, InterventionRow, ActionRow, CommunicationRow, CallInRow,
    InvitationRow, MeetingRow, MeetingItemRow, CustomNotificationRow, LetterTemplateRow,
    LetterBatchRow, LetterIssueRow, SignatoryRow, AssetRow, RetentionReviewRow, SettingRow, AuditEntryRow,
]

# Tables of the features that keep their own module (they register on Base.metadata).
from . import tables_network  # noqa: E402,F401  incidents, links, group audits
from .tables_outcomes import OutcomeEventRow  # noqa: E402  outcome events
from . import tables_custody  # noqa: E402,F401  custody episodes and continuity plans
COUNTED_TABLES.insert(COUNTED_TABLES.index(RetentionReviewRow), OutcomeEventRow)
