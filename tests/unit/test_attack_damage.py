"""Damage to the first page is not a wrong passphrase (issue 12, finding 2).

Zeroing page 1, or flipping a byte of the salt SQLCipher keeps in its first 16 bytes,
makes every page fail exactly as a wrong passphrase does. Whatever the damage, the
user is told the file may be damaged, and `check` names the newest good backup (a
backup opening with the same passphrase proves the passphrase right)."""
from __future__ import annotations

import pytest

from deterrence_desktop.cli import main
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store.workspace import Workspace

from conftest import DEMO_TODAY, PASSPHRASE

PAGE = 4096


def _zero(data: bytearray, start: int, end: int) -> None:
    data[start:end] = bytes(end - start)


def _flip(data: bytearray, at: int) -> None:
    data[at] ^= 0x01


DAMAGE = {
    "page 1 zeroed": lambda d: _zero(d, 0, PAGE),
    "salt zeroed": lambda d: _zero(d, 0, 16),
    "salt byte 0 flipped": lambda d: _flip(d, 0),
    "salt byte 7 flipped": lambda d: _flip(d, 7),
    "salt byte 15 flipped": lambda d: _flip(d, 15),
    "page 1 body zeroed": lambda d: _zero(d, 16, PAGE),
    "page 1 HMAC flipped": lambda d: _flip(d, PAGE - 20),
    "page 1 IV flipped": lambda d: _flip(d, PAGE - 70),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_first_page_damage_says_damaged_and_check_names_the_good_backup(
        demo_path, damage, capsys, monkeypatch):
    ws = Workspace.open(demo_path, PASSPHRASE)
    good = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator").backup.backup_now()
    ws.close()
    data = bytearray(demo_path.read_bytes())
    DAMAGE[damage](data)
    demo_path.write_bytes(bytes(data))
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)

    capsys.readouterr()
    assert main(["info", str(demo_path)]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and "Traceback" not in err

    assert main(["check", str(demo_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  opening the workspace" in out and "damaged" in out
    assert f"Newest good backup: {good.path}" in out


def test_a_wrong_passphrase_with_no_backup_it_opens_stays_one_clear_line(demo_path, capsys,
                                                                         monkeypatch):
    ws = Workspace.open(demo_path, PASSPHRASE)
    WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator").backup.backup_now()
    ws.close()
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", "a wrong fictional passphrase")
    capsys.readouterr()
    assert main(["check", str(demo_path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "passphrase is wrong" in err and "damaged" in err
