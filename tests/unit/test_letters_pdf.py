"""The PDF layer on its own: padding to whole sheets, long text, determinism, safe files."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from deterrence_desktop.exports import letters as pdf

HEAD = pdf.Letterhead("Test Partnership (fictional)", ("Testshire Police", "Testshire Council"))


def letter(paragraphs: int = 3, ref: str = "L-2026-000001", layout: str = "single",
           sections: tuple[str, ...] = ("en",)) -> pdf.Letter:
    words = "Every sentence here is plain and short so that it is easy to read. "
    body = tuple(pdf.Block("para", words * 6) for _ in range(paragraphs)) + (pdf.Block("signatories"),)
    return pdf.Letter(ref, "26 November 2026", ("Zoë Ó Súilleabháin", "1 Example Street", "ZZ99 1ZZ"),
                      tuple(pdf.Section(lang, f"Title {lang}", body) for lang in sections), layout,
                      (pdf.Signatory("Sam Sampleton", "Head of Probation", "Testshire Probation"),))


def texts(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize("paragraphs, pages", [(1, 2), (12, 2), (16, 4), (30, 4)])
def test_letters_fill_whole_sheets(paragraphs, pages):
    pages_text = texts(pdf.render_letter_bytes(letter(paragraphs), HEAD))
    assert len(pages_text) == pages
    for n, text in enumerate(pages_text, start=1):
        assert f"Page {n} of {pages}" in text and "L-2026-000001" in text
        assert text.count(pdf.MARKING) == 2


def test_same_letter_same_bytes_and_a_different_letter_differs():
    a = pdf.render_letter_bytes(letter(), HEAD)
    assert a == pdf.render_letter_bytes(letter(), HEAD)
    assert a != pdf.render_letter_bytes(letter(ref="L-2026-000002"), HEAD)


def test_a_word_longer_than_the_line_is_cut_not_lost():
    long = "Ł" + "x" * 300 + "Z"
    lines = pdf.wrap(f"before {long} after", pdf.REGULAR, pdf.SIZE, 200)
    assert "".join(lines).replace(" ", "") == f"before{long}after"
    assert all(pdf._width(line, pdf.REGULAR, pdf.SIZE) <= 200.5 for line in lines)


def test_side_by_side_puts_both_languages_on_each_page():
    pages_text = texts(pdf.render_letter_bytes(
        letter(14, layout="side_by_side", sections=("cy", "en")), HEAD))
    assert "Title cy" in pages_text[0] and "Title en" in pages_text[0]
    assert "Tudalen 1 o" in pages_text[0] and len(pages_text) % 2 == 0


def test_render_in_a_fresh_process():
    """A reprint or a preview can be the first thing a process draws."""
    code = ("from deterrence_desktop.exports import letters as p;"
            "L=p.Letter('L-1','d',('A',),(p.Section('en','T',(p.Block('para','x'),)),));"
            "print(len(p.render_letter_bytes(L, p.Letterhead('P'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-500:]
    assert int(done.stdout) > 1000


def test_a_failure_while_rendering_leaves_no_file(tmp_path):
    def boom(done, total):
        if done == 2:
            raise RuntimeError("printer on fire (test)")
    with pytest.raises(RuntimeError):
        pdf.render_letters(tmp_path / "out.pdf", [letter(ref=f"L-2026-00000{i}") for i in range(4)],
                           HEAD, per_letter_dir=tmp_path / "one", progress=boom)
    assert [p.name for p in tmp_path.iterdir()] == ["one"] and not any((tmp_path / "one").iterdir())
    pending = pdf.render_letters(tmp_path / "out.pdf", [letter()], HEAD)
    assert not (tmp_path / "out.pdf").exists()          # nothing in place before commit
    pending.discard()
    assert [p.name for p in tmp_path.iterdir()] == ["one"]
