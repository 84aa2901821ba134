"""Continuity of care: templates of actions around a release, and the plans made from them.

Applying a template to releases creates, for each release, the actions for the right
partners, due dates moved off weekends, bank holidays and local closures in the
direction each step says; all of it is one audited step that :meth:`ContinuityService.undo`
takes back. When a release date changes, :func:`redate` moves the open actions of the
plan with it, noting the move on each action (its owner sees it on the board) and in
the audit trail.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..domain.custody import (
    ContinuityPlan, ContinuityTemplate, CustodyEpisode, Shift, TemplateStep, due_date_for,
)
from ..domain.enums import ActionKind, ActionStatus, AuditOperation, PartnerType, Role
from ..domain.errors import ConflictError, ValidationError
from ..domain.model import display_name
from ..store.mapping import column_values, to_record
from ..store.tables import ActionRow, PartnerRow, PersonRow
from ..store.tables_custody import (
    ContinuityPlanRow, ContinuityTemplateRow, CustodyEpisodeRow, PlanActionRow, TemplateStepRow,
)
from .actions import OPEN_STATUSES, action_view_query, action_views
from .base import Service, UnitOfWork
from .release_planner import closed_days
from .views import ActionView

__all__ = [
    "ContinuityService", "ApplyResult", "PlanView", "PlanStepView", "TemplateView",
    "IncompletePlan", "MovedAction", "EXAMPLE_TEMPLATE", "plan_statuses", "redate",
]

# The example: what a release needs from each partner, relative to the release day.
EXAMPLE_TEMPLATE = (
    "Release from custody: continuity of care",
    "The actions every release needs, so no one walks out on a Friday to nothing.",
    (
        # title, partner type, kind, offset days, shift, description
        ("Probation appointment on the day of release", PartnerType.PROBATION,
         ActionKind.ENFORCEMENT, 0, Shift.LATER, "First licence appointment, booked before release."),
        ("Accommodation confirmed", PartnerType.HOUSING, ActionKind.SUPPORT, -7, Shift.EARLIER,
         "Somewhere to stay from the day of release, confirmed a week before."),
        ("Treatment appointment within 1 day of release", PartnerType.DRUG_TREATMENT,
         ActionKind.SUPPORT, 1, Shift.EARLIER, "Community treatment appointment booked."),
        ("Opioid substitution continuity", PartnerType.DRUG_TREATMENT, ActionKind.SUPPORT, 0,
         Shift.EARLIER, "Prescription carried on from prison without a gap."),
        ("Naloxone at the gate", PartnerType.DRUG_TREATMENT, ActionKind.SUPPORT, 0, Shift.EARLIER,
         "Naloxone kit and overdose advice given on release."),
        ("GP registration", PartnerType.HEALTH, ActionKind.SUPPORT, 5, Shift.LATER,
         "Registered with a GP practice near where they will live."),
        ("Custom notification within 3 days of release", PartnerType.POLICE,
         ActionKind.COMMUNICATION, 3, Shift.EARLIER,
         "With the probation officer: the deterrence message and the support offer, repeated."),
        ("Family support contact", PartnerType.COMMUNITY, ActionKind.SUPPORT, 2, Shift.LATER,
         "A family member or mentor is in touch in the first days."),
    ),
)


@dataclass(frozen=True)
class TemplateView:
    template: ContinuityTemplate
    steps: tuple[TemplateStep, ...]


@dataclass(frozen=True)
class ApplyResult:
    """What one apply did: the undo takes exactly this back."""
    template_id: int
    plan_ids: tuple[int, ...]
    action_ids: tuple[int, ...]
    applied: tuple[int, ...]                    # episode ids given a plan
    skipped: tuple[tuple[int, str], ...]        # (episode id, why)
    missing_partners: tuple[str, ...] = ()      # partner types with no partner: steps left out

    @property
    def summary(self) -> str:
        text = f"{len(self.action_ids)} actions for {len(self.applied)} releases"
        if self.skipped:
            text += f"; {len(self.skipped)} left out"
        if self.missing_partners:
            text += "; no partner of type " + ", ".join(self.missing_partners)
        return text


@dataclass(frozen=True)
class PlanStepView:
    title: str
    partner_name: str
    offset_days: int
    shift: str
    action: ActionView


@dataclass(frozen=True)
class PlanView:
    plan: ContinuityPlan
    template_name: str
    episode: CustodyEpisode
    person_reference: str
    person_name: str
    release: date | None
    steps: tuple[PlanStepView, ...]

    @property
    def status(self) -> str:
        return status_of([s.action.status for s in self.steps])

    @property
    def open_steps(self) -> int:
        return sum(1 for s in self.steps if s.action.status in OPEN_STATUSES)


@dataclass(frozen=True)
class IncompletePlan:
    person_id: int
    reference: str
    person_name: str
    episode_id: int
    release: date
    days_to_go: int
    status: str                 # none (no plan yet), incomplete
    open_actions: int


@dataclass(frozen=True)
class MovedAction:
    action_id: int
    partner_id: int
    before: date | None
    after: date


def status_of(statuses: Sequence[str]) -> str:
    if not statuses:
        return "none"
    return "incomplete" if any(s in OPEN_STATUSES for s in statuses) else "complete"


def plan_statuses(s: Session, episode_ids: Sequence[int]) -> dict[int, str]:
    """Each episode's plan status (none, incomplete, complete) in one query per 5,000."""
    out: dict[int, list[str]] = {}
    ids = list(episode_ids)
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for episode_id, status in s.execute(
                select(ContinuityPlanRow.episode_id, ActionRow.status)
                .join(PlanActionRow, PlanActionRow.plan_id == ContinuityPlanRow.id)
                .join(ActionRow, ActionRow.id == PlanActionRow.action_id)
                .where(ContinuityPlanRow.episode_id.in_(chunk))):
            out.setdefault(episode_id, []).append(status)
    return {k: status_of(v) for k, v in out.items()}


