"""Excel action trackers: the workbook a partner receives, and the layout its return is read by.

The workbook is written with openpyxl in write-only (streaming) mode, so 100,000
actions never sit in memory at once. It holds three sheets:

* ``Summary``: open, overdue and done actions by owning partner and kind;
* ``Actions``: one row per action, with a frozen header, an autofilter, a status
  drop-down (data validation), overdue rows highlighted by a conditional format,
  real Excel dates, and print setup (landscape, fit to width, header row repeated,
  the protective marking in the page header and footer);
* ``TrackerData``: hidden and protected; the workspace id, the export's id and time,
  the partner, the audit chain's head, and each row's action ``version``, so a return
  can be matched and conflicts found. The sheet ends with a seal: an HMAC-SHA256, keyed
  by a secret kept in the (encrypted) workspace, over everything the sheet says. A
  return whose seal does not verify is refused, so a partner cannot widen the export
  (blank the partner, add another partner's action) by editing the hidden sheet.

Text is never a formula: a value starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return is written as a text cell (with Excel's quote prefix, so it stays
text when a partner edits it), and characters that XML cannot carry are removed
so that no value can abort an export.

No plaintext temporary files: the Actions sheet streams straight into its entry of
the workbook's zip, and the two small sheets are held in memory until the zip is
written. The zip itself is a temporary file in the target folder, created 0600 (a
recognisable ``.tracker-export-PID-*.xlsx.part``), moved into place with
``os.replace`` only when the caller's work has succeeded and removed on failure; one
left by a killed export is removed at the next export (and by
:func:`remove_leftovers`, which the app calls at start).

No Qt and no database here: rows come in as :class:`TrackerRow`.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet import _writer as _sheet_writer
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.writer.excel import ExcelWriter

from ..domain.enums import ActionKind, ActionStatus, label
from .tracker_outcomes import OUTCOMES_SHEET, prepare_outcomes_sheet, write_outcomes_sheet
from ..domain.errors import DeterrenceError

__all__ = [
    "TrackerRow", "TrackerMeta", "SummaryLine", "ExportStats", "TrackerSeal", "TrackerFileError",
    "atomic_output", "write_tracker", "write_tracker_file", "remove_leftovers", "safe_text",
    "is_risky_text", "cell_text", "meta_text", "field_digest", "digest_part", "ACTIONS_SHEET",
    "SUMMARY_SHEET", "DATA_SHEET", "COLUMNS", "HEADERS", "STATUS_LABELS", "FORMAT",
    "UNSEALED_FORMATS", "SEALED_META", "MARKING", "TEMP_PREFIX",
]

FORMAT = "deterrence-desktop/action-tracker/2"
UNSEALED_FORMATS = ("deterrence-desktop/action-tracker/1",)   # before returns were sealed
SEAL_SCHEME = "hmac-sha256"
# What the seal covers, in this order, then every row line ("action_id:version:fields").
SEALED_META = ("format", "workspace_id", "export_id", "exported_at", "partner_id", "partner",
               "names", "audit_head")
TEMP_PREFIX = ".tracker-export-"
MARKING = "OFFICIAL-SENSITIVE"
SUMMARY_SHEET = "Summary"
ACTIONS_SHEET = "Actions"
DATA_SHEET = "TrackerData"

# (header, width, wrapped). The headers are what a return is read by.
COLUMNS: tuple[tuple[str, float, bool], ...] = (
    ("Action id", 10, False),
    ("Partnership reference", 14, False),
    ("Person or group", 24, False),
    ("Action", 44, True),
    ("Kind", 14, False),
    ("Owning partner", 30, False),
    ("Assignee", 18, False),
    ("Due date", 12, False),
    ("Release date", 12, False),     # a continuity plan's action: the release it is timed by
    ("Status", 13, False),
    ("Outcome", 36, True),
    ("Notes", 36, True),
    ("Last updated", 17, False),
)
HEADERS = tuple(c[0] for c in COLUMNS)
LAST_COL = chr(ord("A") + len(HEADERS) - 1)
DUE_COL, STATUS_COL = (chr(ord("A") + HEADERS.index(h)) for h in ("Due date", "Status"))

STATUS_LABELS: dict[str, str] = {s.value: label(s) for s in ActionStatus}
OPEN_LABELS = tuple(STATUS_LABELS[s.value] for s in ActionStatus if s.is_open)
KIND_LABELS: dict[str, str] = {k.value: label(k) for k in ActionKind}

EXCEL_MAX_TEXT = 32_767
DATE_FORMAT = "dd mmm yyyy"
DATETIME_FORMAT = "dd mmm yyyy hh:mm"

# Characters XML 1.0 cannot carry (openpyxl refuses them), lone surrogates, and
# the two non-characters U+FFFE/U+FFFF. Tab, line feed and carriage return stay.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> str:
    """``value`` as text a workbook can always hold: unsafe characters removed, length capped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = _UNSAFE_CHARS.sub("", text)
    return text[:EXCEL_MAX_TEXT]


