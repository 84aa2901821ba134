"""Values the way UK spreadsheets hold them: dates in every common form (day first
unless told otherwise, ambiguous ones flagged), "Surname, Forename" in one cell,
and enumerations by their label, their value, or a word a partner uses for them."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
MONTHS.update({"sept": 9, "june": 6, "july": 7, "january": 1, "february": 2, "march": 3,
               "april": 4, "august": 8, "september": 9, "october": 10, "november": 11,
               "december": 12})
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class DateReading:
    value: date | None
    ambiguous: bool = False          # 03/04/2005: day and month could be swapped
    error: str = ""


def _year(y: int, pivot_today: date) -> int:
    if y >= 100:
        return y
    # two-digit years: the most recent year that is not in the future
    century = pivot_today.year // 100 * 100
    full = century + y
    return full - 100 if full > pivot_today.year else full


def parse_date(value, *, day_first: bool = True, today: date) -> DateReading:
    """A date from a cell: a real date, an Excel serial number, or text such as
    ``01/02/2003``, ``1-Feb-03``, ``2003-02-01``, `` 1 February 2003 ``."""
    if value is None or value == "":
        return DateReading(None)
    if isinstance(value, datetime):
        return DateReading(value.date())
    if isinstance(value, date):
        return DateReading(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:                   # Excel's range of serial dates
            return DateReading(EXCEL_EPOCH + timedelta(days=int(value)))
        return DateReading(None, error=f"{value} is not a date")
    text = re.sub(r"\s+", " ", str(value)).strip().strip(".")
    if not text:
        return DateReading(None)
    if re.fullmatch(r"\d{5}(\.0+)?", text):           # a serial number kept as text
        return parse_date(int(float(text)), day_first=day_first, today=today)
    m = re.fullmatch(r"(\d{4})[-/. ](\d{1,2})[-/. ](\d{1,2})(?:[ T].*)?", text)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), text)
    m = re.fullmatch(r"(\d{1,2}) ?[-/. ] ?(\d{1,2}) ?[-/. ] ?(\d{2,4})(?: .*)?", text)
    if m:
        a, b, y = int(m[1]), int(m[2]), _year(int(m[3]), today)
        day, month = (a, b) if day_first else (b, a)
        if day <= 12 and month <= 12 and a != b:
            reading = _make(y, month, day, text)
            return DateReading(reading.value, ambiguous=reading.value is not None, error=reading.error)
        if month > 12 and day <= 12:               # 13/05 read month-first: plainly day first
            day, month = month, day
        return _make(y, month, day, text)
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?[ -/.]?([A-Za-z]{3,9})[ -/.,]*(\d{2,4})", text)
    if m and m[2].lower() in MONTHS:
        return _make(_year(int(m[3]), today), MONTHS[m[2].lower()], int(m[1]), text)
    m = re.fullmatch(r"([A-Za-z]{3,9})[ -/.]?(\d{1,2})(?:st|nd|rd|th)?,? (\d{2,4})", text)
    if m and m[1].lower() in MONTHS:
        return _make(_year(int(m[3]), today), MONTHS[m[1].lower()], int(m[2]), text)
    return DateReading(None, error=f"'{text[:40]}' is not a date this import can read")


def _make(y: int, m: int, d: int, text: str) -> DateReading:
    try:
        return DateReading(date(y, m, d))
    except ValueError:
        return DateReading(None, error=f"'{text[:40]}' is not a real date")


def fold(text: str) -> str:
    """A name folded for comparison: no accents, no case, hyphens and apostrophes as
    spaces, spaces folded ("Żelazny-Fictus" -> "zelazny fictus")."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("ß", "ss")
    text = re.sub(r"[-'’`.]", " ", text.casefold())
    return re.sub(r"\s+", " ", text).strip()


def split_full_name(text: str) -> tuple[str, str]:
    """(given, family) from "Surname, Forename" or "Forename Surname"."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if "," in text:
        family, _, given = text.partition(",")
        return given.strip(), family.strip()
    if " " in text:
        given, _, family = text.rpartition(" ")
        return given.strip(), family.strip()
    return "", text


def split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;,/]", text or "") if p.strip()]


def enum_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()