def partners_by_type(s: Session) -> dict[str, int]:
    """The first partner (lowest id) of each type."""
    out: dict[str, int] = {}
    for pid, ptype in s.execute(select(PartnerRow.id, PartnerRow.type).order_by(PartnerRow.id)):
        out.setdefault(ptype, pid)
    return out


def apply_in(uow: UnitOfWork, template_id: int, episode_ids: Sequence[int], today: date,
             now: datetime) -> ApplyResult:
    """Apply a template inside ``uow``'s transaction (audited there)."""
    s = uow.session
    template = uow.get(ContinuityTemplateRow, template_id, "continuity template")
    steps = list(s.scalars(select(TemplateStepRow).where(TemplateStepRow.template_id == template_id)
                           .order_by(TemplateStepRow.position, TemplateStepRow.id)))
    if not steps:
        raise ValidationError("template", "the template has no steps")
    partners = partners_by_type(s)
    episodes = {e.id: e for e in s.scalars(
        select(CustodyEpisodeRow).where(CustodyEpisodeRow.id.in_(list(episode_ids))))}
    planned = set(s.scalars(select(ContinuityPlanRow.episode_id).where(
        ContinuityPlanRow.episode_id.in_(list(episode_ids)),
        ContinuityPlanRow.template_id == template_id)))
    skipped: list[tuple[int, str]] = []
    ready = []
    for eid in dict.fromkeys(episode_ids):
        e = episodes.get(eid)
        if e is None:
            skipped.append((eid, "no such custody episode"))
        elif e.actual_release is not None:
            skipped.append((eid, "already released"))
        elif e.expected_release is None:
            skipped.append((eid, "no expected release date yet"))
        elif eid in planned:
            skipped.append((eid, "already has a plan from this template"))
        else:
            ready.append(e)
    missing = sorted({st.partner_type for st in steps if st.partner_type not in partners
                      and st.partner_type != PartnerType.PRISON.value})
    if not ready:
        return ApplyResult(template_id, (), (), (), tuple(skipped), tuple(missing))
    dates = [e.expected_release for e in ready]
    closed = closed_days(s, min(dates) - timedelta(days=400), max(dates) + timedelta(days=400))
    # Core inserts with RETURNING: 50 releases x 8 steps stay well under a second.
    plan_ids = list(s.scalars(
        insert(ContinuityPlanRow).returning(ContinuityPlanRow.id, sort_by_parameter_order=True),
        [dict(episode_id=e.id, template_id=template_id, applied_on=today) for e in ready]))
    actions, links = [], []
    for e, plan_id in zip(ready, plan_ids):
        release = f"release on {e.expected_release:%a %d %b %Y}."
        for st in steps:
            partner = (e.establishment_id if st.partner_type == PartnerType.PRISON.value
                       and e.establishment_id else partners.get(st.partner_type))
            if partner is None:
                continue
            actions.append(dict(
                partner_id=partner, kind=st.kind, person_id=e.person_id, group_id=None,
                description=st.title + (f"\n{st.description}" if st.description else ""),
                due_date=due_date_for(e.expected_release, st.offset_days, st.shift, closed),
                status=ActionStatus.PLANNED.value, intervention_id=st.intervention_id,
                notes=f"Continuity plan ({template.name}): {_offset_text(st.offset_days)} {release}",
                assignee="", outcome="", meeting_id=None, call_in_id=None, updated_at=now, version=1))
            links.append(dict(plan_id=plan_id, step_id=st.id, offset_days=st.offset_days,
                              shift=st.shift))
    action_ids = list(s.scalars(
        insert(ActionRow).returning(ActionRow.id, sort_by_parameter_order=True), actions)) \
        if actions else []
    if links:
        s.execute(insert(PlanActionRow), [dict(link, action_id=aid)
                                          for link, aid in zip(links, action_ids)])
    uow.audit(AuditOperation.COLLECTION, "continuity_plan", template_id,
              f"template applied: {len(plan_ids)} plans, {len(action_ids)} actions; "
              f"episodes={','.join(str(e.id) for e in ready)}")
    return ApplyResult(template_id, tuple(plan_ids), tuple(action_ids),
                       tuple(e.id for e in ready), tuple(skipped), tuple(missing))


