"""Reading a returned action tracker: the package checked before openpyxl sees it, then
the two sheets a return is matched by (the layout is :mod:`.tracker_xlsx`'s).

Refused: other formats, macros, encryption, zip bombs, XML with a document type
declaration (entity expansion) in any part openpyxl would parse (found the way
openpyxl finds them: by content type and relationship, not by name), a sheet stored
as another kind of part, too many rows. The hidden sheet's seal is read here and
verified by the caller, who holds the key (:meth:`ReturnedTracker.sealed_by`).
No Qt and no database here.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import posixpath
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from openpyxl import load_workbook

from .tracker_outcomes import MAX_OUTCOME_ROWS, OUTCOME_HEADERS, OUTCOMES_SHEET
from .tracker_xlsx import (
    ACTIONS_SHEET, DATA_SHEET, FORMAT, HEADERS, SEALED_META, UNSEALED_FORMATS, TrackerFileError,
    TrackerSeal, meta_text,
)

__all__ = ["ReadLimits", "ReturnedTracker", "check_package", "read_tracker", "TrackerFileError"]


@dataclass(frozen=True)
class ReadLimits:
    """Bounds that keep a hostile file from costing unbounded time or memory."""
    max_file_bytes: int = 64 * 1024 * 1024
    max_entries: int = 500
    max_total_uncompressed: int = 400 * 1024 * 1024
    max_entry_uncompressed: int = 300 * 1024 * 1024
    max_ratio: float = 150.0            # uncompressed : compressed, for entries over 1 MB
    max_rows: int = 200_000
    max_empty_run: int = 1_000          # consecutive empty rows that end the data
    max_seconds: float = 180.0


@dataclass
class ReturnedTracker:
    """What a returned workbook holds, before it is compared with the workspace."""
    format: str
    workspace_id: str
    exported_at: str
    partner_id: int | None
    names: bool
    versions: dict[int, int]                     # action id -> version at export
    digests: dict[int, str]                      # action id -> field_digest() at export
    columns: dict[str, int]                      # header -> 0-based position (known headers)
    missing_columns: list[str]
    rows: list[tuple[int, tuple]]                # (sheet row number, values by position)
    sha256: str = ""                             # of the file's bytes as read
    notes: list[str] = field(default_factory=list)   # problems that did not stop the read
    meta: dict[str, str] = field(default_factory=dict)   # the sealed metadata, as text
    lines: list[str] = field(default_factory=list, repr=False)  # the row lines, in order
    seal: str = ""
    # The Outcomes sheet (not sealed: the partner writes it); empty when it is absent.
    outcome_columns: dict[str, int] = field(default_factory=dict)
    outcome_rows: list[tuple[int, tuple]] = field(default_factory=list)

    @property
    def export_id(self) -> str:
        return self.meta.get("export_id", "")

    @property
    def partner_name(self) -> str:
        return self.meta.get("partner", "")

    @property
    def audit_head(self) -> str:
        return self.meta.get("audit_head", "")

    def sealed_by(self, key: bytes | None) -> bool:
        """Does the hidden sheet carry the seal ``key`` made, over exactly what it says now?"""
        if not key or not self.seal:
            return False
        seal = TrackerSeal(key, self.meta)
        for line in self.lines:
            seal.row(line)
        return hmac.compare_digest(seal.value(), self.seal)


_MACRO_NAMES = ("vbaproject.bin", "vbadata.xml", "vbaprojectsignature.bin")
_MACRO_TYPES = (b"macroenabled", b"vbaproject", b"application/vnd.ms-office.activex")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PROLOG_SCAN = 64 * 1024
_BINARY_PARTS = (".bin", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".emf", ".wmf", ".tif",
                 ".tiff", ".svg")
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")
_DATA_ROW = re.compile(r"(\d{1,12}):(\d{1,9}):([0-9a-f]{8}(?:\.[0-9a-f]{8}){3})\Z")


def _norm_header(text: object) -> str:
    return " ".join(str(text or "").split()).casefold()


def _refuse(message: str) -> TrackerFileError:
    return TrackerFileError(message)


def check_package(data: bytes, name: str, limits: ReadLimits = ReadLimits()) -> None:
    """Refuse anything that is not a plain, reasonably sized .xlsx, before openpyxl sees it.

    Every entry is decompressed here, in a stream, counting bytes: the sizes a zip
    declares can lie. Refused: other formats, macros, encryption, zip bombs, XML
    with a document type declaration (entity expansion), too many entries.
    """
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsm", ".xltm", ".xlam"):
        raise _refuse("Macro-enabled workbooks (.xlsm) are refused: save the tracker as .xlsx")
    if suffix == ".xlsb":
        raise _refuse("Binary workbooks (.xlsb) are not read: save the tracker as .xlsx")
    if data.startswith(_OLE_MAGIC):
        raise _refuse("This is an old-style .xls or a password-protected workbook: "
                      "save it as .xlsx without a password")
    if not data.startswith(b"PK\x03\x04"):
        raise _refuse("This file is not an Excel workbook (.xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_entries:
                raise _refuse(f"The workbook has too many parts ({len(infos)}): refused")
            names = {i.filename.lower() for i in infos}
            if any(n.rsplit("/", 1)[-1] in _MACRO_NAMES for n in names):
                raise _refuse("The workbook contains macros: refused. Save it as .xlsx")
            if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
                raise _refuse("This file is not an Excel workbook (.xlsx)")
            total = 0
            binary: dict[str, bytes] = {}
            for info in infos:
                if info.flag_bits & 0x1:
                    raise _refuse("The workbook is encrypted: save it without a password")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise _refuse("The workbook uses an unusual compression: refused")
                size = 0
                head = b""
                with zf.open(info) as part:
                    while True:
                        chunk = part.read(1024 * 1024)
                        if not chunk:
                            break
                        if len(head) < _PROLOG_SCAN:
                            head += chunk[:_PROLOG_SCAN - len(head)]
                        size += len(chunk)
                        total += len(chunk)
                        if size > limits.max_entry_uncompressed or total > limits.max_total_uncompressed:
                            raise _refuse("The workbook expands to far more data than a tracker "
                                          "holds (a zip bomb?): refused")
                        if size > 1024 * 1024 and size > limits.max_ratio * max(info.compress_size, 1):
                            raise _refuse("The workbook is compressed far more than a real "
                                          "tracker (a zip bomb?): refused")
                lower = info.filename.lower()
                if lower == "[content_types].xml" and any(t in head.lower() for t in _MACRO_TYPES):
                    raise _refuse("The workbook contains macros: refused. Save it as .xlsx")
                if not head:
                    continue
                if lower.endswith(_BINARY_PARTS):
                    binary[info.filename] = head    # checked below if it is parsed as XML
                else:
                    _check_prolog(head)     # any part openpyxl might parse as XML
            for part in _parsed_as_xml(zf, binary):
                _check_prolog(binary[part])
    except TrackerFileError:
        raise
    except Exception:  # noqa: BLE001 - any failure of a broken zip is the same answer
        raise _refuse("This file is damaged or not an Excel workbook (.xlsx)") from None


# What openpyxl finds by content type ([Content_Types].xml), and the types a sheet has.
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_WORKBOOK_TYPES = (   # in the order openpyxl looks for them
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
)
_SHEET_TYPES = {
    "worksheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "chartsheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.chartsheet+xml",
}
# Relationships to parts that are really binary (never parsed as XML).
_BINARY_RELS = ("/image", "/printerSettings", "/oleObject", "/package", "/vbaProject",
                "/audio", "/video", "/media", "/hdphoto")


def _xml(zf: zipfile.ZipFile, name: str):
    """A small structural part, parsed (its prolog was checked: no DTD, no entities)."""
    try:
        return ElementTree.fromstring(zf.read(name))
    except (KeyError, ElementTree.ParseError):
        return None


def _parsed_as_xml(zf: zipfile.ZipFile, binary: dict[str, bytes]) -> list[str]:
    """The parts with a binary-looking name that openpyxl would still parse as XML.

    openpyxl does not go by names: it finds the workbook and the shared strings by
    their content type, and reads as a worksheet every part the workbook's ``<sheet>``
    elements point to through its relationships, whatever the part is called and
    whatever the relationship's type says. So: every sheet the workbook points to must
    be declared a worksheet (or chartsheet), and every part that has an XML content
    type or is the target of a relationship to XML is checked as XML.
    """
    names = {i.filename for i in zf.infolist()}
    lower = {n.lower(): n for n in names}
    types = _xml(zf, lower["[content_types].xml"])
    if types is None:
        raise _refuse("This file is damaged or not an Excel workbook (.xlsx)")
    defaults = {(e.get("Extension") or "").lower(): e.get("ContentType") or ""
                for e in types.iter(f"{_CT_NS}Default")}
    overrides = {(e.get("PartName") or "").lstrip("/"): e.get("ContentType") or ""
                 for e in types.iter(f"{_CT_NS}Override")}

    def content_type(part: str) -> str:
        if part in overrides:
            return overrides[part]
        return defaults.get(posixpath.splitext(part)[1].lstrip(".").lower(), "")

    xml_parts = {n for n in names if "xml" in content_type(n).lower()}
    sheets: dict[str, str] = {}          # part -> "worksheet" / "chartsheet"
    for rels_name in (n for n in names if n.lower().endswith(".rels")):
        rels = _xml(zf, rels_name)
        if rels is None:
            continue
        parent = posixpath.split(posixpath.dirname(rels_name))[0]
        for rel in rels.iter(f"{_REL_NS}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target") or ""
            target = (target[1:] if target.startswith("/")
                      else posixpath.normpath(posixpath.join(parent, target)))
            if not (rel.get("Type") or "").endswith(_BINARY_RELS):
                xml_parts.add(target)
    workbook = next((p for t in _WORKBOOK_TYPES for p, ct in overrides.items() if ct == t), None)
    if workbook is None:
        workbook = "xl/workbook.xml"
    wb_xml = _xml(zf, workbook) if workbook in names else None
    wb_rels = _xml(zf, posixpath.join(posixpath.dirname(workbook), "_rels",
                                      posixpath.basename(workbook) + ".rels"))
    if wb_xml is not None and wb_rels is not None:
        by_id = {}
        folder = posixpath.dirname(workbook)
        for rel in wb_rels.iter(f"{_REL_NS}Relationship"):
            target = rel.get("Target") or ""
            by_id[rel.get("Id")] = (
                target[1:] if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target)),
                "chartsheet" if "chartsheet" in (rel.get("Type") or "") else "worksheet")
        for sheet in wb_xml.iter():
            if sheet.tag.rsplit("}", 1)[-1] == "sheet" and sheet.get(_R_ID) in by_id:
                part, kind = by_id[sheet.get(_R_ID)]
                if part in names:
                    sheets[part] = kind
    for part, kind in sheets.items():
        if content_type(part) != _SHEET_TYPES[kind]:
            raise _refuse("The workbook has a sheet stored as another kind of part "
                          f"(not declared as a {kind}): refused")
        xml_parts.add(part)
    return sorted(p for p in xml_parts if p in binary)


def _check_prolog(head: bytes) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:200]:
        raise _refuse("The workbook has parts in an unexpected encoding: refused")
    m = _ELEMENT_START.search(head)
    prolog = head if m is None else head[:m.start()]
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise _refuse("The workbook contains XML document type declarations: refused")
    if m is None and len(head) >= _PROLOG_SCAN:
        raise _refuse("The workbook has a malformed part: refused")


def read_tracker(path: Path | str, limits: ReadLimits = ReadLimits(),
                 progress: Callable[[int], None] | None = None) -> ReturnedTracker:
    """Read a returned tracker: checks the package, then streams the two sheets it needs.

    Raises :class:`TrackerFileError` for every file that cannot be used, and only that
    (``progress`` may raise its own exception to stop, which is passed on).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise _refuse(f"The file is too large for a tracker ({size // (1024 * 1024)} MB): refused")
        data = path.read_bytes()
    except TrackerFileError:
        raise
    except OSError as exc:
        raise _refuse(f"The file cannot be read ({exc.strerror or type(exc).__name__})") from None
    check_package(data, path.name, limits)
    deadline = time.monotonic() + limits.max_seconds
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False,
                           keep_vba=False)
    except Exception:  # noqa: BLE001
        raise _refuse("The workbook cannot be opened: it is damaged or not an .xlsx") from None
    try:
        returned = _read_sheets(wb, limits, deadline, progress)
        returned.sha256 = hashlib.sha256(data).hexdigest()
        return returned
    except TrackerFileError:
        raise
    except _ProgressStop as stop:
        raise stop.exc from None
    except Exception:  # noqa: BLE001 - whatever a damaged workbook does to openpyxl
        raise _refuse("The workbook cannot be read: it is damaged or not an .xlsx") from None
    finally:
        with contextlib.suppress(Exception):
            wb.close()


