"""Read a spreadsheet as rows of text: .xlsx (openpyxl, never evaluating a formula),
.csv (encoding and delimiter detected) and .ods (the OpenDocument XML, read with the
standard library). Every reader stops at the limits below with a clear refusal."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from xml.etree import ElementTree as ET

from ...domain.errors import DeterrenceError

MAX_ROWS = 200_000            # stated in the wizard: a larger file is refused, not cut
MAX_CELL = 32_767             # Excel's own limit for one cell's text
MAX_COLUMNS = 200
MAX_FILE_BYTES = 200 * 1024 * 1024
HEADER_SEARCH_ROWS = 30       # a header is looked for this far below a title block
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ImportRefused(DeterrenceError):
    """The file cannot be read as a table; nothing was changed."""


Cell = str | int | float | date | datetime | None


@dataclass
class RawSheet:
    name: str
    rows: list[list[Cell]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)   # r1, c1, r2, c2 (0-based)
    sheets: list[str] = field(default_factory=list)        # every sheet of the file, for choosing


def sheet_names(path: Path | str) -> list[str]:
    path = Path(path)
    kind = file_kind(path)
    if kind == "xlsx":
        wb = _open_xlsx(path)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    if kind == "ods":
        return [name for name, _ in _ods_tables(path)]
    return [path.stem]


def file_kind(path: Path) -> str:
    """'xlsx', 'csv' or 'ods', by the file's bytes as much as its name."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise ImportRefused(f"{path.name} does not exist") from None
    except OSError as exc:
        raise ImportRefused(f"{path.name} cannot be read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise ImportRefused(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MB")
    if head.startswith(OLE_MAGIC):
        raise ImportRefused(
            f"{path.name} is password-protected or an old Excel (.xls) file. Open it in your "
            "spreadsheet program, remove the password, and save it as .xlsx, .ods or .csv")
    suffix = path.suffix.lower()
    if head.startswith(b"PK"):
        if suffix == ".ods":
            return "ods"
        if suffix in (".xlsx", ".xlsm"):
            return "xlsx"
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
        if "content.xml" in names:
            return "ods"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise ImportRefused(f"{path.name} is a zip file, not a spreadsheet")
    if suffix in (".xlsx", ".xlsm", ".ods"):
        raise ImportRefused(f"{path.name} is damaged or not really a {suffix} file")
    if suffix in (".xls",):
        raise ImportRefused(f"{path.name}: save it as .xlsx, .ods or .csv first")
    return "csv"


def read_sheet(path: Path | str, sheet: str | None = None) -> RawSheet:
    path = Path(path)
    kind = file_kind(path)
    if kind == "xlsx":
        return _read_xlsx(path, sheet)
    if kind == "ods":
        return _read_ods(path, sheet)
    return _read_csv(path)


# -- xlsx ------------------------------------------------------------------------------------
def _open_xlsx(path: Path):
    import openpyxl
    try:
        # read-only streams the rows; data_only=False keeps a formula as its text, never
        # evaluated (and never a cached value that a formula made)
        return openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except zipfile.BadZipFile:
        raise ImportRefused(f"{path.name} is damaged (not a complete .xlsx file)") from None
    except Exception as exc:        # openpyxl raises many kinds for a malformed package
        raise ImportRefused(f"{path.name} cannot be read as .xlsx ({type(exc).__name__})") from None


_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _xlsx_merged(path: Path, wb, sheet_name: str) -> list[tuple[int, int, int, int]]:
    """Merged ranges of one sheet, read from its part (read-only mode does not keep them)."""
    try:
        ws = wb[sheet_name]
        part = getattr(ws, "_worksheet_path", None) or getattr(ws, "worksheet_path", None)
        if not part:
            return []
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(part.lstrip("/"))
            if info.file_size > MAX_FILE_BYTES:
                return []
            with z.open(info) as f:
                data = f.read()
        tail = data[data.rfind(b"</sheetData>"):] if b"</sheetData>" in data else data
        return [(int(r1) - 1, _col(c1), int(r2) - 1, _col(c2)) for c1, r1, c2, r2 in _MERGE.findall(tail)]
    except (KeyError, zipfile.BadZipFile):
        return []


def _read_xlsx(path: Path, sheet: str | None) -> RawSheet:
    wb = _open_xlsx(path)
    try:
        name = sheet or wb.sheetnames[0]
        if name not in wb.sheetnames:
            raise ImportRefused(f"{path.name} has no sheet called {name!r}")
        ws = wb[name]
        rows: list[list[Cell]] = []
        for values in ws.iter_rows(values_only=True):
            if len(rows) >= MAX_ROWS + HEADER_SEARCH_ROWS:
                raise ImportRefused(f"{path.name} has more than {MAX_ROWS:,} rows; split it into smaller files")
            row = list(values[:MAX_COLUMNS])
            for v in row:
                if isinstance(v, str) and len(v) > MAX_CELL:
                    raise ImportRefused(
                        f"row {len(rows) + 1} of {path.name} has a cell longer than {MAX_CELL:,} characters")
            rows.append(row)
        merged = _xlsx_merged(path, wb, name)
        sheets = list(wb.sheetnames)
    finally:
        wb.close()
    return RawSheet(name, _trim(rows), merged, sheets)


