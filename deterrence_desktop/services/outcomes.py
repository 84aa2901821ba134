"""Outcome events: recorded one by one, many at once, or from a partner's tracker return."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.evaluation import MonthTimeliness, charge_delays, timeliness_by_month
from ..domain.outcomes import OutcomeEvent, OutcomeKind, outcome_label
from ..store.mapping import to_record
from ..store.server_roles import row_hidden
from ..store.tables import PartnerRow, PersonRow
from ..store.tables_outcomes import OutcomeEventRow
from .base import Service, UnitOfWork
from .people import keep_id


@dataclass(frozen=True)
class OutcomeView:
    """One outcome as a list shows it: the event, whom it is about, who reported it."""
    event: OutcomeEvent
    person_reference: str
    partner_name: str

    @property
    def id(self) -> int:
        return self.event.id  # type: ignore[return-value]

    @property
    def kind_label(self) -> str:
        return outcome_label(self.event.kind)

    @property
    def detail(self) -> str:
        """What a list shows beside the kind: the CPS decision and days to charge, the
        disposal, or the cause of death."""
        e = self.event
        if e.kind == OutcomeKind.CHARGE:
            days = e.days_to_charge
            text = outcome_label(e.cps_decision)
            return f"{text}, {days} days from arrest" if days is not None else text
        if e.kind == OutcomeKind.DEATH:
            return outcome_label(e.death_cause)
        return e.disposal


def outcome_views(session: Session, where, order_newest_first: bool = True) -> list[OutcomeView]:
    q = (select(OutcomeEventRow, PersonRow.reference, PartnerRow.name)
         .join(PersonRow, PersonRow.id == OutcomeEventRow.person_id)
         .outerjoin(PartnerRow, PartnerRow.id == OutcomeEventRow.partner_id)
         .where(where))
    if order_newest_first:
        q = q.order_by(OutcomeEventRow.occurred_on.desc(), OutcomeEventRow.id.desc())
    return [OutcomeView(to_record(row, OutcomeEvent), ref, pname or "")
            for row, ref, pname in session.execute(q)]


class OutcomeService(Service):
    WRITERS = (Role.COORDINATOR, Role.PARTNER_OFFICER)

    # -- writing -----------------------------------------------------------------
    def record(self, event: OutcomeEvent) -> int:
        """Record one outcome; returns its id."""
        return self.record_many([event], collection=False)[0]

    def record_many(self, events: list[OutcomeEvent], collection: bool = True,
                    source: str = "quick entry") -> list[int]:
        """Record several outcomes in one transaction: all or none. Audited one entry per
        event, or (``collection``) one collection entry naming the count and the people,
        as the tracker import does. A bad event is refused with its row number."""
        self.require(*self.WRITERS, operation=AuditOperation.COLLECTION, entity="outcome")
        if not events:
            return []
        today = self.today()
        for n, event in enumerate(events, 1):
            try:
                event.validate(today)
            except ValidationError as exc:
                if len(events) == 1:
                    raise
                raise ValidationError({f"row {n} {k}": v for k, v in exc.errors.items()}) from None
        with self.tx() as uow:
            references = self._check(uow, events)
            ids = []
            for event in events:
                row = uow.add(OutcomeEventRow, event)
                ids.append(row.id)
                if not collection:
                    uow.audit(AuditOperation.COLLECTION, "outcome", row.id,
                              f"{row.kind} for person {references[event.person_id]}")
            if collection:
                people = sorted(set(references.values()))
                uow.audit(AuditOperation.COLLECTION, "outcome", "",
                          f"{source}: count={len(ids)} people={','.join(people)}"[:2000])
            return ids

    def update(self, outcome_id: int, event: OutcomeEvent) -> OutcomeEvent:
        self.require(*self.WRITERS, entity="outcome", ref=outcome_id)
        event.validate(self.today())
        with self.tx() as uow:
            row = uow.get(OutcomeEventRow, outcome_id, "outcome")
            self._check(uow, [to_record(row, OutcomeEvent), event])   # the old one and the new
            uow.alter(row, event, "outcome", outcome_id)
            return to_record(row, OutcomeEvent)

    def remove(self, outcome_id: int) -> OutcomeEvent:
        """Delete an outcome; returns it (with its id) so that an undo can ``restore`` it."""
        self.require(*self.WRITERS, operation=AuditOperation.ERASURE, entity="outcome",
                     ref=outcome_id)
        with self.tx() as uow:
            row = uow.get(OutcomeEventRow, outcome_id, "outcome")
            references = self._check(uow, [to_record(row, OutcomeEvent)])
            removed = uow.remove(row, OutcomeEvent)
            uow.audit(AuditOperation.ERASURE, "outcome", outcome_id,
                      f"{removed.kind} for person {references[removed.person_id]}")
            return removed

    def restore(self, event: OutcomeEvent) -> int:
        """Put back an outcome that ``remove`` returned (an undo), under its old id."""
        self.require(*self.WRITERS, operation=AuditOperation.COLLECTION, entity="outcome")
        event.validate(self.today())
        with self.tx() as uow:
            references = self._check(uow, [event])
            row = uow.add(OutcomeEventRow, event,
                          exclude=keep_id(uow.session, OutcomeEventRow, event.id))
            uow.audit(AuditOperation.COLLECTION, "outcome", row.id,
                      f"{row.kind} for person {references[event.person_id]} (undo)")
            return row.id

    def _check(self, uow: UnitOfWork, events: list[OutcomeEvent]) -> dict[int, str]:
        """The people and partners the events name exist, and a partner officer records
        only their own agency's outcomes for people their actions concern. Returns
        person id -> reference."""
        s = uow.session
        person_ids = {e.person_id for e in events}
        references = dict(s.execute(select(PersonRow.id, PersonRow.reference)
                                    .where(PersonRow.id.in_(person_ids))).all())
        missing = person_ids - set(references)
        if missing:
            # On a server a person the officer may not see is hidden, not missing: refused.
            hidden = sorted(p for p in missing if row_hidden(s, "person", p))
            if hidden:
                self.deny(AuditOperation.COLLECTION, "person", hidden[0],
                          "can only see people your agency's actions concern")
            raise ValidationError("person_id", "names a person who is not in the workspace")
        partner_ids = {e.partner_id for e in events if e.partner_id is not None}
        if partner_ids:
            known = set(s.scalars(select(PartnerRow.id).where(PartnerRow.id.in_(partner_ids))))
            if partner_ids - known:
                raise ValidationError("partner_id", "names a partner who is not in the workspace")
        own = self.officer_scope()
        if own is not None:
            if any(e.partner_id != own for e in events):
                self.deny(AuditOperation.COLLECTION, "outcome", "",
                          "can only record your own agency's outcomes")
            for pid in sorted(person_ids):
                self.require_person_visible(uow, pid, references[pid], AuditOperation.COLLECTION)
        return references

    # -- reading -----------------------------------------------------------------
    def get(self, outcome_id: int) -> OutcomeEvent:
        with self.tx() as uow:
            row = uow.get(OutcomeEventRow, outcome_id, "outcome")
            self.require_person_visible(uow, row.person_id)
            return to_record(row, OutcomeEvent)

    def for_person(self, person_id: int) -> list[OutcomeView]:
        """A person's outcomes, newest first."""
        with self.tx() as uow:
            self.require_person_visible(uow, person_id)
            return outcome_views(uow.session, OutcomeEventRow.person_id == person_id)

    def charging_timeliness(self, date_from: date | None = None,
                            date_to: date | None = None) -> list[MonthTimeliness]:
        """Days from arrest to charge, by the month of the charge: how many charges, the
        median and the slowest. A charge without its arrest date is paired with the
        person's latest arrest before it (within a year)."""
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.CONSULTATION,
                     entity="outcome")
        with self.tx() as uow:
            q = (select(OutcomeEventRow.person_id, OutcomeEventRow.kind,
                        OutcomeEventRow.occurred_on, OutcomeEventRow.arrested_on)
                 .where(OutcomeEventRow.kind.in_((OutcomeKind.ARREST.value,
                                                  OutcomeKind.CHARGE.value))))
            if date_to is not None:
                q = q.where(OutcomeEventRow.occurred_on <= date_to)
            rows = uow.session.execute(q).all()
        delays = charge_delays(rows)
        return timeliness_by_month(delays, date_from, date_to)

    def counts_by_kind(self) -> dict[str, int]:
        from sqlalchemy import func
        with self.tx() as uow:
            return dict(uow.session.execute(
                select(OutcomeEventRow.kind, func.count()).group_by(OutcomeEventRow.kind)).all())
