"""Excel action trackers: what goes out to a partner, and what its return may change.

Export: the partner decides what goes out. A partner's tracker holds only that
partner's actions, and only people's partnership references unless the
coordinator chooses names; exporting to a partner whose information-sharing
agreement is not in force needs an explicit override. Each export is audited as
a disclosure to the partner (rows, fields), in the transaction that read the rows;
the file is moved into place only after that transaction has committed.

Each export has an id, and its hidden sheet carries the audit chain's head and a
seal (an HMAC keyed by a secret that exists only inside the encrypted workspace,
made on the first export). A return is read only if its seal verifies: the partner,
the export and its actions and versions are then the ones this workspace sent, and
a row for any other action is an error. A tracker exported before seals existed is
refused with a request to export afresh.

Import: :meth:`TrackerService.check_return` is the dry run. It reads the file
(refusing hostile files, see :mod:`..exports.tracker_return`) and compares it with
the workspace, row by row: what would change (status, outcome, notes, due date),
what conflicts (the action changed in the workspace after the export) and what is
wrong. It writes nothing. :meth:`TrackerService.apply_return` then applies the
accepted rows in one transaction, each audited as an alteration from that
partner's return, or applies none of them.
"""
from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from ..domain.enums import ActionStatus, AuditOperation, Role
from ..domain.errors import ConflictError, DeterrenceError, ValidationError
from ..domain.model import MAX_NOTE, Action, Partner
from ..exports.tracker_return import ReadLimits, read_tracker
from ..exports.tracker_xlsx import (
    DATA_SHEET, STATUS_LABELS, TrackerFileError, TrackerMeta, TrackerRow, atomic_output,
    cell_text, digest_part, remove_leftovers, safe_text, write_tracker_file,
)
from ..store.mapping import to_record
from ..store.tables import (
    ActionRow, GroupRow, PartnerRow, PartnershipRow, PersonRow, WorkspaceMeta,
)
from ..store.tables_custody import ContinuityPlanRow, CustodyEpisodeRow, PlanActionRow
from . import audit
from .base import Service

if TYPE_CHECKING:
    from .outcome_returns import OutcomeReturnRow
from .partners import isa_state

__all__ = [
    "TrackerService", "AgreementNotInForce", "TrackerFileError", "TrackerExport", "RowState",
    "FieldChange", "ReturnRow", "ReturnPlan", "ApplyResult", "EDITABLE", "IN_FORCE_STATES",
    "SEAL_KEY", "clean_leftovers",
]

Progress = Callable[[int, int, str], None]

IN_FORCE_STATES = ("in force", "ends soon")
# Columns a partner may change, and the action field each one sets.
EDITABLE = {"Status": "status", "Outcome": "outcome", "Notes": "notes", "Due date": "due_date"}
_FIELD_LABELS = {v: k for k, v in EDITABLE.items()}
_STATUS_BY_TEXT = {}
for _s in ActionStatus:
    _STATUS_BY_TEXT[_s.value.casefold()] = _s.value
    _STATUS_BY_TEXT[STATUS_LABELS[_s.value].casefold()] = _s.value
    _STATUS_BY_TEXT[_s.value.replace("_", " ").casefold()] = _s.value
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y",
                 "%Y-%m-%d %H:%M:%S")
_CHUNK = 900          # ids per IN (...) query
SEAL_KEY = "tracker_seal_key"    # workspace_meta: the secret trackers are sealed with (hex)


def clean_leftovers(*folders: Path | str) -> int:
    """Remove what killed tracker exports left behind (temporary workbooks beside an
    export, earlier versions' staging folders) in ``folders`` and the system temp
    folder. For the app to call at start; each export also cleans its own folder.
    Returns how many were removed."""
    seen: set[Path] = set()
    removed = 0
    for folder in (*folders, tempfile.gettempdir()):
        folder = Path(folder)
        if folder not in seen:
            seen.add(folder)
            removed += remove_leftovers(folder)
    return removed


class AgreementNotInForce(DeterrenceError):
    """Exporting to this partner needs an explicit override (the agreement is not in force)."""


