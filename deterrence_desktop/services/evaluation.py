"""Evaluation: what changed for the people a partnership works with, and the board report.

:meth:`EvaluationService.evaluate` reads what an evaluation needs in one transaction
(inclusion dates, outcomes, invitations, contacts, actions) as plain tuples and hands
them to the pure arithmetic of :mod:`..domain.evaluation`. The UI runs it on the worker.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain import evaluation as ev
from ..domain.dates import add_months
from ..domain.errors import NotFoundError
from ..domain.enums import ActionKind, AttendanceStatus, AuditOperation, Role
from ..domain.evaluation import Engagement, Evaluation, EvaluationQuery, Inclusion, PartnerDelivery
from ..domain.model import MESSAGE_GIVEN
from ..domain.outcomes import TAKE_UP_KINDS
from ..store.tables import (
    ActionRow, CallInRow, CohortMemberRow, CohortRow, CommunicationRow, GroupRow, InvitationRow,
    MembershipRow, PartnerRow, PartnershipRow,
)
from ..store.tables_outcomes import OutcomeEventRow
from .base import Service
from .board import flagged_partners

ONE_DAY = timedelta(days=1)
_CHUNK = 900          # ids per IN (...) query
_ATTENDED = (AttendanceStatus.ATTENDED.value, AttendanceStatus.LATE.value)
_TAKE_UP = tuple(k.value for k in TAKE_UP_KINDS)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]


class EvaluationService(Service):
    READERS = (Role.COORDINATOR, Role.ANALYST)

    # -- the evaluation ------------------------------------------------------------------
    def evaluate(self, query: EvaluationQuery) -> Evaluation:
        """Counts and rates before and after each person's inclusion, engagement, delivery,
        attended against no-show, a monthly series and (when asked) a comparison cohort.
        Aggregates only; audited as one consultation."""
        self.require(*self.READERS, operation=AuditOperation.CONSULTATION, entity="evaluation")
        query.validate()
        today = self.today()
        cutoff = min(query.date_to, today) if query.date_to else today
        with self.tx() as uow:
            s = uow.session
            scope, members = self._selection(s, query.cohort_id, query.group_id)
            inclusions, without = self._inclusions(members, query)
            people = sorted({i.person_id for i in inclusions})
            events = self._events(s, query, people)
            died = ev.deaths(events)
            inclusions = [Inclusion(i.person_id, i.included_on, i.left_on, died.get(i.person_id))
                          for i in inclusions]
            observed = ev.observe(inclusions, query.window_months, cutoff)
            measures = ev.tally(observed, events, ev.MEASURES)

            attended, no_show = self._attendance(s, people, cutoff)
            engagement = self._engagement(s, people, len(observed), attended, no_show, events,
                                          cutoff)
            delivery = self._delivery(s, people, today)
            charge_rows = [(p, k, d, a) for p, k, d, a in self._charges(s, query, people)]
            delays = ev.charge_delays(charge_rows)
            if query.date_from is not None:
                delays = [d for d in delays if d[0] >= query.date_from]
            delays = [d for d in delays if d[0] <= cutoff]
            charging = ev.timeliness_by_month(delays)

            att_rows = ev.tally({p: w for p, w in observed.items() if p in attended},
                                events, ev.MEASURES)
            ns_rows = ev.tally({p: w for p, w in observed.items() if p in no_show},
                               events, ev.MEASURES)

            dates = sorted(i.included_on for i in inclusions if i.person_id in observed)
            first = query.date_from or (
                add_months(dates[0], -query.window_months) if dates else cutoff)
            first = min(first, cutoff)
            monthly = ev.monthly_series([i for i in inclusions if i.person_id in observed],
                                        events, first, cutoff)

            comparison = None
            comparison_scope = ""
            comparison_people = 0
            if query.comparison_cohort_id is not None:
                comparison_scope, c_members = self._selection(s, query.comparison_cohort_id, None)
                c_inclusions, _ = self._inclusions(c_members, query)
                c_people = sorted({i.person_id for i in c_inclusions})
                c_events = self._events(s, query, c_people)
                c_died = ev.deaths(c_events)
                c_inclusions = [Inclusion(i.person_id, i.included_on, i.left_on,
                                          c_died.get(i.person_id)) for i in c_inclusions]
                c_observed = ev.observe(c_inclusions, query.window_months, cutoff)
                comparison = tuple(ev.tally(c_observed, c_events, ev.MEASURES))
                comparison_people = len(c_observed)

            uow.audit(AuditOperation.CONSULTATION, "evaluation",
                      query.cohort_id or query.group_id or "",
                      f"aggregates: people={len(observed)}"
                      + (f" comparison={comparison_people}" if comparison is not None else ""))
        return Evaluation(
            query=query, scope=scope, period_from=query.date_from or (dates[0] if dates else None),
            period_to=cutoff, computed_on=today, people=len(observed), without_date=without,
            measures=tuple(measures), engagement=engagement, delivery=tuple(delivery),
            charging=tuple(charging), attended=tuple(att_rows), no_show=tuple(ns_rows),
            monthly=tuple(monthly), inclusion_dates=tuple(dates),
            comparison_scope=comparison_scope, comparison=comparison,
            comparison_people=comparison_people,
            charge_median_days=ev.median([d for _, d in delays]),
            computed_at=self.now())

    # -- whom ----------------------------------------------------------------------------
    @staticmethod
    def _selection(s: Session, cohort_id: int | None, group_id: int | None
                   ) -> tuple[str, list[tuple[int, date | None, date | None]]]:
        """The scope's label and its people: (person id, inclusion date, left on)."""
        if cohort_id is not None:
            name = s.scalar(select(CohortRow.name).where(CohortRow.id == cohort_id))
            if name is None:
                raise NotFoundError("cohort", cohort_id)
            rows = s.execute(select(CohortMemberRow.person_id, CohortMemberRow.added_on,
                                    CohortMemberRow.left_on)
                             .where(CohortMemberRow.cohort_id == cohort_id)).all()
            return f"Cohort: {name}", [tuple(r) for r in rows]
        if group_id is not None:
            name = s.scalar(select(GroupRow.name).where(GroupRow.id == group_id))
            if name is None:
                raise NotFoundError("group", group_id)
            starts: dict[int, list] = defaultdict(list)
            ends: dict[int, list] = defaultdict(list)
            for pid, start, end in s.execute(
                    select(MembershipRow.person_id, MembershipRow.start, MembershipRow.end)
                    .where(MembershipRow.group_id == group_id)):
                starts[pid].append(start)
                ends[pid].append(end)
            out = []
            for pid in starts:
                known = [d for d in starts[pid] if d is not None]
                # The group's last day for them is their latest membership's end; still a
                # member (a membership without an end): they have not left.
                left = None if None in ends[pid] else max(ends[pid]) + ONE_DAY
                out.append((pid, min(known) if known else None, left))
            return f"Group: {name}", out
        rows = s.execute(select(CohortMemberRow.person_id, func.min(CohortMemberRow.added_on))
                         .group_by(CohortMemberRow.person_id)).all()
        return "Everyone in a cohort", [(pid, added, None) for pid, added in rows]

    @staticmethod
    def _inclusions(members, query: EvaluationQuery) -> tuple[list[Inclusion], int]:
        out, without = [], 0
        for pid, included_on, left_on in members:
            if included_on is None:
                without += 1
                continue
            if query.date_from is not None and included_on < query.date_from:
                continue
            if query.date_to is not None and included_on > query.date_to:
                continue
            out.append(Inclusion(pid, included_on, left_on))
        return out, without

    # -- what happened -------------------------------------------------------------------
    def _events(self, s: Session, query: EvaluationQuery, people: list[int]) -> list[tuple]:
        """(person id, kind, day) of every outcome of ``people``, as plain tuples."""
        base = select(OutcomeEventRow.person_id, OutcomeEventRow.kind, OutcomeEventRow.occurred_on)
        if query.cohort_id is None and query.group_id is None and \
                query.date_from is None and query.date_to is None:
            wanted = set(people)
            return [tuple(r) for r in s.execute(base) if r[0] in wanted]
        out: list[tuple] = []
        for chunk in _chunks(people):
            out.extend(tuple(r) for r in s.execute(base.where(OutcomeEventRow.person_id.in_(chunk))))
        return out

    @staticmethod
    def _charges(s: Session, query: EvaluationQuery, people: list[int]) -> list[tuple]:
        out: list[tuple] = []
        for chunk in _chunks(people):
            out.extend(tuple(r) for r in s.execute(
                select(OutcomeEventRow.person_id, OutcomeEventRow.kind,
                       OutcomeEventRow.occurred_on, OutcomeEventRow.arrested_on)
                .where(OutcomeEventRow.person_id.in_(chunk),
                       OutcomeEventRow.kind.in_(("arrest", "charge")))))
        return out

    @staticmethod
    def _attendance(s: Session, people: list[int], cutoff: date) -> tuple[set[int], set[int]]:
        """People who attended a call-in, and people invited who never attended."""
        attended: set[int] = set()
        invited: set[int] = set()
        last = datetime.combine(cutoff + ONE_DAY, datetime.min.time())
        for chunk in _chunks(people):
            for pid, attendance in s.execute(
                    select(InvitationRow.person_id, InvitationRow.attendance)
                    .join(CallInRow, CallInRow.id == InvitationRow.call_in_id)
                    .where(InvitationRow.person_id.in_(chunk), CallInRow.starts_at < last,
                           CallInRow.status != "cancelled")):
                invited.add(pid)
                if attendance in _ATTENDED:
                    attended.add(pid)
        no_show = {p for p in invited if p not in attended}
        return attended, no_show

    @staticmethod
    def _engagement(s: Session, people: list[int], observed: int, attended: set[int],
                    no_show: set[int], events: list[tuple], cutoff: date) -> Engagement:
        last = datetime.combine(cutoff + ONE_DAY, datetime.min.time())
        reached: set[int] = set()
        offered: set[int] = set()
        taken: set[int] = set()
        first_callin: dict[int, date] = {}
        support_days: dict[int, list[date]] = defaultdict(list)
        for chunk in _chunks(people):
            for pid, starts in s.execute(
                    select(InvitationRow.person_id, CallInRow.starts_at)
                    .join(CallInRow, CallInRow.id == InvitationRow.call_in_id)
                    .where(InvitationRow.person_id.in_(chunk), CallInRow.starts_at < last,
                           InvitationRow.attendance.in_(_ATTENDED))):
                d = starts.date()
                if pid not in first_callin or d < first_callin[pid]:
                    first_callin[pid] = d
            for pid, when, channel, deterrence, support, outcome in s.execute(
                    select(CommunicationRow.person_id, CommunicationRow.occurred_at,
                           CommunicationRow.channel, CommunicationRow.deterrence_message,
                           CommunicationRow.support_offer, CommunicationRow.outcome)
                    .where(CommunicationRow.person_id.in_(chunk),
                           CommunicationRow.occurred_at < last)):
                if outcome not in MESSAGE_GIVEN:
                    continue
                if deterrence:
                    reached.add(pid)
                if support:
                    offered.add(pid)
                    if channel != "call_in":
                        support_days[pid].append(when.date())
            for pid, status in s.execute(
                    select(ActionRow.person_id, ActionRow.status)
                    .where(ActionRow.person_id.in_(chunk),
                           ActionRow.kind == ActionKind.SUPPORT.value)):
                offered.add(pid)
                if status == "done":
                    taken.add(pid)
        for pid, kind, _day in events:
            if kind in _TAKE_UP:
                taken.add(pid)
        offered |= taken                 # taking help up means it was offered
        delays = []
        for pid, callin_day in first_callin.items():
            after = [d for d in support_days.get(pid, ()) if d >= callin_day]
            if after:
                delays.append((min(after) - callin_day).days)
        return Engagement(people=observed, invited=len(attended) + len(no_show),
                          attended=len(attended), no_show=len(no_show), reached=len(reached),
                          offers_made=len(offered), offers_taken_up=len(taken),
                          median_days_to_support=ev.median(delays),
                          days_to_support_people=len(delays))

    @staticmethod
    def _delivery(s: Session, people: list[int], today: date) -> list[PartnerDelivery]:
        """Per partner, the actions about the people evaluated: done (and on time: by its
        due date, going by its last change), open, overdue, and the board's overload flag."""
        names = dict(s.execute(select(PartnerRow.id, PartnerRow.name)).all())
        done: dict[int, int] = defaultdict(int)
        on_time: dict[int, int] = defaultdict(int)
        open_: dict[int, int] = defaultdict(int)
        overdue: dict[int, int] = defaultdict(int)
        for chunk in _chunks(people):
            for partner_id, status, due, updated in s.execute(
                    select(ActionRow.partner_id, ActionRow.status, ActionRow.due_date,
                           ActionRow.updated_at).where(ActionRow.person_id.in_(chunk))):
                if status == "done":
                    done[partner_id] += 1
                    if due is None or updated is None or updated.date() <= due:
                        on_time[partner_id] += 1
                elif status in ("planned", "in_progress", "blocked"):
                    open_[partner_id] += 1
                    if due is not None and due < today:
                        overdue[partner_id] += 1
        flagged = flagged_partners(open_, overdue)
        partners = sorted(set(done) | set(open_), key=lambda p: names.get(p, ""))
        return [PartnerDelivery(p, names.get(p, str(p)), done[p], on_time[p], open_[p],
                                overdue[p], p in flagged) for p in partners]

    # -- choices for the page --------------------------------------------------------------
    def scopes(self) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
        """The cohorts and the groups one can evaluate: (id, name), by name."""
        self.require(*self.READERS, operation=AuditOperation.CONSULTATION, entity="evaluation")
        with self.tx() as uow:
            s = uow.session
            cohorts = [tuple(r) for r in s.execute(select(CohortRow.id, CohortRow.name)
                                                   .order_by(CohortRow.name))]
            groups = [tuple(r) for r in s.execute(select(GroupRow.id, GroupRow.name)
                                                  .order_by(GroupRow.name))]
            return cohorts, groups

    # -- what leaves the partnership ------------------------------------------------------
    def write_report(self, query: EvaluationQuery, path: Path | str,
                     evaluation: Evaluation | None = None) -> Path:
        """The board report PDF (charts, tables suppressed below 5 people, method note),
        written atomically, mode 0600. The disclosure of aggregates is audited in the same
        transaction as the file's audit anchor (no entry if the file could not be written).
        ``evaluation``: one the page already computed for ``query``."""
        from ..exports import board_report
        return self._disclose("board report PDF", query, evaluation, path,
                              lambda e, marking, anchor, name: board_report.write_report(
                                  e, path, partnership=name, marking=marking,
                                  audit_anchor=anchor, produced_by=self.actor.display_name))

    def write_table_csv(self, query: EvaluationQuery, path: Path | str,
                        evaluation: Evaluation | None = None) -> Path:
        """The aggregate table as CSV, suppressed as the report is."""
        from ..exports import evaluation_table
        return self._disclose("table CSV", query, evaluation, path,
                              lambda e, marking, anchor, name: evaluation_table.write_csv(
                                  e, path, marking=marking))

    def write_table_xlsx(self, query: EvaluationQuery, path: Path | str,
                         evaluation: Evaluation | None = None) -> Path:
        """The aggregate table as an xlsx workbook, suppressed as the report is."""
        from ..exports import evaluation_table
        return self._disclose("table xlsx", query, evaluation, path,
                              lambda e, marking, anchor, name: evaluation_table.write_xlsx(
                                  e, path, marking=marking))

    def _disclose(self, what: str, query: EvaluationQuery, evaluation: Evaluation | None,
                  path: Path | str, write) -> Path:
        self.require(*self.READERS, operation=AuditOperation.DISCLOSURE, entity="evaluation")
        evaluation = evaluation or self.evaluate(query)
        with self.tx() as uow:
            row = uow.session.scalar(select(PartnershipRow).limit(1))
            name = row.name if row else ""
            marking = (row.protective_marking if row else "") or "OFFICIAL-SENSITIVE"
            anchor = self.app.anchors.take(uow, f"evaluation {Path(path).name}").token
            out = write(evaluation, marking, anchor, name)
            q = evaluation.query
            uow.audit(AuditOperation.DISCLOSURE, "evaluation", q.cohort_id or q.group_id or "",
                      f"{what}: aggregates of {evaluation.scope.split(':')[0].lower()}, "
                      f"people={evaluation.people}, cells under 5 people suppressed")
            return out
