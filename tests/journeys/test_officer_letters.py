"""Journey 5: an officer prints the invitations for a call-in from the Letters page into a
PDF, then the same from the command the README gives."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from PySide6.QtWidgets import QFileDialog

from driver import SCREENSHOTS, WAIT, choose, dialog, field, file_dialog, navigate, press, screen_size, shot

SIGNATORY = "Ch. Insp. Gwenllïan Ŵyn-Prŷs"
README_DEMO = "deterrence-desktop demo demo.ddw"
README_LETTERS = ("deterrence-desktop letters demo.ddw --template call_in_invitation --call-in 2 "
                  "--out invitations.pdf")


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def check_invitations(path: Path, people: dict[str, str]) -> None:
    """Every page marked; each invitee's letter greets them and is signed; contact details."""
    reader = PdfReader(str(path))
    texts = [flat(p.extract_text()) for p in reader.pages]
    assert texts and all(t.count("OFFICIAL-SENSITIVE") >= 2 for t in texts)
    joined = " ".join(texts)
    for name in people.values():
        assert name in joined, f"no letter to {name}"
    assert joined.count("You are invited to a meeting") == len(people)
    assert joined.count(SIGNATORY) == len(people) and "Yours sincerely" in joined
    assert "Phone: 0000 000 0000 (fictional)" in texts[0] and "{" not in joined


def page_one_png(pdf: Path, journey: str, name: str) -> None:
    """Page 1 of a printed file beside the journey's screenshots, for a person to look at."""
    import shutil
    if shutil.which("pdftoppm"):
        folder = SCREENSHOTS / "x".join(map(str, screen_size()))
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(folder / f"{journey}-{name}")], check=False, timeout=60)


def test_print_the_invitations_for_a_call_in(qtbot, app_window, tmp_path):
    win = app_window
    page = navigate(qtbot, win, "Letters")
    qtbot.waitUntil(lambda: page.template.count() > 0 and page.call_in.count() > 1, timeout=WAIT)
    choose(qtbot, field(qtbot, page, "Letter"), re.compile("invited to a meeting"))
    choose(qtbot, field(qtbot, page, "Who"), "A call-in's invitees")
    choose(qtbot, field(qtbot, page, "Call-in"), re.compile(r"^Call-in 2: "))
    press(qtbot, "Check letters")
    qtbot.waitUntil(lambda: "Ready: 15 letters" in page.status.text(), timeout=WAIT)
    shot(win, "officer-letters", "checked")
    press(qtbot, "Print…")
    out = tmp_path / "invitations.pdf"
    shot(dialog(qtbot, "Save the letters for printing", QFileDialog), "officer-letters", "save-dialog")
    file_dialog(qtbot, "Save the letters for printing", out)
    qtbot.waitUntil(lambda: "Saved 15 letters" in page.status.text(), timeout=WAIT)
    shot(win, "officer-letters", "printed")

    invitees = win.ctx.call_sync(lambda s: [i.person_id for i in s.callins.page(2).invitations])
    people = win.ctx.call_sync(lambda s: {
        p.reference: f"{p.given_name} {p.family_name}" for p in s.people.list() if p.id in invitees})
    assert len(people) == 15
    check_invitations(out, people)
    page_one_png(out, "officer-letters", "invitation-page-1")
    recorded = win.ctx.call_sync(lambda s: s.letters.issued_with(page.last_result.sha256))
    assert len(recorded) == 15

    # The same from the README's commands, as a newcomer runs them: make the demo, print.
    # (Both on the machine's clock, whatever its date, as a person's terminal is.)
    from deterrence_desktop.services.demo import DEMO_PASSPHRASE
    work = tmp_path / "cli"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETERRENCE_")}
    env["DETERRENCE_PASSPHRASE"] = DEMO_PASSPHRASE
    for line in README_DEMO, README_LETTERS:
        argv = shlex.split(line)
        exe = Path(sys.executable).with_name(argv[0])
        done = subprocess.run([str(exe)] + argv[1:], cwd=work, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, (line, done.stderr)
    assert done.returncode == 0, done.stderr
    assert "Wrote 15 letters" in done.stdout
    check_invitations(work / "invitations.pdf", people)


def test_add_and_change_who_signs_and_the_letterhead(qtbot, app_window, tmp_path):
    import random

    from driver import click_row, tab, type_into

    from deterrence_desktop.services.demo import scribble_png
    win = app_window
    page = navigate(qtbot, win, "Letters")
    tab(qtbot, page, "Signatories and letterhead")
    signers = page.signers
    qtbot.waitUntil(lambda: signers.model.rowCount() == 2, timeout=WAIT)
    press(qtbot, "Add signatory…")
    dlg = dialog(qtbot, "Add a signatory")
    type_into(qtbot, field(qtbot, dlg, "Name"), "Pat Placeholder")
    type_into(qtbot, field(qtbot, dlg, "Title"), "Governor")
    choose(qtbot, field(qtbot, dlg, "Partner"), "HMP Fictionbury")
    image = tmp_path / "signature.png"
    image.write_bytes(scribble_png(random.Random(5)))
    type_into(qtbot, field(qtbot, dlg, "PNG or JPEG of the signature (optional)"), str(image))
    shot(dlg, "officer-letters", "add-signatory")
    press(qtbot, "Save", root=dlg)
    qtbot.waitUntil(lambda: signers.model.rowCount() == 3, timeout=WAIT)
    click_row(qtbot, signers.view, "Morgan Mockford")
    press(qtbot, "Edit signatory…")
    dlg = dialog(qtbot, "Edit signatory")
    type_into(qtbot, field(qtbot, dlg, "Title"), "Acting Director of Community Safety")
    press(qtbot, "Save", root=dlg)
    qtbot.waitUntil(lambda: any(r.title.startswith("Acting") for r in signers.model.rows), timeout=WAIT)
    type_into(qtbot, field(qtbot, page, "Phone"), "0000 222 3333")
    press(qtbot, "Save letterhead")
    qtbot.waitUntil(lambda: "Letterhead saved" in signers.message.text(), timeout=WAIT)
    shot(win, "officer-letters", "signatories")

    views = {s.name: s for s in win.ctx.call_sync(lambda s: s.letters.signatories())}
    pat = views["Pat Placeholder"]
    assert pat.title == "Governor" and pat.partner_name == "HMP Fictionbury" and pat.has_signature
    assert views["Morgan Mockford"].title == "Acting Director of Community Safety"
    assert win.ctx.call_sync(lambda s: s.letters.letterhead().phone) == "0000 222 3333"
    # The Print letters tab offers the new signatory, ticked.
    tab(qtbot, page, "Print letters")
    qtbot.waitUntil(lambda: page.signed_by.count() == 3, timeout=WAIT)
    assert page.signatory_ids() is None