def _offset_text(offset: int) -> str:
    if offset == 0:
        return "on the day of"
    days = "day" if abs(offset) == 1 else "days"
    return f"{abs(offset)} {days} {'before' if offset < 0 else 'after'}"


def redate(uow: UnitOfWork, episode_id: int, release: date, learned_on: date,
           now: datetime) -> list[MovedAction]:
    """Move the open actions of the episode's plans to follow a new release date. Each
    moved action says so in its notes (its owner sees it on the board) and in the audit."""
    s = uow.session
    found = s.execute(
        select(ActionRow, PlanActionRow.offset_days, PlanActionRow.shift)
        .join(PlanActionRow, PlanActionRow.action_id == ActionRow.id)
        .join(ContinuityPlanRow, ContinuityPlanRow.id == PlanActionRow.plan_id)
        .where(ContinuityPlanRow.episode_id == episode_id,
               ActionRow.status.in_(OPEN_STATUSES))).all()
    if not found:
        return []
    closed = closed_days(s, release - timedelta(days=400), release + timedelta(days=400))
    moved = []
    for action, offset, shift in found:
        due = due_date_for(release, offset, shift, closed)
        if due == action.due_date:
            continue
        before = action.due_date
        line = (f"Due date moved from {before:%d %b %Y} to {due:%d %b %Y}: the release date "
                f"changed to {release:%a %d %b %Y} (learned {learned_on:%d %b %Y})."
                if before else f"Due {due:%d %b %Y}: release date {release:%d %b %Y}.")
        action.due_date = due
        action.notes = (action.notes + "\n" + line).strip() if action.notes else line
        action.updated_at = now
        moved.append(MovedAction(action.id, action.partner_id, before, due))
        uow.audit(AuditOperation.ALTERATION, "action", action.id,
                  f"fields=due_date,notes; release date changed (episode {episode_id})")
    s.flush()
    return moved


