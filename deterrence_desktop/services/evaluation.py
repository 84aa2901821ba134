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

from sqlalchemy import String, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from ..domain import evaluation as ev
from ..domain.dates import add_months
from ..domain.errors import NotFoundError
from ..domain.enums import ActionKind, AttendanceStatus, AuditOperation, Role
from ..domain.evaluation import Engagement, Evaluation, EvaluationQuery, Inclusion, PartnerDelivery
from ..domain.model import MESSAGE_GIVEN
from ..domain.outcomes import TAKE_UP_KINDS, OutcomeKind
from ..store.tables import (
    ActionRow, CallInRow, CohortMemberRow, CohortRow, CommunicationRow, GroupRow, InvitationRow,
    MembershipRow, PartnerRow, PartnershipRow,
)
from ..store.tables_outcomes import OutcomeEventRow
from . import audit
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
            people = self._people_sql(query.cohort_id, query.group_id, query)
            everyone_events = self._all_events(s)
            events, died = self._of_people(everyone_events, inclusions)
            inclusions = [Inclusion(i.person_id, i.included_on, i.left_on, died.get(i.person_id))
                          for i in inclusions]
            observed = ev.observe(inclusions, query.window_months, cutoff)
            counts = ev.person_counts(observed, events)
            measures = ev.rows_from_counts(observed, counts)

            attended, no_show = self._attendance(s, people, cutoff)
            engagement = self._engagement(s, people, len(observed), attended, no_show, counts,
                                          cutoff)
            delivery = self._delivery(s, people, today)
            arrest = OutcomeKind.ARREST.value
            charge_rows = [(p, k, d, None) for p, k, d in events if k == arrest]
            delays = ev.charge_delays(charge_rows + self._charges(s, people))
            if query.date_from is not None:
                delays = [d for d in delays if d[0] >= query.date_from]
            delays = [d for d in delays if d[0] <= cutoff]
            charging = ev.timeliness_by_month(delays)

            att_rows = ev.rows_from_counts(observed, counts, attended)
            ns_rows = ev.rows_from_counts(observed, counts, no_show)

            dates = sorted(i.included_on for i in inclusions if i.person_id in observed)
            first = query.date_from or (
                add_months(dates[0], -query.window_months) if dates else cutoff)
            first = min(first, cutoff)
            monthly = ev.monthly_series([i for i in inclusions if i.person_id in observed],
                                        events, first, cutoff, ev.MONTHLY_MEASURES)

            comparison = None
            comparison_scope = ""
            comparison_people = 0
            if query.comparison_cohort_id is not None:
                comparison_scope, c_members = self._selection(s, query.comparison_cohort_id, None)
                c_inclusions, _ = self._inclusions(c_members, query)
                c_events, c_died = self._of_people(everyone_events, c_inclusions)
                c_inclusions = [Inclusion(i.person_id, i.included_on, i.left_on,
                                          c_died.get(i.person_id)) for i in c_inclusions]
                c_observed = ev.observe(c_inclusions, query.window_months, cutoff)
                comparison = tuple(ev.tally(c_observed, c_events, ev.MEASURES))
                comparison_people = len(c_observed)

            uow.audit(AuditOperation.CONSULTATION, "evaluation",
                      query.cohort_id or query.group_id or "",
                      f"aggregates: people={len(observed)}"
                      + (f" comparison={comparison_people}" if comparison is not None else ""))
            # Nothing was written since the events were read but this consultation.
            self._cache = (audit.head(s)[0], everyone_events)
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
    def _people_sql(cohort_id: int | None, group_id: int | None, query: EvaluationQuery):
        """The same people as :meth:`_selection` + :meth:`_inclusions` (those with an
        inclusion date in the period), as a subquery the other tables are filtered by."""
        def within(day):
            conds = [day.is_not(None)]
            if query.date_from is not None:
                conds.append(day >= query.date_from)
            if query.date_to is not None:
                conds.append(day <= query.date_to)
            return conds
        if cohort_id is not None:
            return select(CohortMemberRow.person_id).where(
                CohortMemberRow.cohort_id == cohort_id, *within(CohortMemberRow.added_on))
        if group_id is not None:
            return (select(MembershipRow.person_id).where(MembershipRow.group_id == group_id)
                    .group_by(MembershipRow.person_id)
                    .having(*within(func.min(MembershipRow.start))))
        return (select(CohortMemberRow.person_id).group_by(CohortMemberRow.person_id)
                .having(*within(func.min(CohortMemberRow.added_on))))

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
    def _all_events(self, s: Session) -> list[tuple]:
        """(person id, kind, day) of every outcome, as plain tuples. Kept between two
        evaluations while nothing at all was written to the workspace (every write is
        audited, so the audit chain's head says so): switching cohort then costs no read.
        Days are read as text and parsed once per distinct day (the ORM's date conversion
        costs more than the evaluation itself at 200,000 events)."""
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] == audit.head(s)[0]:
            return cached[1]
        memo: dict[str, date] = {}

        def parse(text: str | date) -> date:
            if isinstance(text, date):      # a server's driver gives dates, SQLite's text
                return text
            d = memo.get(text)
            if d is None:
                d = memo[text] = date.fromisoformat(text[:10])
            return d
        day_text = type_coerce(OutcomeEventRow.occurred_on, String)
        return [(p, k, parse(d)) for p, k, d in s.execute(
            select(OutcomeEventRow.person_id, OutcomeEventRow.kind, day_text))]

    @staticmethod
    def _of_people(events: list[tuple], inclusions: list[Inclusion]
                   ) -> tuple[list[tuple], dict[int, date]]:
        """The events of the people included, and each one's recorded death."""
        wanted = {i.person_id for i in inclusions}
        mine = [e for e in events if e[0] in wanted]
        death = OutcomeKind.DEATH.value
        died: dict[int, date] = {}
        for p, k, d in mine:
            if k == death and (p not in died or d < died[p]):
                died[p] = d
        return mine, died

    @staticmethod
    def _charges(s: Session, people) -> list[tuple]:
        """(person id, "charge", day, arrested on) of the charges of ``people``."""
        return [tuple(r) for r in s.execute(
            select(OutcomeEventRow.person_id, OutcomeEventRow.kind, OutcomeEventRow.occurred_on,
                   OutcomeEventRow.arrested_on)
            .where(OutcomeEventRow.kind == OutcomeKind.CHARGE.value,
                   OutcomeEventRow.person_id.in_(people)))]

    @staticmethod
    def _attendance(s: Session, people, cutoff: date) -> tuple[set[int], set[int]]:
        """People who attended a call-in, and people invited who never attended."""
        attended: set[int] = set()
        invited: set[int] = set()
        last = datetime.combine(cutoff + ONE_DAY, datetime.min.time())
        for pid, attendance in s.execute(
                select(InvitationRow.person_id, InvitationRow.attendance)
                .join(CallInRow, CallInRow.id == InvitationRow.call_in_id)
                .where(InvitationRow.person_id.in_(people), CallInRow.starts_at < last,
                       CallInRow.status != "cancelled")):
            invited.add(pid)
            if attendance in _ATTENDED:
                attended.add(pid)
        no_show = {p for p in invited if p not in attended}
        return attended, no_show

    @staticmethod
    def _engagement(s: Session, people, observed: int, attended: set[int],
                    no_show: set[int], counts: ev.PersonCounts, cutoff: date) -> Engagement:
        """People counts, each from one aggregate query."""
        last = datetime.combine(cutoff + ONE_DAY, datetime.min.time())
        given = CommunicationRow.outcome.in_(tuple(MESSAGE_GIVEN))
        reached: set[int] = set()
        offered: set[int] = set()
        taken: set[int] = set()
        mine = CommunicationRow.person_id.in_(people)
        for pid, deterrence, support in s.execute(
                select(CommunicationRow.person_id,
                       func.max(case((CommunicationRow.deterrence_message.is_(True), 1), else_=0)),
                       func.max(case((CommunicationRow.support_offer.is_(True), 1), else_=0)))
                .where(mine, given, CommunicationRow.occurred_at < last)
                .group_by(CommunicationRow.person_id)):
            if deterrence:
                reached.add(pid)
            if support:
                offered.add(pid)
        for pid, done in s.execute(
                select(ActionRow.person_id,
                       func.max(case((ActionRow.status == "done", 1), else_=0)))
                .where(ActionRow.person_id.in_(people), ActionRow.kind == ActionKind.SUPPORT.value)
                .group_by(ActionRow.person_id)):
            offered.add(pid)
            if done:
                taken.add(pid)
        # Help taken up after inclusion: treatment, housing, work or opioid substitution.
        for pid, (_before, after) in counts.items():
            if any(k in after for k in _TAKE_UP):
                taken.add(pid)
        offered |= taken                 # taking help up means it was offered
        # Days from a person's first call-in attended to their first support contact after it.
        first_callin: dict[int, date] = {}
        for pid, starts in s.execute(
                select(InvitationRow.person_id, func.min(CallInRow.starts_at))
                .join(CallInRow, CallInRow.id == InvitationRow.call_in_id)
                .where(InvitationRow.person_id.in_(sorted(attended)), CallInRow.starts_at < last,
                       InvitationRow.attendance.in_(_ATTENDED))
                .group_by(InvitationRow.person_id)):
            first_callin[pid] = starts.date()
        delays = []
        support_days: dict[int, list[date]] = defaultdict(list)
        for chunk in _chunks(sorted(first_callin)):
            for pid, when in s.execute(
                    select(CommunicationRow.person_id, CommunicationRow.occurred_at).where(
                        CommunicationRow.person_id.in_(chunk), given,
                        CommunicationRow.support_offer.is_(True),
                        CommunicationRow.channel != "call_in", CommunicationRow.occurred_at < last)):
                support_days[pid].append(when.date())
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
    def _delivery(s: Session, people, today: date) -> list[PartnerDelivery]:
        """Per partner, the actions about the people evaluated: done (and on time: by its
        due date, going by its last change), open, overdue, and the board's overload flag.
        Counted in SQL."""
        names = dict(s.execute(select(PartnerRow.id, PartnerRow.name)).all())
        is_open = ActionRow.status.in_(("planned", "in_progress", "blocked"))
        is_done = ActionRow.status == "done"
        on_time = and_(is_done, or_(ActionRow.due_date.is_(None), ActionRow.updated_at.is_(None),
                                    func.date(ActionRow.updated_at) <= ActionRow.due_date))
        overdue_now = and_(is_open, ActionRow.due_date < today)
        totals: dict[int, list[int]] = {}
        for partner_id, *values in s.execute(
                select(ActionRow.partner_id,
                       *(func.sum(case((c, 1), else_=0))
                         for c in (is_done, on_time, is_open, overdue_now)))
                .where(ActionRow.person_id.in_(people)).group_by(ActionRow.partner_id)):
            totals[partner_id] = [int(v or 0) for v in values]
        open_ = {p: t[2] for p, t in totals.items() if t[2]}
        flagged = flagged_partners(open_, {p: t[3] for p, t in totals.items()})
        partners = sorted((p for p, t in totals.items() if t[0] or t[2]),
                          key=lambda p: names.get(p, ""))
        return [PartnerDelivery(p, names.get(p, str(p)), totals[p][0], totals[p][1],
                                totals[p][2], totals[p][3], p in flagged) for p in partners]

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
            cached = getattr(self, "_cache", None)
            fresh = cached is not None and cached[0] == audit.head(uow.session)[0]
            row = uow.session.scalar(select(PartnershipRow).limit(1))
            name = row.name if row else ""
            marking = (row.protective_marking if row else "") or "OFFICIAL-SENSITIVE"
            anchor = self.app.anchors.take(uow, f"evaluation {Path(path).name}").token
            out = write(evaluation, marking, anchor, name)
            q = evaluation.query
            uow.audit(AuditOperation.DISCLOSURE, "evaluation", q.cohort_id or q.group_id or "",
                      f"{what}: aggregates of {evaluation.scope.split(':')[0].lower()}, "
                      f"people={evaluation.people}, cells under 5 people suppressed")
            if fresh:        # this disclosure changed no outcome: the events read still hold
                self._cache = (audit.head(uow.session)[0], cached[1])
            return out
