"""The forms for people, groups, partners and actions, and for a person's group
memberships, influencers and cohort places: field tables and how to open them.

Each ``edit_*`` function fetches what the form needs on the worker (the record
and the partners to choose from), then opens a :class:`RecordDialog`. Pass
``None`` as the id for a new record. Every saved change goes on the undo stack;
``end_membership`` and ``remove_*`` make their change at once, undoably.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

import dataclasses

from ..domain.enums import (
    ActionKind, ActionStatus, GroupType, InfluencerKind, LegalStatus, Need, PartnerType,
    RiskLevel,
)
from ..domain.model import Action, CohortMember, Group, Influencer, Membership, Partner, Person
from .context import AppContext
from .errors import show_failure
from .forms import (
    Field, RemoveRecordCommand, SaveRecordCommand, change_and_push, open_record_dialog,
)

PERSON_FIELDS = [
    Field("reference", "&Reference", placeholder="left empty: the next free FD- number",
          help="FD-0042: shown wherever a name must not be"),
    Field("given_name", "&Given name"),
    Field("family_name", "&Family name"),
    Field("preferred_name", "&Preferred name"),
    Field("aliases", "&Aliases", "list", placeholder="street names, separated by commas"),
    Field("date_of_birth", "Date of &birth", "date"),
    Field("address", "Address", "multiline"),
    Field("postcode", "Postcode"),
    Field("legal_status", "&Legal status", "enum", LegalStatus),
    Field("legal_status_end", "Licence or probation &ends", "date"),
    Field("custody_release", "Expected release from &custody", "date"),
    Field("supervising_partner_id", "&Supervising partner", "choice"),
    Field("risk_level", "Ris&k level", "enum", RiskLevel),
    Field("needs", "&Needs", "flags", Need),
    Field("review_date", "Re&view date", "date", help="when the record is reviewed for retention"),
    Field("notes", "N&otes", "multiline"),
]
GROUP_FIELDS = [
    Field("name", "&Name"),
    Field("type", "&Type", "enum", GroupType),
    Field("area", "&Area"),
    Field("description", "&Description", "multiline"),
]
PARTNER_FIELDS = [
    Field("name", "&Name"),
    Field("type", "&Type", "enum", PartnerType),
    Field("lead_contact", "&Lead contact"),
    Field("contact_details", "&Contact details", "multiline"),
    Field("isa_reference", "&Information-sharing agreement"),
    Field("isa_start", "Agreement &starts", "date"),
    Field("isa_end", "Agreement &ends", "date"),
]
_MEMBERSHIP_DETAILS = [
    Field("role", "&Role", placeholder="member, leader, associate, runner…"),
    Field("start", "&Since", "date"),
    Field("end", "&Until", "date", help="left empty while they are a member; "
                                        "the day it ended, once it has"),
]
MEMBERSHIP_FIELDS = [Field("group_id", "&Group", "choice"), *_MEMBERSHIP_DETAILS]
MEMBER_FIELDS = [Field("person_id", "&Person", "choice"), *_MEMBERSHIP_DETAILS]
INFLUENCER_FIELDS = [
    Field("name", "&Name"),
    Field("kind", "&Kind", "enum", InfluencerKind),
    Field("relationship", "&Relationship", placeholder="mother, youth worker, imam…"),
    Field("contact", "&Contact", placeholder="how to reach them"),
    Field("notes", "N&otes", "multiline"),
]
COHORT_FIELDS = [
    Field("cohort_id", "&Cohort", "choice"),
    Field("reason", "&Reason", "multiline", help="why this person is in the cohort"),
]
ACTION_FIELDS = [
    Field("partner_id", "&Partner", "choice"),
    Field("kind", "&Kind", "enum", ActionKind),
    Field("description", "&Description", "multiline"),
    Field("assignee", "&Assignee"),
    Field("due_date", "D&ue date", "date"),
    Field("status", "&Status", "enum", ActionStatus),
    Field("outcome", "&Outcome", "multiline"),
    Field("notes", "N&otes", "multiline"),
]


def _partner_choices(partners, none_label: str | None = "— none —"):
    out = [(None, none_label)] if none_label is not None else []
    return out + [(p.id, p.name) for p in partners]


def edit_person(ctx: AppContext, parent: QWidget, person_id: int | None,
                on_saved: Callable | None = None) -> None:
    def load(s):
        person = s.people.get(person_id) if person_id is not None else \
            Person(reference="", given_name="", family_name="")
        return person, s.partners.all()

    def show(result):
        if not ctx.unlocked:            # locked while the form was loading
            return
        person, partners = result
        ref = person.reference or "new person"
        open_record_dialog(
            ctx, parent, kind="person",
            title=f"Person {person.reference}" if person.id else "New person",
            fields=PERSON_FIELDS, record=person,
            create=lambda s, r: s.people.create(r), update=lambda s, r: s.people.update(r),
            choices={"supervising_partner_id": _partner_choices(partners)},
            undo_text=f"Edit person {ref}", on_saved=on_saved,
            saved_text=(lambda r: f"Saved {r.reference}") if person.id else "")
    ctx.call(load, show, lambda e: show_failure(parent, e), label="open person form")


def edit_group(ctx: AppContext, parent: QWidget, group_id: int | None,
               on_saved: Callable | None = None) -> None:
    def show(group):
        if not ctx.unlocked:
            return
        open_record_dialog(
            ctx, parent, kind="group", title="Group" if group.id else "New group",
            fields=GROUP_FIELDS, record=group,
            create=lambda s, r: s.groups.create(r), update=lambda s, r: s.groups.update(r),
            undo_text=f"Edit group {group.id or ''}".strip(), on_saved=on_saved,
            saved_text="Saved the group")
    if group_id is None:
        show(Group(name=""))
    else:
        ctx.call(lambda s: s.groups.get(group_id), show, lambda e: show_failure(parent, e))


def edit_partner(ctx: AppContext, parent: QWidget, partner_id: int | None,
                 on_saved: Callable | None = None) -> None:
    def show(partner):
        if not ctx.unlocked:
            return
        open_record_dialog(
            ctx, parent, kind="partner", title="Partner" if partner.id else "New partner",
            fields=PARTNER_FIELDS, record=partner,
            create=lambda s, r: s.partners.create(r), update=lambda s, r: s.partners.update(r),
            undo_text=f"Edit partner {partner.name}", on_saved=on_saved,
            saved_text="Saved the partner")
    if partner_id is None:
        show(Partner(name="", type=PartnerType.OTHER))
    else:
        ctx.call(lambda s: s.partners.get(partner_id), show, lambda e: show_failure(parent, e))


def edit_action(ctx: AppContext, parent: QWidget, action_id: int | None, *,
                person_id: int | None = None, group_id: int | None = None,
                subject: str = "", on_saved: Callable | None = None) -> None:
    """Edit an action, or a new one about ``person_id`` or ``group_id``."""
    def load(s):
        partners = s.partners.all()
        if action_id is not None:
            return s.actions.get(action_id), partners
        first = partners[0].id if partners else 0
        return Action(partner_id=first, kind=ActionKind.SUPPORT, description="",
                      person_id=person_id, group_id=group_id), partners

    def show(result):
        if not ctx.unlocked:
            return
        action, partners = result
        intro = f"About {subject}." if subject else ""
        open_record_dialog(
            ctx, parent, kind="action", title=f"Action {action.id}" if action.id else "New action",
            fields=ACTION_FIELDS, record=action,
            create=lambda s, r: s.actions.create(r), update=lambda s, r: s.actions.update(r),
            choices={"partner_id": _partner_choices(partners, None)},
            undo_text=f"Edit action {action.id}", on_saved=on_saved, intro=intro,
            saved_text=lambda r: f"Saved action {r.id}")
    ctx.call(load, show, lambda e: show_failure(parent, e), label="open action form")


# -- a person's groups, influencers and cohorts -------------------------------------------
MEMBERSHIP_KINDS = ("group",)     # the People and Groups pages both reload on "group"


def membership_record(view) -> Membership:
    """The record behind a ``MembershipView`` row."""
    return Membership(view.person_id, view.group_id, view.role, view.start, view.end, view.id)


def edit_membership(ctx: AppContext, parent: QWidget, *, person_id: int | None = None,
                    group_id: int | None = None, membership: Membership | None = None) -> None:
    """Put a person in a group (from the person's page, ``person_id``: choose the group;
    from the group's page, ``group_id``: choose the person), or change ``membership``'s
    role and dates. Either way undoable."""
    from_person = person_id is not None or (membership is not None and group_id is None)

    def load(s):
        if from_person:
            pid = person_id if person_id is not None else membership.person_id
            choices = [(g.id, g.name) for g in s.groups.list()]
            refs = {pid: s.people.get(pid).reference}
        else:
            people = s.people.list()
            choices = [(p.id, f"{p.reference} · {p.display_name}") for p in people]
            refs = {p.id: p.reference for p in people}
        return choices, refs, s.today()

    def show(result):
        if not ctx.unlocked:
            return
        choices, refs, today = result
        if not choices:
            ctx.status_message.emit("Add a group first" if from_person else "Add a person first")
            return
        record = membership or Membership(
            person_id if person_id is not None else choices[0][0],
            group_id if group_id is not None else choices[0][0], "member", today)
        new = record.id is None
        ref = (lambda r: refs.get(r.person_id, "the person"))
        open_record_dialog(
            ctx, parent, kind=MEMBERSHIP_KINDS,
            title=("Add to a group" if from_person else "Add a member") if new
            else "Group membership",
            fields=MEMBERSHIP_FIELDS if from_person else MEMBER_FIELDS, record=record,
            choices={"group_id" if from_person else "person_id": choices},
            create=lambda s, r: s.groups.add_member(r),
            update=lambda s, r: s.groups.update_member(r),
            remove=lambda s, r: s.groups.remove_member(r.id),
            undo_text=lambda r: (f"Add {ref(r)} to a group" if new
                                 else f"Change the group membership of {ref(r)}"),
            saved_text=lambda r: (f"Added {ref(r)} to the group" if new
                                  else f"Saved the group membership of {ref(r)}"))
    ctx.call(load, show, lambda e: show_failure(parent, e), label="open membership form")


def end_membership(ctx: AppContext, parent: QWidget, membership: Membership,
                   reference: str) -> None:
    """End a current membership today (undoable); the record stays, with its dates."""
    def change(s):
        return s.groups.update_member(dataclasses.replace(membership, end=s.today()))
    change_and_push(ctx, parent, change, lambda ended: SaveRecordCommand(
        ctx, MEMBERSHIP_KINDS, f"End the group membership of {reference}",
        lambda s, r: s.groups.update_member(r), membership, ended),
        f"Ended the group membership of {reference}")


def remove_membership(ctx: AppContext, parent: QWidget, membership: Membership,
                      reference: str) -> None:
    """Delete a membership recorded in error (undoable)."""
    change_and_push(ctx, parent, lambda s: s.groups.remove_member(membership.id),
                    lambda removed: RemoveRecordCommand(
                        ctx, MEMBERSHIP_KINDS, f"Remove {reference} from a group",
                        lambda s, r: s.groups.remove_member(r.id),
                        lambda s, r: s.groups.add_member(r), removed),
                    f"Removed {reference} from the group")


def edit_influencer(ctx: AppContext, parent: QWidget, person_id: int, reference: str,
                    influencer: Influencer | None = None) -> None:
    """Add an influencer for a person, or change ``influencer`` (undoable)."""
    record = influencer or Influencer(person_id, "")
    new = record.id is None
    open_record_dialog(
        ctx, parent, kind="person", title="Add an influencer" if new else "Influencer",
        fields=INFLUENCER_FIELDS, record=record,
        create=lambda s, r: s.people.add_influencer(r),
        update=lambda s, r: s.people.update_influencer(r),
        remove=lambda s, r: s.people.remove_influencer(r.id),
        undo_text=f"Add an influencer for {reference}" if new
        else f"Change an influencer of {reference}",
        saved_text=f"Added an influencer for {reference}" if new
        else f"Saved the influencer of {reference}",
        intro=f"Someone who can carry the message to {reference}: family, a community or "
              "faith figure, a former member, a victim's voice.")


def remove_influencer(ctx: AppContext, parent: QWidget, influencer: Influencer,
                      reference: str) -> None:
    change_and_push(ctx, parent, lambda s: s.people.remove_influencer(influencer.id),
                    lambda removed: RemoveRecordCommand(
                        ctx, "person", f"Remove an influencer of {reference}",
                        lambda s, r: s.people.remove_influencer(r.id),
                        lambda s, r: s.people.add_influencer(r), removed),
                    f"Removed an influencer of {reference}")


COHORT_KINDS = ("person", "cohort")     # the person's page, and pages listing cohorts


def add_to_cohort(ctx: AppContext, parent: QWidget, person_id: int, reference: str) -> None:
    """Include a person in a cohort, with the reason (undoable)."""
    def show(cohorts):
        if not ctx.unlocked:
            return
        if not cohorts:
            ctx.status_message.emit("There are no cohorts yet")
            return
        open_record_dialog(
            ctx, parent, kind=COHORT_KINDS, title="Add to a cohort",
            fields=COHORT_FIELDS, record=CohortMember(cohorts[0].id, person_id, ""),
            choices={"cohort_id": [(c.id, c.name) for c in cohorts]},
            create=lambda s, r: s.cohorts.add_member(r), update=lambda s, r: r,
            remove=lambda s, r: s.cohorts.remove_member(r.cohort_id, r.person_id),
            undo_text=f"Add {reference} to a cohort",
            saved_text=f"Added {reference} to the cohort")
    ctx.call(lambda s: s.cohorts.list(), show, lambda e: show_failure(parent, e),
             label="open cohort form")


def remove_from_cohort(ctx: AppContext, parent: QWidget, cohort_id: int, person_id: int,
                       reference: str) -> None:
    change_and_push(ctx, parent, lambda s: s.cohorts.remove_member(cohort_id, person_id),
                    lambda removed: RemoveRecordCommand(
                        ctx, COHORT_KINDS, f"Remove {reference} from a cohort",
                        lambda s, r: s.cohorts.remove_member(r.cohort_id, r.person_id),
                        lambda s, r: s.cohorts.add_member(r), removed),
                    f"Removed {reference} from the cohort")