class ContinuityService(Service):
    # -- templates -------------------------------------------------------------------
    def templates(self) -> list[TemplateView]:
        with self.tx() as uow:
            s = uow.session
            steps: dict[int, list[TemplateStep]] = defaultdict(list)
            for st in s.scalars(select(TemplateStepRow).order_by(
                    TemplateStepRow.template_id, TemplateStepRow.position, TemplateStepRow.id)):
                steps[st.template_id].append(to_record(st, TemplateStep))
            return [TemplateView(to_record(t, ContinuityTemplate), tuple(steps[t.id]))
                    for t in s.scalars(select(ContinuityTemplateRow).order_by(ContinuityTemplateRow.name))]

    def template(self, template_id: int) -> TemplateView:
        with self.tx() as uow:
            return self._template_view(uow, template_id)

    def save_template(self, template: ContinuityTemplate,
                      steps: Sequence[TemplateStep]) -> TemplateView:
        """Create or update a template with its steps, as the editor shows them: steps with an
        id are updated, new ones added, the ones left out removed. One audited transaction."""
        self.require(Role.COORDINATOR, entity="continuity_template", ref=template.id or "")
        template.validate()
        steps = [replace(st, position=i, template_id=template.id or 0) for i, st in enumerate(steps)]
        for st in steps:
            st.validate()
        with self.tx() as uow:
            s = uow.session
            clash = s.scalar(select(ContinuityTemplateRow.id).where(
                ContinuityTemplateRow.name == template.name.strip(),
                ContinuityTemplateRow.id != (template.id or -1)))
            if clash is not None:
                raise ValidationError("name", "another template has this name")
            template = replace(template, name=template.name.strip())
            if template.id is None:
                row = uow.add(ContinuityTemplateRow, template)
                operation = AuditOperation.COLLECTION
            else:
                row = uow.get(ContinuityTemplateRow, template.id, "continuity template")
                # The template and its steps are one edit: saved only over the version the
                # editor read, and its version moves on even when only a step changed.
                uow.check_version(row, template, "continuity_template", row.id)
                for name, value in column_values(template).items():
                    setattr(row, name, value)
                flag_modified(row, "name")
                operation = AuditOperation.ALTERATION
            existing = {st.id: st for st in s.scalars(
                select(TemplateStepRow).where(TemplateStepRow.template_id == row.id))}
            kept = set()
            for st in steps:
                st = replace(st, template_id=row.id)
                if st.id is not None and st.id in existing:
                    for name, value in column_values(st).items():
                        setattr(existing[st.id], name, value)
                    kept.add(st.id)
                else:
                    uow.add(TemplateStepRow, st)
            for sid, st_row in existing.items():
                if sid not in kept:
                    s.delete(st_row)
            uow.flush_versioned(row, template, "continuity_template", row.id)
            uow.audit(operation, "continuity_template", row.id, f"steps={len(steps)}")
            return self._template_view(uow, row.id)

    def delete_template(self, template_id: int) -> None:
        """Remove a template; the plans made from it stay (they keep their own offsets)."""
        self.require(Role.COORDINATOR, operation=AuditOperation.ERASURE,
                     entity="continuity_template", ref=template_id)
        with self.tx() as uow:
            row = uow.get(ContinuityTemplateRow, template_id, "continuity template")
            uow.session.execute(delete(TemplateStepRow).where(TemplateStepRow.template_id == template_id))
            uow.session.delete(row)
            uow.session.flush()
            uow.audit(AuditOperation.ERASURE, "continuity_template", template_id, "template removed")

    @staticmethod
    def _template_view(uow: UnitOfWork, template_id: int) -> TemplateView:
        row = uow.get(ContinuityTemplateRow, template_id, "continuity template")
        steps = uow.session.scalars(select(TemplateStepRow).where(
            TemplateStepRow.template_id == template_id).order_by(TemplateStepRow.position, TemplateStepRow.id))
        return TemplateView(to_record(row, ContinuityTemplate),
                            tuple(to_record(st, TemplateStep) for st in steps))

    # -- plans -----------------------------------------------------------------------
    def apply(self, template_id: int, episode_ids: Sequence[int]) -> ApplyResult:
        """Create the template's actions for each release: one audited step (see undo)."""
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="continuity_plan")
        if not episode_ids:
            raise ValidationError("episodes", "choose at least one release")
        with self.tx() as uow:
            return apply_in(uow, template_id, episode_ids, self.today(), self.now())

    def undo(self, result: ApplyResult) -> int:
        """Take back what ``result``'s apply created, in one audited step. Refused when an
        action has been worked on since (its owner's work is not thrown away)."""
        self.require(Role.COORDINATOR, operation=AuditOperation.ERASURE, entity="continuity_plan")
        if not result.plan_ids:
            return 0
        with self.tx() as uow:
            s = uow.session
            worked = s.scalar(select(func.count()).select_from(ActionRow).where(
                ActionRow.id.in_(result.action_ids), ActionRow.status != ActionStatus.PLANNED.value))
            if worked:
                raise ConflictError(f"{worked} action(s) of these plans have been worked on since: "
                                    "change them on the board instead")
            s.execute(delete(PlanActionRow).where(PlanActionRow.plan_id.in_(result.plan_ids)))
            gone = s.execute(delete(ActionRow).where(ActionRow.id.in_(result.action_ids))).rowcount
            s.execute(delete(ContinuityPlanRow).where(ContinuityPlanRow.id.in_(result.plan_ids)))
            uow.audit(AuditOperation.ERASURE, "continuity_plan", result.template_id,
                      f"apply undone: {len(result.plan_ids)} plans, {gone} actions")
            return gone

    def plan(self, episode_id: int) -> PlanView | None:
        """The episode's newest plan, its steps and their actions; None when it has none."""
        with self.tx() as uow:
            s = uow.session
            episode = uow.get(CustodyEpisodeRow, episode_id, "custody episode")
            self.require_person_visible(uow, episode.person_id)
            plan = s.scalar(select(ContinuityPlanRow).where(ContinuityPlanRow.episode_id == episode_id)
                            .order_by(ContinuityPlanRow.id.desc()).limit(1))
            if plan is None:
                return None
            template = s.get(ContinuityTemplateRow, plan.template_id) if plan.template_id else None
            links = {pa.action_id: pa for pa in s.scalars(
                select(PlanActionRow).where(PlanActionRow.plan_id == plan.id))}
            titles = dict(s.execute(select(TemplateStepRow.id, TemplateStepRow.title).where(
                TemplateStepRow.id.in_([pa.step_id for pa in links.values() if pa.step_id]))).all())
            q = action_view_query().where(ActionRow.id.in_(list(links)))
            if self.officer_scope() is not None:
                q = q.where(ActionRow.partner_id == self.officer_scope())
            views = action_views(s, q.order_by(ActionRow.due_date, ActionRow.id))
            person = s.get(PersonRow, episode.person_id)
            steps = tuple(PlanStepView(
                title=titles.get(links[v.id].step_id) or v.description.split("\n")[0],
                partner_name=v.partner_name, offset_days=links[v.id].offset_days,
                shift=links[v.id].shift, action=v) for v in views)
            uow.audit(AuditOperation.CONSULTATION, "continuity_plan", plan.id, f"person {person.reference}")
            return PlanView(to_record(plan, ContinuityPlan), template.name if template else "",
                            to_record(episode, CustodyEpisode), person.reference,
                            display_name(person.given_name, person.preferred_name, person.family_name),
                            episode.expected_release, steps)

    def incomplete_plans(self, within_days: int = 7,
                         person_id: int | None = None) -> list[IncompletePlan]:
        """Releases in the next ``within_days`` days whose plan is missing or incomplete:
        for the board's summary strip and (``person_id``) a meeting's agenda item."""
        today = self.today()
        with self.tx() as uow:
            s = uow.session
            q = (select(CustodyEpisodeRow.id, CustodyEpisodeRow.person_id,
                        CustodyEpisodeRow.expected_release, PersonRow.reference,
                        PersonRow.given_name, PersonRow.preferred_name, PersonRow.family_name)
                 .join(PersonRow, PersonRow.id == CustodyEpisodeRow.person_id)
                 .where(CustodyEpisodeRow.actual_release.is_(None),
                        CustodyEpisodeRow.expected_release >= today,
                        CustodyEpisodeRow.expected_release <= today + timedelta(days=within_days)))
            if person_id is not None:
                q = q.where(CustodyEpisodeRow.person_id == person_id)
            visible = self.officer_people()
            if visible is not None:
                q = q.where(CustodyEpisodeRow.person_id.in_(visible))
            found = s.execute(q).all()
            open_counts: dict[int, int] = defaultdict(int)
            statuses: dict[int, list[str]] = defaultdict(list)
            for eid, status in s.execute(
                    select(ContinuityPlanRow.episode_id, ActionRow.status)
                    .join(PlanActionRow, PlanActionRow.plan_id == ContinuityPlanRow.id)
                    .join(ActionRow, ActionRow.id == PlanActionRow.action_id)
                    .where(ContinuityPlanRow.episode_id.in_([r.id for r in found]))):
                statuses[eid].append(status)
                open_counts[eid] += status in OPEN_STATUSES
            out = []
            for r in found:
                status = status_of(statuses.get(r.id, []))
                if status == "complete":
                    continue
                out.append(IncompletePlan(
                    r.person_id, r.reference, display_name(r.given_name, r.preferred_name, r.family_name),
                    r.id, r.expected_release, (r.expected_release - today).days, status,
                    open_counts.get(r.id, 0)))
            out.sort(key=lambda p: (p.release, p.reference))
            return out


def create_example_template(uow: UnitOfWork) -> int:
    """The issue's example template, in ``uow``'s transaction; returns its id."""
    name, description, steps = EXAMPLE_TEMPLATE
    row = uow.add(ContinuityTemplateRow, ContinuityTemplate(name, description))
    for i, (title, ptype, kind, offset, shift, text) in enumerate(steps):
        uow.add(TemplateStepRow, TemplateStep(row.id, title, ptype, kind, offset, shift, text,
                                              position=i))
    uow.audit(AuditOperation.COLLECTION, "continuity_template", row.id, f"steps={len(steps)}")
    return row.id
