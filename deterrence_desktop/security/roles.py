"""What each role may do, in one table, for the GUI to hide what a role cannot do.

The services enforce the same rules themselves (``Service.require`` and the
partner-officer scope) and audit every refusal; this table only lets the UI
avoid offering them. ``tests/unit/test_roles_table.py`` checks the two agree.
"""
from __future__ import annotations

from enum import StrEnum

from ..domain.enums import Role


class Can(StrEnum):
    SEE_ALL_PEOPLE = "see_all_people"          # partner officers: only those their actions concern
    EDIT_PEOPLE = "edit_people"                # people and their influencers
    EDIT_ACTIONS = "edit_actions"              # partner officers: their own agency's only
    EDIT_GROUPS = "edit_groups"
    EDIT_COHORTS = "edit_cohorts"
    RECORD_COMMUNICATIONS = "record_communications"
    MANAGE_PARTNERS = "manage_partners"
    MANAGE_USERS = "manage_users"
    MANAGE_CATALOGUE = "manage_catalogue"
    EXPORT_NAMES = "export_names"              # trackers with names, letters
    PRINT_LETTERS = "print_letters"
    REVIEW_RETENTION = "review_retention"      # keep or erase
    SEE_RETENTION_QUEUE = "see_retention_queue"
    BACKUP_RESTORE = "backup_restore"
    SEE_AUDIT_LOG = "see_audit_log"
    CHANGE_SETTINGS = "change_settings"
    RECORD_OUTCOMES = "record_outcomes"        # partner officers: their own agency's only
    SEE_EVALUATION = "see_evaluation"          # aggregates, the board report, the table export


_ALL = frozenset(Can)
RULES: dict[Role, frozenset[Can]] = {
    Role.COORDINATOR: _ALL,
    Role.ANALYST: frozenset({Can.SEE_ALL_PEOPLE, Can.EDIT_GROUPS, Can.EDIT_COHORTS,
                             Can.SEE_RETENTION_QUEUE, Can.SEE_AUDIT_LOG, Can.SEE_EVALUATION}),
    Role.PARTNER_OFFICER: frozenset({Can.EDIT_ACTIONS, Can.RECORD_COMMUNICATIONS,
                                     Can.RECORD_OUTCOMES, Can.EXPORT_NAMES, Can.PRINT_LETTERS}),
}


def can(actor_or_role, what: Can) -> bool:
    """True when the actor (or role) may do ``what``."""
    role = Role(getattr(actor_or_role, "role", actor_or_role))
    return Can(what) in RULES[role]
