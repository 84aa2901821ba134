"""Helpers shared by the board and projection UI tests (not collected: no test_ prefix)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from deterrence_desktop.store.tables import AuditEntryRow

SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "board"


def open_page(qtbot, app, page_cls):
    from deterrence_desktop.ui.context import AppContext
    ctx = AppContext()
    page = page_cls(ctx)
    qtbot.addWidget(page)
    page.resize(1500, 900)
    page.show()                     # pages load when shown, as in the main window
    ctx.set_services(app)
    return ctx, page


def wait_idle(qtbot, ctx, timeout=15_000):
    qtbot.waitUntil(lambda: not ctx.runner.busy, timeout=timeout)


def audit_for(app, entity, ref=None):
    with app.workspace.session() as s:
        q = select(AuditEntryRow).where(AuditEntryRow.entity == entity).order_by(AuditEntryRow.seq)
        if ref is not None:
            q = q.where(AuditEntryRow.entity_ref == str(ref))
        return list(s.scalars(q))


def save_shot(widget, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / name))


def project_by_pressing(qtbot, root, button="Project on a screen…", *, zoom=150, isa_only=True,
                        present=None):
    """Press the projection button on ``root`` as a coordinator does, fill its dialog (text
    size, the partners in the room by name, the ISA rule) and press Start projection."""
    import re

    from PySide6.QtCore import Qt

    from tests.journeys.driver import button as find_button
    from tests.journeys.driver import click_row, dialog, field, press, type_into
    press(qtbot, button, root)
    dlg = dialog(qtbot, "Project on a screen")
    type_into(qtbot, field(qtbot, dlg, "Text size"), str(zoom))
    isa = find_button(qtbot, re.compile("^Only show actions of partners"), dlg)
    if isa.isChecked() != isa_only:
        qtbot.mouseClick(isa, Qt.MouseButton.LeftButton)
    if present is not None:
        rows = dlg.partners
        for r in range(rows.count()):
            item = rows.item(r)
            if (item.checkState() == Qt.CheckState.Checked) != (item.text() in present):
                click_row(qtbot, rows, item.text())
                qtbot.keyClick(rows, Qt.Key.Key_Space)
    assert dlg.zoom.value() == zoom and dlg.isa_only.isChecked() == isa_only
    press(qtbot, "Start projection", dlg)
