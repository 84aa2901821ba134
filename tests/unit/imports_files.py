"""Messy spreadsheets as partners keep them, made by the tests (all people fictional)."""
from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl


def nominal_xlsx(path: Path, rows: list[list], *, title_rows: int = 2, merged_header: bool = True,
                 footer: bool = True) -> Path:
    """A police analyst's nominal list: a title block, a header whose "Date of birth" is
    merged over two rows and whose "Name" spans Surname and Forename, blank and total rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Nominals"
    ws.append(["Fictionshire Police - Nominal list (FICTIONAL TEST DATA)"])
    ws.append(["Produced 01/11/2026 by the analyst"])
    for _ in range(title_rows - 2):
        ws.append([])
    top = title_rows + 1
    if merged_header:
        ws.append(["Name", None, "Date of birth", "Aliases", "Status", "Risk", "Gang"])
        ws.append(["Surname", "Forename", None, None, None, None, None])
        ws.merge_cells(start_row=top, start_column=1, end_row=top, end_column=2)
        for col in (3, 4, 5, 6, 7):
            ws.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
    else:
        ws.append(["Surname", "Forename", "Date of birth", "Aliases", "Status", "Risk", "Gang"])
    for i, row in enumerate(rows):
        ws.append(row)
        if i == 1:
            ws.append([])                    # a blank row in the middle
    if footer:
        ws.append([])
        ws.append(["Total", len(rows)])
    wb.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list], *, encoding="utf-8",
              delimiter=",", bom=False) -> Path:
    with path.open("w", encoding=("utf-8-sig" if bom else encoding), newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        for r in rows:
            w.writerow(r)
    return path


def write_ods(path: Path, header: list[str], rows: list[list]) -> Path:
    """A minimal OpenDocument spreadsheet, as LibreOffice would save it."""
    def cell(v):
        if isinstance(v, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
        if isinstance(v, date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{v.isoformat()}">'
                    f'<text:p>{v:%d/%m/%Y}</text:p></table:table-cell>')
        from xml.sax.saxutils import escape
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'
    body = "".join("<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>"
                   for r in [header, *rows])
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="Caseload">'
               f'{body}<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
               'table:number-columns-repeated="1024"/></table:table-row>'
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
    return path