class _ProgressStop(Exception):
    """Carries an exception raised by the caller's progress callback through the reader."""

    def __init__(self, exc: BaseException):
        super().__init__()
        self.exc = exc


def _read_sheets(wb, limits: ReadLimits, deadline: float,
                 progress: Callable[[int], None] | None) -> ReturnedTracker:
    names = wb.sheetnames
    if DATA_SHEET not in names:
        raise _refuse("This workbook is not a tracker exported by Deterrence Desktop "
                      f"(its hidden {DATA_SHEET} sheet is missing)")
    if ACTIONS_SHEET not in names:
        raise _refuse(f"The workbook has no sheet called '{ACTIONS_SHEET}': "
                      "was it renamed or deleted? Rename it back and try again")
    meta, versions, digests, lines, seal = _read_data_sheet(wb[DATA_SHEET], limits, deadline)
    if meta.get("format") in UNSEALED_FORMATS:
        raise _refuse("This tracker was exported by an earlier version of Deterrence Desktop, "
                      "before returns were sealed, so it cannot be checked: export a fresh "
                      "tracker for the partner and ask them to fill in that one")
    if meta.get("format") != FORMAT:
        raise _refuse(f"The hidden {DATA_SHEET} sheet has been changed or is from an unknown "
                      "version: the return cannot be matched")
    partner_raw = meta.get("partner_id", "")
    try:
        partner_id = None if partner_raw in ("", None) else int(partner_raw)
    except (TypeError, ValueError):
        raise _refuse(f"The hidden {DATA_SHEET} sheet has been changed: "
                      "the return cannot be matched") from None

    ws = wb[ACTIONS_SHEET]
    declared = _declared_rows(ws)
    if declared is not None and declared > limits.max_rows + 1:
        raise _refuse(f"The {ACTIONS_SHEET} sheet declares {declared:,} rows, more than a "
                      f"tracker holds ({limits.max_rows:,}): refused")
    rows_iter = ws.iter_rows(min_row=1, max_row=limits.max_rows + limits.max_empty_run + 1,
                             max_col=len(HEADERS) + 8, values_only=True)
    header = next(rows_iter, None)
    if header is None:
        raise _refuse(f"The {ACTIONS_SHEET} sheet is empty")
    known = {_norm_header(h): h for h in HEADERS}
    columns: dict[str, int] = {}
    for pos, value in enumerate(header):
        h = known.get(_norm_header(value))
        if h is not None and h not in columns:
            columns[h] = pos
    if HEADERS[0] not in columns:
        raise _refuse(f"The {ACTIONS_SHEET} sheet has no '{HEADERS[0]}' column in its first row: "
                      "the rows cannot be matched")
    missing = [h for h in HEADERS if h not in columns]
    out: list[tuple[int, tuple]] = []
    notes: list[str] = []
    empty_run = 0
    line = 1
    for values in rows_iter:
        line += 1
        if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            empty_run += 1
            if empty_run >= limits.max_empty_run:
                if declared is None or declared > line:
                    notes.append(f"Reading stopped at row {line:,}: "
                                 f"{limits.max_empty_run:,} empty rows in a row")
                break
            continue
        empty_run = 0
        if len(out) >= limits.max_rows:
            raise _refuse(f"The {ACTIONS_SHEET} sheet has more than {limits.max_rows:,} rows: refused")
        out.append((line, tuple(values)))
        if len(out) % 1000 == 0:
            if time.monotonic() > deadline:
                raise _refuse("Reading the workbook took too long: refused")
            if progress is not None:
                try:
                    progress(len(out))
                except BaseException as exc:
                    raise _ProgressStop(exc) from None
    outcome_columns, outcome_rows = (
        _read_outcomes(wb[OUTCOMES_SHEET], limits, deadline, notes)
        if OUTCOMES_SHEET in names else ({}, []))
    return ReturnedTracker(
        format=str(meta.get("format")), workspace_id=str(meta.get("workspace_id") or ""),
        exported_at=str(meta.get("exported_at") or ""), partner_id=partner_id,
        names=meta.get("names") == "yes", versions=versions, digests=digests, columns=columns,
        missing_columns=missing, rows=out, notes=notes,
        meta={k: meta_text(meta.get(k)) for k in SEALED_META}, lines=lines, seal=seal,
        outcome_columns=outcome_columns, outcome_rows=outcome_rows)


