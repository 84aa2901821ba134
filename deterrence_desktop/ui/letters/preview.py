"""The template editor's live preview, made on the database worker.

PySide6-Essentials has no QtPdf, so page 1 is rendered to a PNG by poppler's
``pdftoppm`` when it is installed (the PDF goes in on stdin and the image comes
out on stdout: no file is written). Without it the preview is the merged text.
The preview letter is always for a fictional sample person.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

MODE_IMAGE = "Live preview: page 1 of the real PDF, rendered by pdftoppm (sample person, fictional)"
MODE_TEXT = "Live preview: the merged text (pdftoppm is not installed, so the PDF page cannot be shown)"


@dataclass(frozen=True)
class Preview:
    png: bytes | None          # page 1, or None when pdftoppm is missing or failed
    text: str                  # the merged text of the letter
    problems: tuple[str, ...]  # unknown merge fields and the like

    @property
    def mode(self) -> str:
        return MODE_IMAGE if self.png else MODE_TEXT


def pdftoppm() -> str | None:
    return shutil.which("pdftoppm")


def first_page_png(pdf: bytes, dpi: int = 60) -> bytes | None:
    tool = pdftoppm()
    if tool is None:
        return None
    try:
        done = subprocess.run([tool, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", "-"],
                              input=pdf, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        return None
    return done.stdout


def make_preview(services, name: str, language: str, title: str, body: str,
                 layout: str = "single", dpi: int = 60, use_pdftoppm: bool = True) -> Preview:
    """Runs on the worker: merge the (unsaved) template for the sample person and draw it."""
    pdf, problems, text = services.letters.preview_pdf(name, language, title, body, layout)
    png = first_page_png(pdf, dpi) if use_pdftoppm else None
    return Preview(png, text, tuple(problems))