def cell_text(value: object) -> str:
    """A cell's value as the text it stands for, the same way on export and on return."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = (value.date().isoformat() if value.time() == datetime.min.time()
                 else value.isoformat(sep=" "))
    elif isinstance(value, date):
        value = value.isoformat()
    return safe_text(value).rstrip()


def field_digest(status: str, due_date: date | None, outcome: str, notes: str) -> str:
    """Short digests of the four editable fields as exported, so the return shows which
    fields the partner changed (and a field the partner left alone never overwrites a
    change made in the workspace meanwhile). Normalised: status value, ISO date, text."""
    parts = (status or "", due_date.isoformat() if due_date else "", cell_text(outcome),
             cell_text(notes))
    return ".".join(digest_part(p) for p in parts)


def digest_part(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def is_risky_text(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (CSV/formula injection)."""
    return text.startswith(_RISKY_START)


@dataclass(frozen=True)
class TrackerRow:
    """One action as it goes out in a tracker (already cut to what the recipient may see)."""
    action_id: int
    reference: str            # the person's partnership reference ("" for a group action)
    subject: str              # the person's name (only when names were chosen) or the group
    description: str
    kind: str
    partner: str
    assignee: str
    due_date: date | None
    status: str
    outcome: str
    notes: str
    updated_at: datetime | None
    version: int
    release_date: date | None = None      # the expected release a continuity plan's action follows


@dataclass(frozen=True)
class TrackerMeta:
    workspace_id: str
    exported_at: datetime
    partner_id: int | None            # None: the whole partnership
    partner_name: str                 # the recipient, or "" for the whole partnership
    partnership_name: str = ""
    names: bool = False
    today: date | None = None
    marking: str = MARKING
    export_id: str = ""               # names this export in the return and the audit trail
    audit_head: str = ""              # "seq:hash" of the audit chain when exported (an anchor)

    def sealed_items(self) -> dict[str, str]:
        """The values the seal covers, as they are written to (and read from) the sheet."""
        return {"format": FORMAT, "workspace_id": safe_text(self.workspace_id),
                "export_id": safe_text(self.export_id),
                "exported_at": self.exported_at.isoformat(timespec="seconds"),
                "partner_id": "" if self.partner_id is None else str(self.partner_id),
                "partner": safe_text(self.partner_name), "names": "yes" if self.names else "no",
                "audit_head": safe_text(self.audit_head)}