def _read_outcomes(ws, limits: ReadLimits, deadline: float, notes: list[str]
                   ) -> tuple[dict[str, int], list[tuple[int, tuple]]]:
    """The partner's rows of the Outcomes sheet, by the headers of its first row."""
    declared = _declared_rows(ws)
    if declared is not None and declared > MAX_OUTCOME_ROWS + limits.max_empty_run:
        raise _refuse(f"The {OUTCOMES_SHEET} sheet declares {declared:,} rows, more than a "
                      f"return may hold ({MAX_OUTCOME_ROWS:,}): refused")
    rows_iter = ws.iter_rows(min_row=1, max_row=MAX_OUTCOME_ROWS + limits.max_empty_run + 1,
                             max_col=len(OUTCOME_HEADERS), values_only=True)
    header = next(rows_iter, None) or ()
    known = {_norm_header(h): h for h in OUTCOME_HEADERS}
    columns: dict[str, int] = {}
    for pos, value in enumerate(header):
        h = known.get(_norm_header(value))
        if h is not None and h not in columns:
            columns[h] = pos
    out: list[tuple[int, tuple]] = []
    empty_run = 0
    for line, values in enumerate(rows_iter, 2):
        if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            empty_run += 1
            if empty_run >= limits.max_empty_run:
                break
            continue
        empty_run = 0
        if len(out) >= MAX_OUTCOME_ROWS:
            raise _refuse(f"The {OUTCOMES_SHEET} sheet has more than {MAX_OUTCOME_ROWS:,} "
                          "rows: refused")
        out.append((line, tuple(values)))
        if len(out) % 1000 == 0 and time.monotonic() > deadline:
            raise _refuse("Reading the workbook took too long: refused")
    if out and OUTCOME_HEADERS[0] not in columns:
        notes.append(f"The {OUTCOMES_SHEET} sheet has no '{OUTCOME_HEADERS[0]}' column in its "
                     "first row: its rows cannot be matched to people")
    return columns, out


