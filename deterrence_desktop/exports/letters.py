"""Print-ready deterrence letters as PDF (reportlab).

Every page is A4 and carries the protective marking at its top and bottom, the
letter reference and "Page n of m". Page 1 has the partnership's letterhead
(logos and the partners' names) and a plain address block placed for the
window of a DL envelope (A4 folded in three). Each letter starts on a new
sheet and is padded to an even page count, so a duplex printer never prints one
person's letter on the back of another's. Fonts are DejaVu Sans, embedded
(subset), so names such as Zoë, Łukasz, Ó Súilleabháin and Nguyễn print as written.

Text is laid out here, straight onto the canvas (no platypus): the layout is
simple and this keeps 1,000 letters to a couple of seconds. Output is
deterministic (``invariant``): the same letters give the same bytes, so a
reprint can be proved by its SHA-256.

Files are written to a temporary file in the target folder and only moved into
place by :meth:`PendingFiles.commit`; :meth:`PendingFiles.discard` (or any error
or cancel while rendering) leaves nothing behind.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from . import audit_anchor

__all__ = [
    "Block", "Section", "Signatory", "Letterhead", "Letter", "PendingFiles", "render_letters",
    "render_letter_bytes", "resources_dir", "MARKING", "LAYOUTS",
]

MARKING = "OFFICIAL-SENSITIVE"
LAYOUTS = ("single", "welsh_first", "side_by_side")
REGULAR, BOLD = "DDSans", "DDSans-Bold"

PAGE_W, PAGE_H = A4
LEFT = 20 * mm
RIGHT = PAGE_W - 20 * mm
WIDTH = RIGHT - LEFT
GUTTER = 8 * mm
BODY_TOP_FIRST = PAGE_H - 95 * mm
BODY_TOP_NEXT = PAGE_H - 24 * mm
BODY_BOTTOM = 24 * mm
# The window of a DL envelope over an A4 sheet folded in three: 20 mm from the left
# edge, 50 to 85 mm from the top; 90 mm wide.
WINDOW_LEFT, WINDOW_TOP, WINDOW_W, WINDOW_H = 20 * mm, 50 * mm, 90 * mm, 35 * mm
ADDRESS_MAX_LINES = 7          # the name and up to six lines of address
# The letterhead, right, above the window: the return address, phone, email, then the partners.
HEADER_W = 100 * mm
CONTACT_ADDRESS_LINES = 3
PARTNER_LINES_MAX = 3

SIZE, LEADING = 10.5, 14.5
TITLE_SIZE = 13
PARA_GAP = 7

LABELS = {
    "en": {"page": "Page {n} of {m}", "ref": "Letter reference", "date": "Date",
           "blank": "This page is intentionally blank.", "phone": "Phone", "email": "Email"},
    "cy": {"page": "Tudalen {n} o {m}", "ref": "Cyfeirnod y llythyr", "date": "Dyddiad",
           "blank": "Mae'r dudalen hon yn wag yn fwriadol.", "phone": "Ffôn", "email": "E-bost"},
}
PRODUCER = "Deterrence Desktop"


def resources_dir() -> Path:
    """The shipped resources folder (fonts, letter templates)."""
    override = os.environ.get("DETERRENCE_RESOURCES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "resources"


_fonts_ready = False


def register_fonts() -> None:
    global _fonts_ready
    if _fonts_ready:
        return
    fonts = resources_dir() / "fonts"
    pdfmetrics.registerFont(TTFont(REGULAR, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(fonts / "DejaVuSans-Bold.ttf")))
    _fonts_ready = True


# ---------------------------------------------------------------------------- content

@dataclass(frozen=True)
class Block:
    """One piece of a letter's body: ``para``, ``heading``, ``bullet`` (items), ``lines``
    (items, one per line) or ``signatories`` (where the signatures go)."""
    kind: str
    text: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """The letter in one language: its title and body."""
    language: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Signatory:
    name: str
    title: str = ""
    partner: str = ""
    signature: str = ""          # key into the images mapping ("" = sign by hand)


@dataclass(frozen=True)
class Letterhead:
    partnership: str
    partners: tuple[str, ...] = ()
    logos: tuple[str, ...] = ()   # keys into the images mapping
    marking: str = MARKING
    audit_anchor: str = ""        # the audit chain's head when issued (exports/audit_anchor.py)
    address: tuple[str, ...] = ()  # the partnership's return address, one line each
    phone: str = ""
    email: str = ""

    @property
    def has_contact(self) -> bool:
        return bool(self.address or self.phone.strip() or self.email.strip())


@dataclass(frozen=True)
class Letter:
    reference: str
    date_text: str
    address: tuple[str, ...]
    sections: tuple[Section, ...]
    layout: str = "single"        # single, welsh_first (sections one after the other), side_by_side
    signatories: tuple[Signatory, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(s.language for s in self.sections)


# ---------------------------------------------------------------------------- layout

_widths: dict[tuple[str, str, float], float] = {}


def _width(word: str, font: str, size: float) -> float:
    key = (word, font, size)
    w = _widths.get(key)
    if w is None:
        if len(_widths) > 200_000:
            _widths.clear()
        w = _widths[key] = pdfmetrics.stringWidth(word, font, size)
    return w


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word longer than the line is cut by characters."""
    lines: list[str] = []
    space = _width(" ", font, size)
    for raw in text.split("\n"):
        words, cur, cur_w = raw.split(), [], 0.0
        for word in words:
            w = _width(word, font, size)
            if w > width:
                if cur:
                    lines.append(" ".join(cur))
                    cur, cur_w = [], 0.0
                piece = ""
                for ch in word:
                    if pdfmetrics.stringWidth(piece + ch, font, size) > width and piece:
                        lines.append(piece)
                        piece = ""
                    piece += ch
                cur, cur_w = [piece], pdfmetrics.stringWidth(piece, font, size)
                continue
            if cur and cur_w + space + w > width:
                lines.append(" ".join(cur))
                cur, cur_w = [word], w
            else:
                cur_w = cur_w + space + w if cur else w
                cur.append(word)
        lines.append(" ".join(cur))
    return lines