def meta_text(value: object) -> str:
    """A metadata cell's value as the text the seal covers (a number read back as 3 or 3.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class TrackerSeal:
    """The HMAC over the TrackerData sheet, fed as the sheet is written or read."""

    def __init__(self, key: bytes, items: dict[str, object]):
        self._mac = hmac.new(key, b"deterrence-desktop tracker seal 1\n", hashlib.sha256)
        for name in SEALED_META:
            self._mac.update(json.dumps([name, meta_text(items.get(name))],
                                        ensure_ascii=True).encode("ascii") + b"\n")

    def row(self, line: str) -> None:
        self._mac.update(line.encode("ascii") + b"\n")

    def value(self) -> str:
        return f"{SEAL_SCHEME}:{self._mac.hexdigest()}"


@dataclass(frozen=True)
class SummaryLine:
    partner: str
    kind: str
    open: int
    overdue: int
    done: int


@dataclass
class ExportStats:
    rows: int = 0
    summary: list[SummaryLine] = field(default_factory=list)


class TrackerFileError(DeterrenceError):
    """A tracker file that cannot be written, read or is refused; the message says why
    (never a value from the file)."""


_LEFTOVER = re.compile(re.escape(TEMP_PREFIX) + r"(\d{1,10})-[A-Za-z0-9_]{4,32}\.xlsx\.part\Z")
# What the staging folders of earlier versions (".tracker-XXXX/") held.
_OLD_STAGING = re.compile(r"\.tracker-[A-Za-z0-9_]{4,32}\Z")
_OLD_STAGED = frozenset({"actions.xml.part", "data.xml.part", "summary.xml.part",
                         "tracker.xlsx.part"})
_ACTIVE: set[str] = set()           # temporary files this process is writing now


@contextlib.contextmanager
def atomic_output(path: Path | str) -> Iterator[Path]:
    """Yield a temporary file beside ``path`` (created empty, mode 0600); move it into
    place only if the block succeeds, remove it whatever else happens.

    Leftovers of earlier exports killed in this folder are removed first.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise TrackerFileError(f"The folder {folder} does not exist: choose a folder that "
                               "exists, or create it first")
    remove_leftovers(folder)
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".xlsx.part",
                                dir=folder)                  # O_EXCL, mode 0600
    os.close(fd)
    _ACTIVE.add(name)
    try:
        yield Path(name)
        os.replace(name, path)
    finally:
        _ACTIVE.discard(name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def remove_leftovers(folder: Path | str) -> int:
    """Remove what killed exports left in ``folder``: this version's temporary workbooks
    (when the process that wrote them is gone) and earlier versions' staging folders.
    Returns how many were removed. Never raises for a folder it cannot read."""
    folder = Path(folder)
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            m = _LEFTOVER.match(entry.name)
            if m and entry.is_file(follow_symlinks=False):
                if str(folder / entry.name) in _ACTIVE or entry.path in _ACTIVE:
                    continue
                if _process_alive(int(m.group(1))):
                    continue
                os.unlink(entry.path)
                removed += 1
            elif _OLD_STAGING.match(entry.name) and entry.is_dir(follow_symlinks=False):
                inside = os.listdir(entry.path)
                if set(inside) <= _OLD_STAGED:
                    shutil.rmtree(entry.path)
                    removed += 1
        except OSError:
            continue                # in use elsewhere (Windows), or gone meanwhile
    return removed


def _process_alive(pid: int) -> bool:
    """Is the export that owns a temporary file still running? (Ours counts only while
    it is in ``_ACTIVE``.) On Windows an open file cannot be removed anyway, so the
    removal itself is the test there."""
    if pid == os.getpid():
        return False
    if os.name == "nt" or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                # PermissionError: someone else's live process
        return True
    return True


class _MemorySheetWriter(_sheet_writer.WorksheetWriter):
    """openpyxl's sheet writer, writing into a stream we own instead of a temp file."""

    def cleanup(self) -> None:
        pass


def _stream_sheet(ws, out) -> None:
    """Make openpyxl write this write-only sheet into ``out`` (a zip entry or memory),
    never into a temporary file."""
    ws._writer = _MemorySheetWriter(ws, out=out)
    ws._writer.write_top()


class _Archive(zipfile.ZipFile):
    """The workbook's zip, for openpyxl's ExcelWriter: a sheet already streamed into its
    entry is not written again, a sheet held in memory is written from memory, and a
    sheet in a file (a temporary file we did not mean to make) is an error."""

    def __init__(self, file, streamed: set[str]):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.streamed = streamed

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        if arcname in self.streamed:
            return
        if isinstance(filename, io.BytesIO):
            self.writestr(arcname, filename.getvalue())
            return
        raise RuntimeError("a tracker sheet was not written in memory")


def _sheet_part(wb: Workbook, ws) -> str:
    """The zip entry openpyxl saves ``ws`` as (sheets are numbered in order, from 1)."""
    return f"xl/worksheets/sheet{wb.worksheets.index(ws) + 1}.xml"


def _marking_and_print(ws, marking: str, landscape: bool = True, grid: bool = True) -> None:
    ws.oddHeader.center.text = marking
    ws.oddHeader.center.size = 10
    ws.oddHeader.center.font = "Arial,Bold"
    ws.oddFooter.center.text = marking
    ws.oddFooter.center.size = 10
    ws.oddFooter.center.font = "Arial,Bold"
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddFooter.right.size = 8
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = grid


class _Styles:
    """Prepared style arrays, copied onto cells (far cheaper than setting fonts per cell)."""

    def __init__(self, wb: Workbook, ws):
        def make(**kw) -> StyleArray:
            cell = WriteOnlyCell(ws, "")
            for k, v in kw.items():
                setattr(cell, k, v)
            return StyleArray(cell._style)

        wrap = Alignment(wrap_text=True, vertical="top")
        top = Alignment(vertical="top")
        self.top = make(alignment=top)
        self.wrap = make(alignment=wrap)
        self.text_top = make(alignment=top, quotePrefix=True)
        self.text_wrap = make(alignment=wrap, quotePrefix=True)
        self.date = make(alignment=top, number_format=DATE_FORMAT)
        self.datetime = make(alignment=top, number_format=DATETIME_FORMAT)
        self.header = make(font=Font(name="Calibri", bold=True, color="FFFFFF"),
                           fill=PatternFill("solid", fgColor="1F3864"),
                           alignment=Alignment(wrap_text=True, vertical="center"),
                           border=Border(bottom=Side(style="thin", color="000000")))
        self.bold = make(font=Font(name="Calibri", bold=True))
        self.marking = make(font=Font(name="Calibri", bold=True, color="C00000", size=12))
        self.title = make(font=Font(name="Calibri", bold=True, size=14))


def _set(cell, value):
    cell.value = value
    return cell


def _cell(ws, value, style: StyleArray) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    cell._style = StyleArray(style)
    return cell


def _text_cell(ws, value: object, styles: _Styles, wrapped, reuse=None):
    """A text value, made safe: a plain string, or ``reuse`` (a styled cell of its column)
    holding it; a fresh text cell when it could be read as a formula."""
    text = safe_text(value)
    if not text:
        return None
    if is_risky_text(text):
        cell = WriteOnlyCell(ws)
        cell.value = text
        cell.data_type = "s"            # never "f": written as an inline string
        cell._style = StyleArray(styles.text_wrap if wrapped else styles.text_top)
        return cell
    if reuse is not None:
        reuse.value = text
        return reuse
    return text


def _direct_rows(ws) -> None:
    """Let a write-only sheet take prepared cells without openpyxl's slow path.

    openpyxl's ``_values_to_row`` first tries to bind each value, and a prepared
    (styled) cell takes the exception path, then a fresh cell is made for the next
    value. This version takes a cell as it is. The writer consumes each cell before
    the next value is looked at, so one styled cell per column can be reused for every
    row. Behaviour is otherwise the same; if openpyxl renames the hook, the standard
    path (slower, same output) is used.
    """
    if not hasattr(ws, "_values_to_row"):
        return

    def values_to_row(values, row_idx):
        plain = WriteOnlyCell(ws)
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            if isinstance(value, Cell):
                cell = value
            else:
                plain.value = value
                cell = plain
            cell.column = col_idx
            cell.row = row_idx
            yield cell
            if cell is plain and plain.has_style:
                plain = WriteOnlyCell(ws)

    ws._values_to_row = values_to_row


def write_tracker_file(tmp: Path | str, rows: Iterable[TrackerRow], meta: TrackerMeta,
                       progress: Callable[[int], None] | None = None,
                       progress_every: int = 1000, seal_key: bytes | None = None) -> ExportStats:
    """Write the tracker workbook to ``tmp`` (normally the path :func:`atomic_output` yields),
    creating it 0600 if it does not exist; no other file is written.

    ``progress(rows_done)`` is called every ``progress_every`` rows; it may raise to
    stop the export. With ``seal_key`` the TrackerData sheet ends with its seal (a file
    without one is refused on return). Returns the row count and the summary lines.
    """
    today = meta.today or meta.exported_at.date()
    wb = Workbook(write_only=True)
    wb.properties.creator = "Deterrence Desktop"
    wb.properties.title = f"Action tracker ({meta.marking})"
    wb.properties.keywords = meta.marking
    wb.properties.category = meta.marking
    wb.properties.created = wb.properties.modified = meta.exported_at.replace(
        tzinfo=None, microsecond=0)
    wb.security = WorkbookProtection(lockStructure=True)

    summary_ws = wb.create_sheet(SUMMARY_SHEET)
    actions_ws = wb.create_sheet(ACTIONS_SHEET)
    outcomes_ws = wb.create_sheet(OUTCOMES_SHEET)      # the partner's outcomes (issue 15)
    data_ws = wb.create_sheet(DATA_SHEET)
    styles = _Styles(wb, actions_ws)
    for i, (_header, width, _wrap) in enumerate(COLUMNS):
        actions_ws.column_dimensions[chr(ord("A") + i)].width = width
    actions_ws.freeze_panes = "A2"
    actions_ws.row_dimensions[1].height = 32
    actions_ws.print_title_rows = "1:1"
    _marking_and_print(actions_ws, meta.marking)
    data_ws.sheet_state = "hidden"
    data_ws.protection.sheet = True
    data_ws.protection.formatCells = True
    data_ws.protection.selectLockedCells = True
    data_ws.protection.selectUnlockedCells = True

    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as raw:
        actions_part = _sheet_part(wb, actions_ws)
        archive = _Archive(raw, {actions_part})
        actions_out = None
        try:
            # -- Actions: streamed straight into its entry of the zip ----------------
            actions_out = archive.open(actions_part, "w")
            _stream_sheet(actions_ws, actions_out)
            actions_ws.append([_cell(actions_ws, h, styles.header) for h in HEADERS])

            # -- Outcomes: empty, for the partner to fill in; in memory -----------------
            prepare_outcomes_sheet(outcomes_ws, meta.marking)
            _stream_sheet(outcomes_ws, io.BytesIO())
            write_outcomes_sheet(outcomes_ws, lambda h: _cell(outcomes_ws, h, styles.header),
                                 meta.marking)

            # -- TrackerData: hidden, protected, sealed; in memory ----------------------
            _stream_sheet(data_ws, io.BytesIO())
            items = meta.sealed_items()
            seal = TrackerSeal(seal_key, items) if seal_key is not None else None
            for name in SEALED_META:
                value = items[name]
                if name == "partner_id" and value:
                    value = int(value)
                elif name == "partner":
                    value = _text_cell(data_ws, value, styles, False)
                data_ws.append([name, value])
            data_ws.append([])
            data_ws.append(["rows", "action_id:version:fields"])

            counts: dict[tuple[str, str], list[int]] = {}
            n = 0
            _direct_rows(actions_ws)
            _direct_rows(data_ws)
            # One styled cell per column, refilled for every row (see _direct_rows).
            desc_c, outcome_c, notes_c = (_cell(actions_ws, None, styles.wrap) for _ in range(3))
            due_c = _cell(actions_ws, None, styles.date)
            release_c = _cell(actions_ws, None, styles.date)
            updated_c = _cell(actions_ws, None, styles.datetime)
            for r in rows:
                status_label = STATUS_LABELS.get(r.status, r.status)
                kind_label = KIND_LABELS.get(r.kind, r.kind)
                actions_ws.append((
                    r.action_id,
                    _text_cell(actions_ws, r.reference, styles, False),
                    _text_cell(actions_ws, r.subject, styles, False),
                    _text_cell(actions_ws, r.description, styles, True, desc_c),
                    kind_label,
                    _text_cell(actions_ws, r.partner, styles, False),
                    _text_cell(actions_ws, r.assignee, styles, False),
                    None if r.due_date is None else _set(due_c, r.due_date),
                    None if r.release_date is None else _set(release_c, r.release_date),
                    status_label,
                    _text_cell(actions_ws, r.outcome, styles, True, outcome_c),
                    _text_cell(actions_ws, r.notes, styles, True, notes_c),
                    None if r.updated_at is None else _set(
                        updated_c, r.updated_at.replace(tzinfo=None, microsecond=0)),
                ))
                line = (f"{r.action_id}:{r.version}:"
                        f"{field_digest(r.status, r.due_date, r.outcome, r.notes)}")
                data_ws.append((line,))
                if seal is not None:
                    seal.row(line)
                c = counts.get((r.partner, kind_label))
                if c is None:
                    c = counts[(r.partner, kind_label)] = [0, 0, 0]
                if r.status in ("planned", "in_progress", "blocked"):
                    c[0] += 1
                    if r.due_date is not None and r.due_date < today:
                        c[1] += 1
                elif r.status == "done":
                    c[2] += 1
                n += 1
                if progress is not None and n % progress_every == 0:
                    progress(n)

            last = max(n + 1, 2)
            actions_ws.auto_filter.ref = f"A1:{LAST_COL}{n + 1}"
            dv = DataValidation(type="list", formula1='"' + ",".join(STATUS_LABELS.values()) + '"',
                                allow_blank=False, showDropDown=False, showErrorMessage=True,
                                errorStyle="stop", errorTitle="Status",
                                error="Choose a status from the list.",
                                promptTitle="Status", prompt="Choose from the list", showInputMessage=True)
            dv.add(f"{STATUS_COL}2:{STATUS_COL}{last}")
            actions_ws.data_validations.append(dv)
            open_test = ",".join(f'${STATUS_COL}2="{s}"' for s in OPEN_LABELS)
            actions_ws.conditional_formatting.add(
                f"A2:{LAST_COL}{last}",
                FormulaRule(formula=[f'AND(ISNUMBER(${DUE_COL}2),${DUE_COL}2<TODAY(),OR({open_test}))'],
                            fill=PatternFill("solid", fgColor="F8CBAD", bgColor="F8CBAD"),
                            font=Font(color="9C0006"), stopIfTrue=False))

            actions_ws.close()
            actions_out.close()
            if seal is not None:
                data_ws.append([])
                data_ws.append(["seal", seal.value()])

            # -- Summary: written last (in memory), shown first ----------------------
            lines = [SummaryLine(p, k, c[0], c[1], c[2]) for (p, k), c in sorted(counts.items())]
            _write_summary(summary_ws, styles, meta, lines, n)

            ExcelWriter(wb, archive).save()          # the rest of the package; closes the zip
            raw.flush()
            os.fsync(raw.fileno())
        except BaseException:
            _discard(wb)
            for closing in (actions_out, archive):
                if closing is not None:
                    with contextlib.suppress(Exception):
                        closing.close()
            raise
    return ExportStats(rows=n, summary=lines)


def _discard(wb: Workbook) -> None:
    """Close the streams of an abandoned write-only workbook (its files are then removed)."""
    for ws in wb.worksheets:
        for gen in (getattr(ws, "_rows", None),
                    getattr(getattr(ws, "_writer", None), "xf", None)):
            if gen is not None:
                with contextlib.suppress(Exception):
                    gen.close()


def _write_summary(ws, styles: _Styles, meta: TrackerMeta,
                   lines: list[SummaryLine], n: int) -> None:
    for col, width in zip("ABCDE", (40, 18, 10, 10, 10)):
        ws.column_dimensions[col].width = width
    _marking_and_print(ws, meta.marking, landscape=False, grid=False)
    _stream_sheet(ws, io.BytesIO())
    recipient = meta.partner_name or "All partners"
    ws.append([_cell(ws, meta.marking, styles.marking)])
    ws.append([_cell(ws, "Action tracker", styles.title)])
    if meta.partnership_name:
        ws.append(["Partnership", _text_cell(ws, meta.partnership_name, styles, False)])
    ws.append(["For", _text_cell(ws, recipient, styles, False)])
    ws.append(["Exported (UTC)", _cell(ws, meta.exported_at.replace(tzinfo=None, microsecond=0),
                                  styles.datetime)])
    ws.append(["Actions", n])
    ws.append(["People", "names shown" if meta.names else "partnership references only"])
    ws.append([])
    ws.append(["Update the Status, Outcome, Notes and Due date columns of the Actions sheet "
               "and send the file back. Do not rename the sheets or delete columns."])
    ws.append(["Report outcomes (an arrest, a charge, a treatment entry, housing secured...) "
               "for the people in this tracker on the Outcomes sheet, one per row."])
    ws.append([])
    ws.append([_cell(ws, h, styles.header)
               for h in ("Owning partner", "Kind", "Open", "Overdue", "Done")])
    tot = [0, 0, 0]
    for line in lines:
        ws.append([_text_cell(ws, line.partner, styles, False), line.kind,
                   line.open, line.overdue, line.done])
        tot[0] += line.open
        tot[1] += line.overdue
        tot[2] += line.done
    ws.append([_cell(ws, "Total", styles.bold), "", *(_cell(ws, v, styles.bold) for v in tot)])


def write_tracker(path: Path | str, rows: Iterable[TrackerRow], meta: TrackerMeta,
                  progress: Callable[[int], None] | None = None,
                  seal_key: bytes | None = None) -> ExportStats:
    """Write a tracker to ``path`` atomically (for callers with nothing to commit first)."""
    with atomic_output(path) as tmp:
        return write_tracker_file(tmp, rows, meta, progress, seal_key=seal_key)
