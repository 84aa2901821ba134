"""The forms for people, groups, partners and actions: field tables and how to open them.

Each ``edit_*`` function fetches what the form needs on the worker (the record
and the partners to choose from), then opens a :class:`RecordDialog`. Pass
``None`` as the id for a new record.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from ..domain.enums import (
    ActionKind, ActionStatus, GroupType, LegalStatus, Need, PartnerType, RiskLevel,
)
from ..domain.model import Action, Group, Partner, Person
from .context import AppContext
from .errors import show_failure
from .forms import Field, open_record_dialog

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
            undo_text=f"Edit person {ref}", on_saved=on_saved)
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
            undo_text=f"Edit group {group.id or ''}".strip(), on_saved=on_saved)
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
            undo_text=f"Edit partner {partner.name}", on_saved=on_saved)
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
            undo_text=f"Edit action {action.id}", on_saved=on_saved, intro=intro)
    ctx.call(load, show, lambda e: show_failure(parent, e), label="open action form")
