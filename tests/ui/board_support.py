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
