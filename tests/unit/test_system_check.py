"""Qt's missing system libraries are named as packages, in one line, before Qt starts."""
from __future__ import annotations

from deterrence_desktop import system_check
from deterrence_desktop.cli import main


def test_every_library_qt_needs_here_loads():
    assert system_check.missing_packages("xcb") == []
    assert system_check.missing_packages("offscreen") == []


def test_a_missing_x11_library_is_named_as_its_package(monkeypatch):
    gone = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0", "libGL.so.1"}
    monkeypatch.setattr(system_check, "_loads", lambda soname: soname not in gone)
    assert system_check.missing_packages("xcb") == ["libgl1", "libxcb-cursor0", "libxkbcommon-x11-0"]
    assert system_check.missing_packages("offscreen") == ["libgl1"]   # no X11 plugin offscreen


def test_the_platform_qt_will_use():
    assert system_check.platform_in_use({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert system_check.platform_in_use({"QT_QPA_PLATFORM": "xcb:foo=1"}) == "xcb"
    assert system_check.platform_in_use({"DISPLAY": ":99"}) == "xcb"
    assert system_check.platform_in_use({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) == "wayland"
    assert system_check.platform_in_use({}) == ""


def test_the_app_prints_one_line_and_exits_2_instead_of_aborting(monkeypatch, capsys):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(system_check, "_loads", lambda soname: soname != "libxcb-icccm.so.4")
    assert main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "sudo apt-get install -y libxcb-icccm4" in err[0]
