"""The Letters page on the demo workspace: check, leave people out, print, cancel, edit a template."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from deterrence_desktop.store.tables import CommunicationRow
from deterrence_desktop.ui.context import AppContext
from deterrence_desktop.ui.letters import LettersPage
from deterrence_desktop.ui.letters.preview import MODE_IMAGE, MODE_TEXT, pdftoppm

SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "letters"


@pytest.fixture
def page(qtbot, qapp, demo_app):
    from deterrence_desktop.ui.style import apply_style
    apply_style(qapp)
    demo_app.letters.add_signatory("Insp. Avery Demo", "Inspector", 1)
    demo_app.letters.add_signatory("Sam Sampleton", "Head of Probation", 2)
    p = demo_app.people.by_reference("FD-0016")
    demo_app.people.update(replace(p, address=""))
    q = demo_app.people.by_reference("FD-0017")
    demo_app.people.update(replace(q, given_name="Zoë", preferred_name="", family_name="Ó Súilleabháin"))
    ctx = AppContext()
    widget = LettersPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    ctx.set_services(demo_app)
    qtbot.waitUntil(lambda: widget.choices is not None and not ctx.runner.busy, timeout=15_000)
    yield widget
    ctx.runner.shutdown()


def shot(widget, name: str) -> None:
    from PySide6.QtWidgets import QApplication
    QApplication.processEvents()
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


def choose(page, template="call_in_invitation", source="invitees", language=0):
    page.template.setCurrentIndex(page.template.findData(template))
    page.source.setCurrentIndex([page.source.itemData(i) for i in range(page.source.count())].index(source))
    page.language.setCurrentIndex(language)
    page.call_in.setCurrentIndex(page.call_in.findData(2))


def idle(qtbot, page):
    qtbot.waitUntil(lambda: not page.ctx.runner.busy, timeout=20_000)


def test_missing_address_blocks_then_leave_out_and_print(qtbot, page, demo_app, tmp_path):
    choose(page)
    page.check()
    idle(qtbot, page)
    assert not page.print_button.isEnabled()
    refs = {p.reference for p in page.problems_model.rows if not p.warning}
    assert refs == {"FD-0016"} and "FD-0016" in page.status.text()
    shot(page, "page-blocked")
    page.exclude_all_blocked()
    idle(qtbot, page)
    # What is left are warnings (people in custody): they do not block printing.
    assert all(p.warning for p in page.problems_model.rows) and page.print_button.isEnabled()
    assert "FD-0016" in page.excluded_label.text()
    out = tmp_path / "letters.pdf"
    page.generate_to(out)
    idle(qtbot, page)
    assert page.last_result is not None and page.last_result.letters == 14
    assert "Saved 14 letters" in page.status.text()
    reader = PdfReader(str(out))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Zoë Ó Súilleabháin" in text and text.count("OFFICIAL-SENSITIVE") >= 2 * len(reader.pages)
    assert "{" not in text
    shot(page, "page-printed")
    # The printed file is recognised; a letter reprints word for word.
    page.verify_file(out)
    idle(qtbot, page)
    assert "exactly the file issued with 14 letters" in page.status.text()
    first = page.last_result.references[0]
    page.reprint_to(first, tmp_path / "again.pdf")
    idle(qtbot, page)
    assert "Reprinted" in page.status.text()
    again = [p.extract_text() for p in PdfReader(str(tmp_path / "again.pdf")).pages]
    assert again == [p.extract_text() for p in reader.pages[:len(again)]]
    (tmp_path / "changed.pdf").write_bytes(out.read_bytes() + b"%")
    page.verify_file(tmp_path / "changed.pdf")
    idle(qtbot, page)
    assert "not a file this workspace issued" in page.status.text()


def test_cancel_writes_nothing_and_records_nothing(qtbot, page, demo_app, tmp_path):
    choose(page)
    page.excluded[demo_app.people.by_reference("FD-0016").id] = "FD-0016"
    with demo_app.workspace.session() as s:
        before = s.scalar(select(func.count()).select_from(CommunicationRow))
    out = tmp_path / "out" / "letters.pdf"
    out.parent.mkdir()
    page.generate_to(out)
    page.cancel()
    idle(qtbot, page)
    assert "Cancelled" in page.status.text() and page.cancel_button.isHidden()
    assert list(out.parent.iterdir()) == []
    with demo_app.workspace.session() as s:
        assert s.scalar(select(func.count()).select_from(CommunicationRow)) == before


def test_people_selection_and_bilingual(qtbot, page, tmp_path):
    choose(page, template="support_offer", source="people", language=2)
    page.select_people(["FD-0017", "FD-0020"])
    assert len(page.selected_person_ids()) == 2 and page.selected_label.text() == "2 selected"
    page.check()
    idle(qtbot, page)
    assert page.print_button.isEnabled(), page.status.text()
    page.generate_to(tmp_path / "bi.pdf")
    idle(qtbot, page)
    text = PdfReader(str(tmp_path / "bi.pdf")).pages[0].extract_text()
    assert "Mae help ar gael i chi" in text and "Annwyl Zoë" in text


def test_template_editor_preview_and_new_version(qtbot, page, demo_app):
    page.tabs.setCurrentIndex(1)
    editor = page.editor
    editor.name.setCurrentIndex(editor.name.findData("custom_notification"))
    qtbot.waitUntil(lambda: editor.loaded is not None and editor.loaded.name == "custom_notification",
                    timeout=10_000)
    qtbot.waitUntil(lambda: editor.last_preview is not None and "Dear Zoë" in editor.last_preview.text,
                    timeout=15_000)
    expected = MODE_IMAGE if pdftoppm() else MODE_TEXT
    assert editor.mode.text() == expected
    if pdftoppm():
        assert editor.image.pixmap() is not None and not editor.image.pixmap().isNull()
    editor.body.appendPlainText("Your shoe size is {person.shoe_size}.")
    editor.refresh_preview()
    idle(qtbot, page)
    qtbot.waitUntil(lambda: "{person.shoe_size}" in editor.problems.text(), timeout=10_000)
    shot(page, "template-editor")
    editor.save()
    idle(qtbot, page)
    assert "person.shoe_size" in editor.message.text()
    assert demo_app.letters.template("custom_notification", "en").version == 1
    editor.body.setPlainText(editor.loaded.body + "\nWe will see you soon.\n")
    editor.save()
    idle(qtbot, page)
    assert demo_app.letters.template("custom_notification", "en").version == 2
    assert "version 2" in editor.message.text()


def test_lock_drops_every_row(qtbot, page):
    choose(page)
    page.check()
    idle(qtbot, page)
    assert page.problems_model.rowCount() and page.people_model.rowCount()
    page.ctx.drop_services()
    assert page.problems_model.rowCount() == 0 and page.people_model.rowCount() == 0
    assert page.template.count() == 0 and page.editor.body.toPlainText() == ""