class RowState(StrEnum):
    CHANGE = "change"
    CONFLICT = "conflict"
    ERROR = "error"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class TrackerExport:
    path: Path
    rows: int
    recipient: str
    partner_id: int | None
    names: bool
    agreement: str           # the agreement's state at export ("in force", "ended", ...)
    overridden: bool
    export_id: str = ""


@dataclass(frozen=True)
class FieldChange:
    field: str               # action field: status, outcome, notes, due_date
    old: object
    new: object

    @property
    def column(self) -> str:
        return _FIELD_LABELS[self.field]


@dataclass(frozen=True)
class ReturnRow:
    line: int                        # the row number in the Actions sheet
    action_id: int | None
    state: RowState
    changes: tuple[FieldChange, ...] = ()
    message: str = ""
    exported_version: int | None = None
    current_version: int | None = None   # the action's version when the dry run read it

    @property
    def acceptable(self) -> bool:
        return self.state in (RowState.CHANGE, RowState.CONFLICT)


@dataclass(frozen=True)
class ReturnPlan:
    """The dry run of one returned tracker."""
    file_name: str
    file_sha256: str
    workspace_id: str
    partner_id: int | None
    partner_name: str
    exported_at: str
    rows: tuple[ReturnRow, ...]
    problems: tuple[str, ...] = ()       # about the whole file (a missing column, ...)
    export_id: str = ""
    # The partner's Outcomes sheet, row by row (services/outcome_returns.py).
    outcomes: tuple["OutcomeReturnRow", ...] = ()

    @property
    def recipient(self) -> str:
        """Who the tracker was sent to, as the dry run names it."""
        return self.partner_name or "the whole partnership (all partners)"

    @property
    def export_label(self) -> str:
        """The export this is a return of: its id and when it was made."""
        when = self.exported_at.replace("T", " ")
        return f"export {self.export_id} of {when} UTC"

    def count(self, state: RowState) -> int:
        return sum(1 for r in self.rows if r.state == state)

    @property
    def changes(self) -> tuple[ReturnRow, ...]:
        return tuple(r for r in self.rows if r.state == RowState.CHANGE)

    @property
    def conflicts(self) -> tuple[ReturnRow, ...]:
        return tuple(r for r in self.rows if r.state == RowState.CONFLICT)

    @property
    def errors(self) -> tuple[ReturnRow, ...]:
        return tuple(r for r in self.rows if r.state == RowState.ERROR)

    def default_accepted(self) -> set[int]:
        """Changes are accepted unless unticked; conflicts only when ticked."""
        return {r.action_id for r in self.rows if r.state == RowState.CHANGE}

    def outcome_count(self, state: RowState) -> int:
        return sum(1 for r in self.outcomes if r.state == state)

    def default_accepted_outcomes(self) -> set[int]:
        """New outcomes (by their row in the Outcomes sheet) are accepted unless unticked;
        conflicts only when ticked."""
        return {r.line for r in self.outcomes if r.state == RowState.CHANGE}


@dataclass(frozen=True)
class ApplyResult:
    applied: int
    fields: int
    action_ids: tuple[int, ...] = field(default=(), repr=False)
    outcomes: int = 0                   # outcome events added from the Outcomes sheet