# -- csv -------------------------------------------------------------------------------------
def decode(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without a BOM), else the detected encoding,
    else Windows-1252 (what Excel on a UK PC saves)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes
        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding not in ("ascii",):
            return data.decode(best.encoding, errors="replace")
    except ImportError:     # pragma: no cover - a dependency
        pass
    return data.decode("cp1252", errors="replace")


def _read_csv(path: Path) -> RawSheet:
    text = decode(path.read_bytes())
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t"}
        delimiter = max(counts, key=counts.get)
    csv.field_size_limit(MAX_CELL + 1)
    rows: list[list[Cell]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS + HEADER_SEARCH_ROWS:
                raise ImportRefused(f"{path.name} has more than {MAX_ROWS:,} rows; split it into smaller files")
            rows.append(list(row[:MAX_COLUMNS]))
    except csv.Error:
        raise ImportRefused(
            f"row {len(rows) + 1} of {path.name} has a cell longer than {MAX_CELL:,} characters "
            "or broken quotes") from None
    return RawSheet(path.stem, _trim(rows), [], [path.stem])


# -- ods -------------------------------------------------------------------------------------
NS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
      "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
      "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
T = "{%s}" % NS["table"]
O = "{%s}" % NS["office"]


def _ods_tables(path: Path):
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("content.xml")
            if info.file_size > MAX_FILE_BYTES:
                raise ImportRefused(f"{path.name} is too large to read")
            data = z.read(info)
    except (KeyError, zipfile.BadZipFile):
        raise ImportRefused(f"{path.name} is damaged (not a complete .ods file)") from None
    if b"<!DOCTYPE" in data[:2000] or b"<!ENTITY" in data[:20000]:
        raise ImportRefused(f"{path.name} has XML entities, which are not read")
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise ImportRefused(f"{path.name} is damaged (its content cannot be read)") from None
    for table in root.iter(T + "table"):
        yield table.get(T + "name", "Sheet"), table


def _ods_value(cell) -> Cell:
    kind = cell.get(O + "value-type")
    if kind in ("float", "percentage", "currency"):
        v = float(cell.get(O + "value", "0"))
        return int(v) if v.is_integer() else v
    if kind == "date":
        raw = cell.get(O + "date-value", "")
        try:
            return datetime.fromisoformat(raw) if "T" in raw else date.fromisoformat(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return cell.get(O + "boolean-value")
    parts = ["".join(p.itertext()) for p in cell.iter("{%s}p" % NS["text"])]
    return "\n".join(parts) if parts else None


def _read_ods(path: Path, sheet: str | None) -> RawSheet:
    tables = list(_ods_tables(path))
    for name, table in tables:
        if sheet is not None and name != sheet:
            continue
        rows: list[list[Cell]] = []
        merged = []
        for row in table.iter(T + "table-row"):
            repeat = min(int(row.get(T + "number-rows-repeated", "1")), MAX_ROWS)
            cells: list[Cell] = []
            for cell in row:
                if cell.tag not in (T + "table-cell", T + "covered-table-cell"):
                    continue
                n = min(int(cell.get(T + "number-columns-repeated", "1")), MAX_COLUMNS)
                span = int(cell.get(T + "number-columns-spanned", "1"))
                rspan = int(cell.get(T + "number-rows-spanned", "1"))
                if span > 1 or rspan > 1:
                    merged.append((len(rows), len(cells), len(rows) + rspan - 1, len(cells) + span - 1))
                value = _ods_value(cell)
                if isinstance(value, str) and len(value) > MAX_CELL:
                    raise ImportRefused(
                        f"row {len(rows) + 1} of {path.name} has a cell longer than {MAX_CELL:,} characters")
                cells.extend([value] * n)
                if len(cells) > MAX_COLUMNS:
                    cells = cells[:MAX_COLUMNS]
                    break
            if all(c in (None, "") for c in cells):
                repeat = min(repeat, 1)     # a trailing run of empty rows is one blank row
            for _ in range(repeat):
                rows.append(list(cells))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise ImportRefused(f"{path.name} has more than {MAX_ROWS:,} rows; split it into smaller files")
        return RawSheet(name, _trim(rows), merged, [n for n, _ in tables])
    raise ImportRefused(f"{path.name} has no sheet called {sheet!r}")


def _trim(rows: list[list[Cell]]) -> list[list[Cell]]:
    """Drop trailing empty cells of each row and trailing empty rows."""
    out = []
    for row in rows:
        while row and (row[-1] is None or (isinstance(row[-1], str) and not row[-1].strip())):
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def cell_text(value: Cell) -> str:
    """A cell as the text a person sees, trimmed; a formula stays its text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in str(value).splitlines())
    return "\n".join(line for line in lines if line)     # trimmed; a line break in a note stays