def _declared_rows(ws) -> int | None:
    try:
        dim = ws.calculate_dimension()
    except Exception:  # noqa: BLE001 - an unsized sheet: the empty-row rule bounds it
        return None
    m = re.search(r"(\d+)$", dim or "")
    return int(m.group(1)) if m else None


def _read_data_sheet(ws, limits: ReadLimits, deadline: float
                     ) -> tuple[dict, dict[int, int], dict[int, str], list[str], str]:
    meta: dict[str, object] = {}
    versions: dict[int, int] = {}
    digests: dict[int, str] = {}
    lines: list[str] = []
    seal = ""
    bad = _refuse(f"The hidden {DATA_SHEET} sheet has been changed: the return cannot be matched")
    in_versions = False
    empty_run = 0
    for n, values in enumerate(ws.iter_rows(max_col=2, values_only=True)):
        if n > limits.max_rows + 20:
            raise bad
        key = values[0] if values else None
        value = values[1] if len(values) > 1 else None
        if key is None and value is None:
            empty_run += 1
            if empty_run >= limits.max_empty_run:
                break
            continue
        empty_run = 0
        if seal:                            # nothing may follow the seal
            raise bad
        if not in_versions:
            if key == "rows":
                in_versions = True
            elif isinstance(key, str) and len(meta) < 20 and key not in meta:
                meta[key] = "" if value is None else value
            else:
                raise bad
            continue
        if key == "seal" and isinstance(value, str) and value:
            seal = value
            continue
        m = _DATA_ROW.match(key) if isinstance(key, str) and value is None else None
        if m is None:
            raise bad
        action_id = int(m.group(1))
        if action_id in versions:
            raise bad
        versions[action_id] = int(m.group(2))
        digests[action_id] = m.group(3)
        lines.append(key)
        if n % 5000 == 0 and time.monotonic() > deadline:
            raise _refuse("Reading the workbook took too long: refused")
    if not in_versions:
        raise bad
    return meta, versions, digests, lines, seal