# A row is one unit the paginator places: (height, kind, payload, keep_with_next).
# kinds: "t" text line (font, size, dx, text), "g" gap, "s" a row of signatories, "p" page break.
# A run of rows flagged keep_with_next stays on one page with the row that ends it.
Row = tuple

SIG_IMAGE_H = 13 * mm
SIG_NAME_SIZE, SIG_TEXT_SIZE, SIG_LINE = 9.5, 8.5, 11
SIG_CELL_MIN = 55 * mm
SIG_CELL_PAD = 4 * mm


def signatory_lines(sig: Signatory, width: float) -> list[tuple[str, float, str]]:
    """The lines under a signature: (font, size, text), the name, title and partner each
    wrapped whole to the cell's width."""
    lines = [(BOLD, SIG_NAME_SIZE, line) for line in wrap(sig.name, BOLD, SIG_NAME_SIZE, width)]
    for text in (sig.title, sig.partner):
        if text:
            lines += [(REGULAR, SIG_TEXT_SIZE, line) for line in wrap(text, REGULAR, SIG_TEXT_SIZE, width)]
    return lines


def _signature_rows(signatories: Sequence[Signatory], width: float) -> list[Row]:
    per_row = max(1, int(width // SIG_CELL_MIN))
    cell = width / per_row
    rows: list[Row] = []
    for i in range(0, len(signatories), per_row):
        group = tuple(signatories[i:i + per_row])
        lines = max(len(signatory_lines(sig, cell - SIG_CELL_PAD)) for sig in group)
        last = i + per_row >= len(signatories)          # the signatures stay together
        rows.append((SIG_IMAGE_H + lines * SIG_LINE + 6, "s", (group, cell), not last))
    return rows


def _section_rows(section: Section, signatories: Sequence[Signatory], width: float) -> list[Row]:
    rows: list[Row] = []
    for line in wrap(section.title, BOLD, TITLE_SIZE, width):
        rows.append((TITLE_SIZE + 5, "t", (BOLD, TITLE_SIZE, 0.0, line), True))
    rows.append((6, "g", None, False))
    bullet_dx = 6 * mm
    blocks = section.blocks
    for n, block in enumerate(blocks):
        # The sign-off ("Yours sincerely,") stays on the page of the signatures below it.
        signs_next = n + 1 < len(blocks) and blocks[n + 1].kind == "signatories" and bool(signatories)
        if block.kind == "heading":
            rows.append((3, "g", None, False))
            lines = wrap(block.text, BOLD, SIZE, width)
            for line in lines:
                rows.append((LEADING, "t", (BOLD, SIZE, 0.0, line), True))
        elif block.kind == "para":
            for line in wrap(block.text, REGULAR, SIZE, width):
                rows.append((LEADING, "t", (REGULAR, SIZE, 0.0, line), signs_next))
            rows.append((PARA_GAP, "g", None, signs_next))
        elif block.kind == "bullet":
            for item in block.items:
                hang = _width("\u2022 ", REGULAR, SIZE)
                for i, line in enumerate(wrap(item, REGULAR, SIZE, width - bullet_dx - hang)):
                    rows.append((LEADING, "t", (REGULAR, SIZE, bullet_dx if i == 0 else bullet_dx + hang,
                                                ("\u2022 " if i == 0 else "") + line), False))
                rows.append((2, "g", None, False))
            rows.append((PARA_GAP - 2, "g", None, False))
        elif block.kind == "lines":
            for item in block.items:
                for line in wrap(item, REGULAR, SIZE, width):
                    rows.append((LEADING, "t", (REGULAR, SIZE, 0.0, line), False))
            rows.append((PARA_GAP, "g", None, False))
        elif block.kind == "signatories":
            rows.extend(_signature_rows(signatories, width))
            rows.append((PARA_GAP, "g", None, False))
    return rows


def _paginate(rows: list[Row], first_top: float, next_top: float) -> list[list[Row]]:
    pages: list[list[Row]] = [[]]
    room = first_top - BODY_BOTTOM
    i = 0
    while i < len(rows):
        row = rows[i]
        if row[1] == "p":
            pages.append([])
            room = next_top - BODY_BOTTOM
            i += 1
            continue
        need, j = row[0], i
        while rows[j][3] and j + 1 < len(rows) and rows[j + 1][1] != "p":   # keep with next
            j += 1
            need += rows[j][0]
        if need > room and pages[-1]:
            if row[1] == "g" and not row[3]:   # a gap at the foot of a page is dropped
                i += 1
                continue
            pages.append([])
            room = next_top - BODY_BOTTOM
        pages[-1].append(row)
        room -= row[0]
        i += 1
    return pages


def contact_address_lines(address: Sequence[str]) -> list[str]:
    """The letterhead's return address as printed: one run of text, wrapped."""
    register_fonts()
    return wrap(", ".join(address), REGULAR, 8.5, HEADER_W) if address else []


def contact_address_fits(address: Sequence[str]) -> bool:
    return len(contact_address_lines(address)) <= CONTACT_ADDRESS_LINES


# ---------------------------------------------------------------------------- drawing

def _fit(reader: ImageReader, max_w: float, max_h: float) -> tuple[float, float]:
    iw, ih = reader.getSize()
    scale = min(max_w / max(1, iw), max_h / max(1, ih))
    return iw * scale, ih * scale


class LetterRenderer:
    """Draws letters onto a canvas with one letterhead and one set of images."""

    def __init__(self, letterhead: Letterhead, images: Mapping[str, bytes] | None = None):
        register_fonts()
        self.letterhead = letterhead
        self._images = dict(images or {})
        self._readers: dict[str, ImageReader] = {}
        self._partner_lines = wrap("  \u00b7  ".join(letterhead.partners), REGULAR, 7.5, HEADER_W) \
            if letterhead.partners else []

    def _contact_lines(self, langs: Sequence[str]) -> list[str]:
        """The return address, phone and email, each wrapped to the header's width."""
        head = self.letterhead
        out: list[str] = []
        if head.address:
            out += contact_address_lines(head.address)[:CONTACT_ADDRESS_LINES]
        for key, value in (("phone", head.phone), ("email", head.email)):
            if value.strip():
                label = " / ".join(LABELS[lang][key] for lang in langs)
                out += wrap(f"{label}: {value.strip()}", REGULAR, 8.5, HEADER_W)
        return out

    def _reader(self, key: str) -> ImageReader | None:
        if not key or key not in self._images:
            return None
        reader = self._readers.get(key)
        if reader is None:
            reader = self._readers[key] = ImageReader(io.BytesIO(self._images[key]))
        return reader

    def layout(self, letter: Letter) -> list[tuple[list[Row], list[Row] | None]]:
        """Pages of the letter: for each, the rows of the main column and of the second
        column (side by side only)."""
        if letter.layout == "side_by_side" and len(letter.sections) == 2:
            col = (WIDTH - GUTTER) / 2
            left = _paginate(_section_rows(letter.sections[0], letter.signatories, col),
                             BODY_TOP_FIRST, BODY_TOP_NEXT)
            right = _paginate(_section_rows(letter.sections[1], letter.signatories, col),
                              BODY_TOP_FIRST, BODY_TOP_NEXT)
            n = max(len(left), len(right))
            left += [[] for _ in range(n - len(left))]
            right += [[] for _ in range(n - len(right))]
            return list(zip(left, right))
        rows: list[Row] = []
        for i, section in enumerate(letter.sections):
            if i:
                rows.append((0, "p", None, False))
            rows.extend(_section_rows(section, letter.signatories, WIDTH))
        return [(page, None) for page in _paginate(rows, BODY_TOP_FIRST, BODY_TOP_NEXT)]

    def draw(self, c: Canvas, letter: Letter) -> int:
        """Draw one letter, padded to an even number of pages; returns the page count."""
        pages = self.layout(letter)
        total = len(pages) + (len(pages) % 2)
        langs = letter.languages or ("en",)
        for n, (main, second) in enumerate(pages, start=1):
            t = _Text(c)
            self._frame(t, letter, n, total, langs)
            top = BODY_TOP_FIRST if n == 1 else BODY_TOP_NEXT
            if n == 1:
                self._first_page(c, t, letter, langs)
            if second is None:
                self._rows(c, t, main, LEFT, top, WIDTH)
            else:
                col = (WIDTH - GUTTER) / 2
                self._rows(c, t, main, LEFT, top, col)
                self._rows(c, t, second, LEFT + col + GUTTER, top, col)
                c.setLineWidth(0.3)
                c.setStrokeGray(0.6)
                c.line(LEFT + col + GUTTER / 2, BODY_BOTTOM, LEFT + col + GUTTER / 2, top + 8)
            t.finish()
            c.showPage()
        if total > len(pages):
            t = _Text(c)
            self._frame(t, letter, total, total, langs)
            t.centred(REGULAR, 9, PAGE_W / 2, PAGE_H / 2,
                      " / ".join(LABELS[lang]["blank"] for lang in langs))
            t.finish()
            c.showPage()
        return total

    # -- pieces
    def _frame(self, t: "_Text", letter: Letter, n: int, total: int, langs: Sequence[str]) -> None:
        marking = self.letterhead.marking or MARKING
        t.centred(BOLD, 10, PAGE_W / 2, PAGE_H - 10 * mm, marking)
        t.centred(BOLD, 10, PAGE_W / 2, 7 * mm, marking)
        ref = " / ".join(LABELS[lang]["ref"] for lang in langs)
        t.text(REGULAR, 8, LEFT, 14 * mm, f"{ref}: {letter.reference}")
        page = " / ".join(LABELS[lang]["page"].format(n=n, m=total) for lang in langs)
        t.right(REGULAR, 8, RIGHT, 14 * mm, page)

    def _first_page(self, c: Canvas, t: "_Text", letter: Letter, langs: Sequence[str]) -> None:
        head = self.letterhead
        audit_anchor.stamp(c, head.audit_anchor, LEFT, 10.5 * mm, REGULAR)
        # Logos, left, from 14 mm below the top edge.
        x = LEFT
        for key in head.logos[:4]:
            reader = self._reader(key)
            if reader is None:
                continue
            w, h = _fit(reader, 38 * mm, 18 * mm)
            c.drawImage(reader, x, PAGE_H - 14 * mm - h, w, h, mask="auto")
            x += w + 4 * mm
        # The partnership, how to reach it, and its partners, right.
        t.right(BOLD, 11, RIGHT, PAGE_H - 19 * mm, head.partnership)
        y = PAGE_H - 24 * mm
        for line in self._contact_lines(langs):
            t.right(REGULAR, 8.5, RIGHT, y, line)
            y -= 10.5
        y -= 2
        for line in self._partner_lines[:PARTNER_LINES_MAX]:
            if y < PAGE_H - WINDOW_TOP + 3 * mm:      # never into the reference and date
                break
            t.right(REGULAR, 7.5, RIGHT, y, line)
            y -= 9
        # The address, in the envelope window.
        y = PAGE_H - WINDOW_TOP - 12
        for line in letter.address[:ADDRESS_MAX_LINES]:
            t.text(REGULAR, 10.5, WINDOW_LEFT + 2 * mm, y, line)
            y -= 13
        # Reference and date, right of the window.
        x = 125 * mm
        y = PAGE_H - WINDOW_TOP - 12
        t.text(REGULAR, 9, x, y, " / ".join(LABELS[lang]["ref"] for lang in langs) + ":")
        t.text(BOLD, 9, x, y - 12, letter.reference)
        t.text(REGULAR, 9, x, y - 30, " / ".join(LABELS[lang]["date"] for lang in langs) + ":")
        for i, line in enumerate(letter.date_text.split("\n")):
            t.text(REGULAR, 9, x, y - 42 - 12 * i, line)

    def _rows(self, c: Canvas, t: "_Text", rows: Iterable[Row], x: float, top: float,
              width: float) -> None:
        y = top
        for height, kind, payload, _keep in rows:
            if kind == "t":
                font, size, dx, text = payload
                t.text(font, size, x + dx, y - size, text)
            elif kind == "s":
                group, cell = payload
                for i, sig in enumerate(group):
                    self._signatory(c, t, sig, x + i * cell, y, cell - SIG_CELL_PAD)
            y -= height

    def _signatory(self, c: Canvas, t: "_Text", sig: Signatory, x: float, top: float,
                   width: float) -> None:
        reader = self._reader(sig.signature)
        if reader is not None:
            w, h = _fit(reader, width, SIG_IMAGE_H)
            c.drawImage(reader, x, top - SIG_IMAGE_H, w, h, mask="auto")
        y = top - SIG_IMAGE_H
        for font, size, line in signatory_lines(sig, width):
            y -= SIG_LINE
            t.text(font, size, x, y, line)


_origins: dict[tuple[float, float], str] = {}


def _origin(x: float, y: float) -> str:
    op = _origins.get((x, y))
    if op is None:
        if len(_origins) > 50_000:
            _origins.clear()
        op = _origins[(x, y)] = f"1 0 0 1 {fp_str(x, y)} Tm"
    return op


class _Text:
    """All the words of one page in one PDF text object (much cheaper than drawString).

    Most lines of a batch are the same in every letter, so the PDF operators of a
    line are kept per document, keyed by font, size, the font subset in use and the
    text: the output is byte for byte what reportlab writes, made once."""

    cache_enabled = True

    def __init__(self, c: Canvas):
        self.c = c
        self.t = c.beginText()
        self.font: tuple[str, float] | None = None
        cache = getattr(c, "_letters_text_cache", None)
        if cache is None:
            cache = c._letters_text_cache = {}
        self.cache = cache

    def text(self, font: str, size: float, x: float, y: float, s: str) -> None:
        t = self.t
        if self.font != (font, size):
            t.setFont(font, size)
            self.font = (font, size)
        # setTextOrigin() and textOut() without the cursor bookkeeping: every line is
        # placed absolutely, and measuring each line again costs a third of the time.
        t._code.append(_origin(x, y))
        key = (font, size, t._curSubset, s)
        hit = self.cache.get(key) if self.cache_enabled else None
        if hit is None:
            hit = self.cache[key] = (t._formatText(s), t._curSubset)
        else:
            t._curSubset = hit[1]
        t._code.append(hit[0])

    def right(self, font: str, size: float, x: float, y: float, s: str) -> None:
        self.text(font, size, x - _width(s, font, size), y, s)

    def centred(self, font: str, size: float, x: float, y: float, s: str) -> None:
        self.text(font, size, x - _width(s, font, size) / 2, y, s)

    def finish(self) -> None:
        self.c.drawText(self.t)


# ---------------------------------------------------------------------------- files

@contextlib.contextmanager
def _binary_streams():
    """Compressed streams without the ASCII85 wrapper: a quarter smaller and much faster."""
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


def _canvas(target, title: str) -> Canvas:
    register_fonts()
    c = Canvas(target, pagesize=A4, invariant=1, pageCompression=1, initialFontName=REGULAR,
               initialFontSize=SIZE)   # no stray unembedded Helvetica
    c.setTitle(title)
    c.setAuthor(PRODUCER)
    c.setCreator(PRODUCER)
    c.setProducer(PRODUCER)
    c.setSubject(MARKING)
    return c


def render_letter_bytes(letter: Letter, letterhead: Letterhead,
                        images: Mapping[str, bytes] | None = None) -> bytes:
    """One letter as a PDF of its own (deterministic bytes)."""
    buf = io.BytesIO()
    with _binary_streams():
        c = _canvas(buf, f"Letter {letter.reference}")
        LetterRenderer(letterhead, images).draw(c, letter)
        c.save()
    return buf.getvalue()


def _temp_in(folder: Path, suffix: str = ".pdf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".letters-", suffix=suffix + ".part")
    os.close(fd)
    return Path(name)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class PendingFiles:
    """Rendered files waiting in temporary names beside their targets."""
    target: Path
    temp: Path
    sha256: str
    pages: int
    letters: int
    per_letter: dict[str, tuple[Path, Path, str]] = field(default_factory=dict)  # ref -> (temp, target, sha)

    def commit(self) -> None:
        """Move every file into place."""
        for temp, target, _sha in self.per_letter.values():
            os.replace(temp, target)
        os.replace(self.temp, self.target)

    def discard(self) -> None:
        for temp, _target, _sha in self.per_letter.values():
            temp.unlink(missing_ok=True)
        self.temp.unlink(missing_ok=True)

    def __enter__(self) -> "PendingFiles":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()


def render_letters(path: Path | str, letters: Sequence[Letter], letterhead: Letterhead,
                   images: Mapping[str, bytes] | None = None, per_letter_dir: Path | str | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   title: str = "Letters") -> PendingFiles:
    """Render ``letters`` into one printer file at ``path`` (and one file per letter in
    ``per_letter_dir``, named by letter reference), in temporary files. ``progress(done,
    total)`` may raise to stop; then nothing is left behind. Call ``commit()`` on the
    result to move the files into place."""
    target = Path(path)
    renderer = LetterRenderer(letterhead, images)
    temp = _temp_in(target.parent)
    pending = PendingFiles(target, temp, "", 0, len(letters))
    try:
        with _binary_streams():
            pending.pages = _render_into(str(temp), letters, renderer, letterhead, images,
                                         per_letter_dir, progress, title, pending)
        pending.sha256 = _sha256(temp)
        return pending
    except BaseException:
        pending.discard()
        raise


def _render_into(target: str, letters: Sequence[Letter], renderer: LetterRenderer,
                 letterhead: Letterhead, images: Mapping[str, bytes] | None,
                 per_letter_dir: Path | str | None, progress: Callable[[int, int], None] | None,
                 title: str, pending: PendingFiles) -> int:
    pages = 0
    c = _canvas(target, title)
    folder = Path(per_letter_dir) if per_letter_dir else None
    for i, letter in enumerate(letters):
        pages += renderer.draw(c, letter)
        if folder is not None:
            one = _temp_in(folder)
            pending.per_letter[letter.reference] = (one, folder / f"{letter.reference}.pdf", "")
            data = render_letter_bytes(letter, letterhead, images)
            one.write_bytes(data)
            pending.per_letter[letter.reference] = (
                one, folder / f"{letter.reference}.pdf", hashlib.sha256(data).hexdigest())
        if progress is not None:
            progress(i + 1, len(letters))
    c.save()
    return pages