class TrackerService(Service):
    # -- export ------------------------------------------------------------------
    def export(self, path: Path | str, partner_id: int | None = None, names: bool = False,
               force: bool = False, progress: Progress | None = None,
               create_folder: bool = False) -> TrackerExport:
        """Write a tracker to ``path``: one partner's actions, or the whole partnership's.

        ``create_folder``: make the folder if it does not exist yet (for the default
        folder the app suggests, e.g. Documents on a fresh account); otherwise a missing
        folder is refused with a clear message."""
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.DISCLOSURE,
                     entity="action")
        if names:
            self.require_names_export("action", "tracker")
        path = Path(path)
        if path.suffix.lower() != ".xlsx":
            raise ValidationError("path", "a tracker is saved as an .xlsx file")
        if create_folder and not path.parent.is_dir():
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise TrackerFileError(f"The folder {path.parent} cannot be created "
                                       f"({exc.strerror or type(exc).__name__})") from None
        today = self.app.today()
        partner: Partner | None = None
        state = "n/a"
        if partner_id is not None:
            partner = self.app.partners.get(partner_id)
            state, warning = isa_state(partner, today)
            if state not in IN_FORCE_STATES and not force:
                raise AgreementNotInForce(
                    f"{warning} Exporting a tracker to {partner.name} needs an explicit override.")
        recipient = partner.name if partner else "all partners"
        workspace_id = self.app.workspace.workspace_id
        export_id = secrets.token_hex(6)
        with atomic_output(path) as tmp:
            with self.tx() as uow:
                s = uow.session
                key = self._seal_key(s, create=True)
                q = self._export_query(partner_id, names)
                total = s.scalar(select(func.count()).select_from(ActionRow).where(
                    *([ActionRow.partner_id == partner_id] if partner_id is not None else [])))
                partnership = s.scalar(select(PartnershipRow.name).limit(1)) or ""
                anchor = self.app.anchors.take(uow, f"tracker {export_id} to {recipient}")
                meta = TrackerMeta(workspace_id=workspace_id,
                                   exported_at=self.utcnow().replace(microsecond=0),
                                   partner_id=partner_id, partner_name=partner.name if partner else "",
                                   partnership_name=partnership, names=names, today=today,
                                   export_id=export_id, audit_head=f"{anchor.seq}:{anchor.hash}")
                report = (lambda n: progress(n, total, "Writing the tracker")) if progress else None
                if progress:
                    progress(0, total, "Writing the tracker")
                stats = write_tracker_file(
                    tmp, self._tracker_rows(s.execute(q.execution_options(yield_per=2000)), names),
                    meta, report, seal_key=key)
                fields = ["id", "person_reference", "group_name", "description", "kind",
                          "partner", "assignee", "due_date", "release_date", "status", "outcome",
                          "notes", "updated_at", "version"]
                if names:
                    fields.insert(2, "person_name")
                detail = (f"tracker; export={export_id}; rows={stats.rows}; "
                          f"fields={','.join(fields)}; "
                          f"names={'yes' if names else 'no'}; agreement={state}"
                          + ("; override=yes" if force and state not in IN_FORCE_STATES
                             and partner is not None else ""))
                uow.audit(AuditOperation.DISCLOSURE, "action",
                          f"partner:{partner_id}" if partner_id is not None else "all",
                          detail, recipient=recipient)
        return TrackerExport(path, stats.rows, recipient, partner_id, names, state,
                             force and partner is not None and state not in IN_FORCE_STATES,
                             export_id)

    @staticmethod
    def _seal_key(session, create: bool = False) -> bytes | None:
        """The secret trackers are sealed with; it never leaves the encrypted workspace.
        Made (32 random bytes) by the first export; None before that."""
        row = session.get(WorkspaceMeta, SEAL_KEY)
        if row is None and create:
            row = WorkspaceMeta(key=SEAL_KEY, value=secrets.token_bytes(32).hex())
            session.add(row)
            session.flush()
        try:
            return bytes.fromhex(row.value) if row is not None else None
        except ValueError:
            return None

    @staticmethod
    def _export_query(partner_id: int | None, names: bool):
        cols = [ActionRow.id, PersonRow.reference, GroupRow.name, ActionRow.description,
                ActionRow.kind, PartnerRow.name, ActionRow.assignee, ActionRow.due_date,
                ActionRow.status, ActionRow.outcome, ActionRow.notes, ActionRow.updated_at,
                ActionRow.version, ActionRow.person_id,
                func.coalesce(CustodyEpisodeRow.actual_release, CustodyEpisodeRow.expected_release)]
        if names:       # names are read only when the coordinator chose to send them
            cols += [PersonRow.given_name, PersonRow.preferred_name, PersonRow.family_name]
        q = (select(*cols).join(PartnerRow, PartnerRow.id == ActionRow.partner_id)
             .outerjoin(PersonRow, PersonRow.id == ActionRow.person_id)
             .outerjoin(GroupRow, GroupRow.id == ActionRow.group_id)
             # an action of a continuity plan shows the release date it depends on
             .outerjoin(PlanActionRow, PlanActionRow.action_id == ActionRow.id)
             .outerjoin(ContinuityPlanRow, ContinuityPlanRow.id == PlanActionRow.plan_id)
             .outerjoin(CustodyEpisodeRow, CustodyEpisodeRow.id == ContinuityPlanRow.episode_id))
        if partner_id is not None:
            q = q.where(ActionRow.partner_id == partner_id)
        return q.order_by(PartnerRow.name, ActionRow.due_date.is_(None), ActionRow.due_date,
                          ActionRow.id)

    @staticmethod
    def _tracker_rows(result, names: bool) -> Iterator[TrackerRow]:
        for r in result:
            if r[13] is not None:        # about a person
                if names:
                    subject = f"{r[16] or r[15]} {r[17]}".strip()
                else:
                    subject = "Person"
                reference = r[1] or ""
            else:
                subject, reference = (f"Group: {r[2]}" if r[2] else ""), ""
            yield TrackerRow(
                action_id=r[0], reference=reference, subject=subject, description=r[3],
                kind=r[4], partner=r[5], assignee=r[6] or "", due_date=r[7], status=r[8],
                outcome=r[9] or "", notes=r[10] or "", updated_at=r[11], version=r[12],
                release_date=r[14])

    # -- import: dry run ------------------------------------------------------------
    def check_return(self, path: Path | str, progress: Progress | None = None,
                     limits: ReadLimits = ReadLimits()) -> ReturnPlan:
        """Read a returned tracker and say, row by row, what applying it would do.

        Raises :class:`TrackerFileError` when the file as a whole cannot be used.
        Changes nothing in the workspace.
        """
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.CONSULTATION,
                     entity="action")
        path = Path(path)
        if progress:
            progress(0, 0, "Checking the file")
        report = (lambda n: progress(n, 0, "Reading rows")) if progress else None
        returned = read_tracker(path, limits, report)
        if returned.workspace_id != self.app.workspace.workspace_id:
            raise TrackerFileError("This tracker was exported from another workspace: "
                                   "it cannot be imported here")
        ids = set()
        for _line, values in returned.rows:
            aid = _action_id(values[returned.columns["Action id"]])
            if type(aid) is int:         # not None, not False (no usable id)
                ids.add(aid)
        with self.tx() as uow:
            s = uow.session
            if not returned.sealed_by(self._seal_key(s)):
                raise TrackerFileError(
                    f"The tracker's hidden {DATA_SHEET} sheet is not as this workspace exported "
                    "it (it was changed, or made elsewhere), so the return cannot be trusted: "
                    "nothing was imported. Ask the partner to fill in the tracker as it was "
                    "sent, or export a fresh one")
            partner_name = ""
            if returned.partner_id is not None:
                partner_row = s.get(PartnerRow, returned.partner_id)
                if partner_row is None:
                    raise TrackerFileError("The partner this tracker was sent to is no longer "
                                           "in the workspace")
                partner_name = partner_row.name
            current: dict[int, tuple] = {}
            id_list = sorted(ids)
            for i in range(0, len(id_list), _CHUNK):
                chunk = id_list[i:i + _CHUNK]
                for r in s.execute(select(
                        ActionRow.id, ActionRow.partner_id, ActionRow.status, ActionRow.outcome,
                        ActionRow.notes, ActionRow.due_date, ActionRow.version)
                        .where(ActionRow.id.in_(chunk))):
                    current[r[0]] = tuple(r)
            from .outcome_returns import check_outcomes
            outcome_rows = check_outcomes(s, returned, returned.partner_id, self.today())
        problems = list(returned.notes)
        for h in returned.missing_columns:
            if h in EDITABLE:
                problems.append(f"The '{h}' column is missing: "
                                f"{EDITABLE[h].replace('_', ' ')} values are left as they are")
        rows = []
        seen: set[int] = set()
        total = len(returned.rows)
        for n, (line, values) in enumerate(returned.rows, 1):
            rows.append(self._compare(line, values, returned, current, seen))
            if progress and n % 2000 == 0:
                progress(n, total, "Comparing rows")
        return ReturnPlan(
            file_name=path.name, file_sha256=returned.sha256, workspace_id=returned.workspace_id,
            partner_id=returned.partner_id, partner_name=partner_name,
            exported_at=returned.exported_at, rows=tuple(rows), problems=tuple(problems),
            export_id=returned.export_id, outcomes=tuple(outcome_rows))

    @staticmethod
    def _compare(line: int, values: tuple, returned, current: dict[int, tuple],
                 seen: set[int]) -> ReturnRow:
        cols = returned.columns

        def cell(header: str):
            pos = cols.get(header)
            return None if pos is None or pos >= len(values) else values[pos]

        aid = _action_id(cell("Action id"))
        if aid is None:
            return ReturnRow(line, None, RowState.ERROR, message="the action id is missing")
        if aid is False:
            return ReturnRow(line, None, RowState.ERROR, message="the action id is not a number")
        if aid in seen:
            return ReturnRow(line, aid, RowState.ERROR,
                             message="this action appears more than once in the file")
        seen.add(aid)
        exported_version = returned.versions.get(aid)
        if exported_version is None:
            return ReturnRow(line, aid, RowState.ERROR,
                             message="this action id was not in the exported tracker")
        now = current.get(aid)
        if now is None:
            return ReturnRow(line, aid, RowState.ERROR, exported_version=exported_version,
                             message="unknown action id: no such action in the workspace")
        _id, partner_id, status, outcome, notes, due, version = now
        if returned.partner_id is not None and partner_id != returned.partner_id:
            return ReturnRow(line, aid, RowState.ERROR, exported_version=exported_version,
                             current_version=version,
                             message="this action belongs to another partner")
        errors: list[str] = []
        changes: list[FieldChange] = []
        digest = returned.digests.get(aid)
        exported = digest.split(".") if digest else None

        def touched(i: int, text: str) -> bool:
            """Did the partner change field ``i``? (Unknown without the digest: compare.)"""
            return exported is None or digest_part(text) != exported[i]

        if "Status" in cols:
            raw = cell("Status")
            text = safe_text(raw).strip().casefold() if raw is not None else ""
            new_status = _STATUS_BY_TEXT.get(text)
            if not text:
                errors.append("the status is empty")
            elif new_status is None:
                errors.append("the status is not one of: " + ", ".join(STATUS_LABELS.values()))
            elif new_status != status and touched(0, new_status):
                changes.append(FieldChange("status", status, new_status))
        if "Due date" in cols:
            new_due = _date(cell("Due date"))
            if new_due is False:
                errors.append("the due date is not a date")
            elif new_due != due and touched(1, new_due.isoformat() if new_due else ""):
                changes.append(FieldChange("due_date", due, new_due))
        for i, header, name, old in ((2, "Outcome", "outcome", outcome),
                                     (3, "Notes", "notes", notes)):
            if header not in cols:
                continue
            new = cell_text(cell(header))
            if len(new) > MAX_NOTE:
                errors.append(f"the {name} is too long ({len(new):,} characters; "
                              f"at most {MAX_NOTE:,})")
            elif new != cell_text(old) and touched(i, new):
                changes.append(FieldChange(name, old or "", new))
        if errors:
            return ReturnRow(line, aid, RowState.ERROR, exported_version=exported_version,
                             current_version=version, message="; ".join(errors))
        if not changes:
            return ReturnRow(line, aid, RowState.UNCHANGED, exported_version=exported_version,
                             current_version=version)
        if version != exported_version:
            return ReturnRow(line, aid, RowState.CONFLICT, tuple(changes),
                             "the action was changed in the workspace after the export",
                             exported_version, version)
        return ReturnRow(line, aid, RowState.CHANGE, tuple(changes), "", exported_version, version)

    # -- import: apply -------------------------------------------------------------------
    def apply_return(self, plan: ReturnPlan, accept: Iterable[int] | None = None,
                     progress: Progress | None = None,
                     accept_outcomes: Iterable[int] | None = None) -> ApplyResult:
        """Apply the accepted rows of a dry run (default: every change, no conflict), and
        the accepted rows of its Outcomes sheet (by row number; default: every new one).

        All or nothing: if any accepted action changed since the dry run, or an accepted
        outcome was recorded since, nothing is applied (:class:`ConflictError`); check the
        file again.
        """
        self.require(Role.COORDINATOR, entity="action")
        if plan.workspace_id != self.app.workspace.workspace_id:
            raise TrackerFileError("This tracker was exported from another workspace")
        wanted = plan.default_accepted() if accept is None else set(accept)
        by_id = {r.action_id: r for r in plan.rows if r.action_id is not None}
        chosen: list[ReturnRow] = []
        for aid in sorted(wanted):
            r = by_id.get(aid)
            if r is None:
                raise ValidationError("accept", f"action {aid} is not in this return")
            if r.state == RowState.UNCHANGED:
                continue
            if not r.acceptable:
                raise ValidationError("accept", f"row {r.line} has errors and cannot be applied")
            chosen.append(r)
        wanted_outcomes = (plan.default_accepted_outcomes() if accept_outcomes is None
                           else set(accept_outcomes))
        by_line = {r.line: r for r in plan.outcomes}
        chosen_outcomes = []
        for line in sorted(wanted_outcomes):
            r = by_line.get(line)
            if r is None:
                raise ValidationError("accept_outcomes", f"row {line} is not in the Outcomes sheet")
            if r.state == RowState.UNCHANGED:
                continue
            if not r.acceptable:
                raise ValidationError("accept_outcomes", f"row {line} of the Outcomes sheet has "
                                      "errors and cannot be applied")
            chosen_outcomes.append(r)
        source = (f"tracker return from partner {plan.partner_id}" if plan.partner_id is not None
                  else "tracker return (all partners)") + f"; export={plan.export_id}"
        n_fields = 0
        with self.tx() as uow:
            ids = [r.action_id for r in chosen]
            for i in range(0, len(ids), _CHUNK):      # one query per chunk, then the map
                chunk = ids[i:i + _CHUNK]
                uow.session.scalars(select(ActionRow).where(ActionRow.id.in_(chunk))).all()
            for n, r in enumerate(chosen, 1):
                row = uow.session.get(ActionRow, r.action_id)
                if row is None or row.version != r.current_version:
                    raise ConflictError(f"Action {r.action_id} changed after the file was checked: "
                                        "nothing was applied. Check the file again")
                if plan.partner_id is not None and row.partner_id != plan.partner_id:
                    raise ConflictError(f"Action {r.action_id} now belongs to another partner: "
                                        "nothing was applied")
                record = to_record(row, Action)
                record = replace(record, **{c.field: c.new for c in r.changes})
                try:
                    record.validate()
                except ValidationError as exc:
                    raise ValidationError(
                        {f"row {r.line}": "; ".join(f"{k} {v}" for k, v in exc.errors.items())}
                    ) from None
                for c in r.changes:
                    value = c.new.value if isinstance(c.new, StrEnum) else c.new
                    setattr(row, c.field, value)
                uow.audit(AuditOperation.ALTERATION, "action", row.id,
                          "fields=" + ",".join(sorted(c.field for c in r.changes))
                          + f"; source={source}; file_sha256={plan.file_sha256[:16]}")
                n_fields += len(r.changes)
                if progress and n % 500 == 0:
                    progress(n, len(chosen), "Applying changes")
            uow.session.flush()
            from .outcome_returns import apply_outcomes
            n_outcomes = apply_outcomes(uow, chosen_outcomes, source, plan.file_sha256)
        return ApplyResult(len(chosen), n_fields, tuple(r.action_id for r in chosen), n_outcomes)


def _action_id(value) -> int | None | bool:
    """The action id in a cell: an int, None when empty, False when it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value if value > 0 else False
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else False
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 12:
        v = int(value.strip())
        return v if v > 0 else False
    return False


def _date(value) -> date | None | bool:
    """A returned due date: a date, None when empty, False when it is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    return False
