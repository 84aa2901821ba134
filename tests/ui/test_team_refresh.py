"""The live refresh's table map and the connection banner, without a server."""
from __future__ import annotations

from deterrence_desktop.ui.team.banner import BACK_TEXT, LOST_TEXT, ConnectionBanner, Reconnector
from deterrence_desktop.ui.team.refresh import ALL_KINDS, TABLE_KINDS, kinds_for

# Tables whose changes reload no page: every write and every audited read touches them.
IGNORED = {"audit_entry", "workspace_meta", "setting", "asset", "alembic_version"}


def test_every_table_is_mapped_to_the_kinds_pages_reload_on_or_ignored_on_purpose():
    from deterrence_desktop.store import tables  # noqa: F401 - every table module
    from deterrence_desktop.store.tables import Base
    names = set(Base.metadata.tables)
    assert names - IGNORED <= set(TABLE_KINDS), sorted(names - IGNORED - set(TABLE_KINDS))
    assert not IGNORED & set(TABLE_KINDS)
    assert set(TABLE_KINDS) <= names            # no stale names


def test_the_kinds_are_those_the_pages_listen_to():
    import re
    from pathlib import Path
    ui = Path(__file__).resolve().parents[2] / "deterrence_desktop" / "ui"
    used = set()
    for f in ui.rglob("*.py"):
        text = f.read_text()
        for m in re.finditer(r"data_kinds\s*=\s*\(([^)]*)\)", text):
            used |= set(re.findall(r'"([a-z_]+)"', m.group(1)))
        used |= set(re.findall(r'data_changed\.emit\("([a-z_]+)"', text))
        used |= set(re.findall(r'kind="([a-z_]+)"', text))
    assert set(ALL_KINDS) <= used, sorted(set(ALL_KINDS) - used)


def test_kinds_for_tables():
    assert kinds_for({"action"}) == ["action"]
    assert kinds_for({"membership", "audit_entry"}) == ["person", "group"]
    assert kinds_for({"audit_entry", "workspace_meta"}) == []
    assert kinds_for({"*"}) == list(ALL_KINDS)
    assert kinds_for({"a_table_of_the_future"}) == []


def test_the_banner_says_lost_then_reconnected_and_goes(qtbot):
    banner = ConnectionBanner(back_ms=100)
    qtbot.addWidget(banner)
    banner.show_lost()
    assert banner.isVisible() and banner.text.text() == LOST_TEXT
    banner.show_back()
    assert banner.text.text() == BACK_TEXT and not banner.lost_now
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=2000)


def test_the_reconnector_asks_off_the_gui_thread_until_the_server_answers(qtbot):
    import threading
    answers = iter([False, False, True])
    threads = []

    def ping():
        threads.append(threading.current_thread())
        return next(answers)
    r = Reconnector(ping, interval_ms=20)
    with qtbot.waitSignal(r.answered, timeout=3000):
        r.start()
    assert r.attempts == 3 and not r.active
    assert all(t is not threading.main_thread() for t in threads)


def test_a_ping_that_raises_is_no_answer(qtbot):
    calls = []

    def ping():
        calls.append(1)
        if len(calls) < 2:
            raise OSError("server away")
        return True
    r = Reconnector(ping, interval_ms=20)
    with qtbot.waitSignal(r.answered, timeout=3000):
        r.start()
    assert len(calls) == 2


def test_the_start_screen_knows_a_server_address_as_the_store_does():
    from deterrence_desktop.store.server import SCHEMES
    from deterrence_desktop.ui.settings import SERVER_SCHEMES
    assert set(SERVER_SCHEMES) == {f"{s}://" for s in SCHEMES}
