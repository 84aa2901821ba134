"""Issue 12, "someone acting where they do not belong": each attack as it was made, now refused.

5. The workspace passphrase acted as any user on the command line.
6. A partner officer ran backup, restore and passwd; a restore rolled the audit trail back.
13. After passwd, the old backups were called damaged.
(10, two writers, is in test_attack_insider_lock.py; the crash trials in
test_attack_insider_crash.py.)
"""
from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import select

from deterrence_desktop.cli import main
from deterrence_desktop.services import audit
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.services.backup import verify_backup
from deterrence_desktop.store.tables import AuditEntryRow
from deterrence_desktop.store.workspace import Workspace

from conftest import PASSPHRASE
from test_cli import COMMAND, clean_env

PASSWORDS = {"demo.coordinator": "coordinator fictional pw",
             "demo.analyst": "analyst fictional pw",
             "demo.officer": "officer fictional pw"}
NEW_PASSPHRASE = "a new fictional passphrase"


def cli(capsys, monkeypatch, *args, **env) -> subprocess.CompletedProcess:
    """The command in this process, with only the DETERRENCE_* variables given."""
    for key in [k for k in os.environ if k.startswith("DETERRENCE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", env.pop("passphrase", PASSPHRASE))
    for key, value in env.items():
        monkeypatch.setenv(f"DETERRENCE_{key.upper()}", value)
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return subprocess.CompletedProcess(args, code, out, err)


def trail(path, passphrase=PASSPHRASE) -> list[AuditEntryRow]:
    with Workspace.open(path, passphrase, read_only=True, migrate=False) as ws:
        with ws.session() as s:
            return list(s.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)))


def head(path, passphrase=PASSPHRASE) -> tuple[int, str]:
    with Workspace.open(path, passphrase, read_only=True, migrate=False) as ws:
        with ws.session() as s:
            return audit.head(s)


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """Argon2id with a small cost, so the many sign-ins here stay quick on a busy machine
    (what is tested is who must give a password, not the hash's cost)."""
    from argon2 import PasswordHasher, Type

    from deterrence_desktop.security import passwords

    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID))


@pytest.fixture
def team(demo_path):
    """The demo workspace where every user has a personal password (the attack's setting)."""
    with Workspace.open(demo_path, PASSPHRASE) as ws:
        app = WorkspaceServices(ws).as_user("demo.coordinator")
        for username, password in PASSWORDS.items():
            app.users.set_password(username, password)
    return demo_path


# -- 5. the passphrase acting as anyone ---------------------------------------------------------

def test_passphrase_alone_no_longer_exports_names_as_the_coordinator(team, tmp_path, capsys,
                                                                     monkeypatch):
    out = tmp_path / "x.xlsx"
    before = len(trail(team))
    # The attack: DETERRENCE_PASSPHRASE=... deterrence-desktop export tracker team.ddw --names
    result = cli(capsys, monkeypatch, "export", "tracker", team, "--names", "--out", out)
    assert result.returncode == 2
    assert "--user" in result.stderr and "personal passwords" in result.stderr
    assert not out.exists()
    assert len(trail(team)) == before                       # nothing done, nothing disclosed

    # Naming the coordinator is not enough either: their password is asked for.
    result = cli(capsys, monkeypatch, "export", "tracker", team, "--names", "--out", out,
                 "--user", "demo.coordinator")
    assert result.returncode == 2 and "--password-file" in result.stderr
    assert "DETERRENCE_PASSWORD" in result.stderr and not out.exists()

    # A guessed password is refused, the same words whichever part is wrong, and audited.
    result = cli(capsys, monkeypatch, "export", "tracker", team, "--names", "--out", out,
                 user="demo.coordinator", password="a guess at it")
    assert result.returncode == 2 and "user name or password is wrong" in result.stderr
    assert not out.exists()
    refused = trail(team)[-1]
    assert (refused.entity, refused.entity_ref) == ("session", "demo.coordinator")
    assert refused.detail == "sign-in refused (command line: export tracker)"

    # With the password (environment, or a file) the export is made, audited as that user.
    result = cli(capsys, monkeypatch, "export", "tracker", team, "--names", "--out", out,
                 user="demo.coordinator", password=PASSWORDS["demo.coordinator"])
    assert result.returncode == 0, result.stderr
    assert out.exists() and "with names" in result.stdout
    entries = trail(team)
    signed_in = next(e for e in reversed(entries) if e.entity == "session")
    assert signed_in.detail == "signed in (command line: export tracker)"
    assert signed_in.entity_ref == "demo.coordinator"
    assert entries[-1].operation == "disclosure" and entries[-1].username == "demo.coordinator"

    secret = tmp_path / "pw.txt"
    secret.write_text(PASSWORDS["demo.coordinator"] + "\n", encoding="utf-8")
    out.unlink()
    result = cli(capsys, monkeypatch, "export", "tracker", team, "--out", out,
                 "--user", "demo.coordinator", "--password-file", secret)
    assert result.returncode == 0, result.stderr
    assert out.exists()


def test_acting_as_another_user_needs_their_password_not_yours(team, tmp_path, capsys,
                                                               monkeypatch):
    out = tmp_path / "police.xlsx"
    result = cli(capsys, monkeypatch, "export", "tracker", team, "--out", out,
                 user="demo.officer", password=PASSWORDS["demo.coordinator"])
    assert result.returncode == 2 and "password is wrong" in result.stderr
    # Signed in as the officer, the command runs with the officer's role, and says so.
    result = cli(capsys, monkeypatch, "export", "tracker", team, "--out", out,
                 "--partner", "Fictionbury Police",
                 user="demo.officer", password=PASSWORDS["demo.officer"])
    assert result.returncode == 2 and "partner officer" in result.stderr
    assert trail(team)[-1].username == "demo.officer" and not out.exists()


def on_terminal(args: list[str], answers: dict[str, str]) -> tuple[int, str]:
    """Run the command on a real pseudo-terminal, answering each prompt once it is shown
    (getpass drops anything typed before its prompt)."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(COMMAND[0], [*COMMAND, *args], clean_env())
        finally:
            os._exit(127)
    output, deadline, pending = b"", time.monotonic() + 60, dict(answers)
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            for prompt in list(pending):
                if output.rstrip().endswith(prompt.encode()):
                    os.write(fd, pending.pop(prompt).encode() + b"\n")
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_the_password_prompt_on_a_terminal(team, tmp_path):
    out = tmp_path / "prompted.xlsx"
    code, text = on_terminal(
        ["export", "tracker", str(team), "--out", str(out), "--user", "demo.coordinator"],
        {"Passphrase:": PASSPHRASE, "Password for demo.coordinator:": PASSWORDS["demo.coordinator"]})
    assert "Passphrase:" in text and "Password for demo.coordinator:" in text
    assert PASSWORDS["demo.coordinator"] not in text        # not echoed
    assert code == 0, text
    assert out.exists()


def test_what_the_passphrase_alone_may_still_do(team, capsys, monkeypatch):
    """info, check and backups show no personal data and need no user; --help says so, and
    says why that is no barrier to the passphrase holder."""
    assert cli(capsys, monkeypatch, "info", team).returncode == 0
    assert cli(capsys, monkeypatch, "check", team).returncode == 0
    for command in ("info", "check"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "Needs only the passphrase" in text and "any SQLCipher tool" in text
        assert "--user" not in text


def test_without_personal_passwords_the_first_coordinator_acts_as_before(demo_path, tmp_path,
                                                                         capsys, monkeypatch):
    result = cli(capsys, monkeypatch, "export", "tracker", demo_path, "--out",
                 tmp_path / "t.xlsx")
    assert result.returncode == 0, result.stderr
    assert trail(demo_path)[-1].username == "demo.coordinator"


# -- 6. maintenance commands are for coordinators ----------------------------------------------

def test_an_officer_cannot_backup_restore_or_passwd(team, tmp_path, capsys, monkeypatch):
    officer = dict(user="demo.officer", password=PASSWORDS["demo.officer"])
    coordinator = dict(user="demo.coordinator", password=PASSWORDS["demo.coordinator"])
    assert cli(capsys, monkeypatch, "backup", team, **coordinator).returncode == 0
    backup = next((tmp_path / "demo-backups").glob("demo-*.ddw"))
    # Two disclosures of names after the backup.
    for n in range(2):
        assert cli(capsys, monkeypatch, "export", "tracker", team, "--names",
                   "--out", tmp_path / f"n{n}.xlsx", **coordinator).returncode == 0
    before = trail(team)
    assert sum(e.operation == "disclosure" for e in before) >= 2

    result = cli(capsys, monkeypatch, "backup", team, **officer)
    assert result.returncode == 2 and "partner officer" in result.stderr
    assert len(list((tmp_path / "demo-backups").glob("demo-*.ddw"))) == 1

    result = cli(capsys, monkeypatch, "restore", team, backup, "--yes", **officer)
    assert result.returncode == 2 and "partner officer" in result.stderr
    assert not list(tmp_path.glob("demo.ddw.before-restore-*"))
    after = trail(team)
    assert [e.hash for e in after[:len(before)]] == [e.hash for e in before]   # nothing lost

    result = cli(capsys, monkeypatch, "passwd", team, "--keep-backups",
                 new_passphrase=NEW_PASSPHRASE, **officer)
    assert result.returncode == 2 and "partner officer" in result.stderr
    assert verify_backup(team, PASSPHRASE) == []             # the coordinator is not locked out

    refusals = [e for e in trail(team) if e.username == "demo.officer" and
                e.entity in ("backup", "workspace")]
    assert len(refusals) == 3, [(e.entity, e.detail) for e in trail(team)[-8:]]
    assert all("refused" in e.detail or "denied" in e.detail.lower() for e in refusals), \
        [e.detail for e in refusals]


def test_a_restore_says_who_restored_which_backup_and_what_it_replaced(team, tmp_path, capsys,
                                                                       monkeypatch):
    coordinator = dict(user="demo.coordinator", password=PASSWORDS["demo.coordinator"])
    assert cli(capsys, monkeypatch, "backup", team, **coordinator).returncode == 0
    backup = next((tmp_path / "demo-backups").glob("demo-*.ddw"))
    assert cli(capsys, monkeypatch, "export", "tracker", team, "--names",
               "--out", tmp_path / "n.xlsx", **coordinator).returncode == 0
    replaced_seq, _ = head(team)
    backup_seq, backup_hash = head(backup)

    result = cli(capsys, monkeypatch, "restore", team, backup, "--yes", **coordinator)
    assert result.returncode == 0, result.stderr
    entries = trail(team)
    last = entries[-1]
    assert last.username == "demo.coordinator" and last.entity == "workspace"
    assert last.entity_ref == backup.name
    assert f"restored from backup {backup.name} (its audit head {backup_seq}:{backup_hash})" \
        in last.detail
    assert "previous file kept as demo.ddw.before-restore-" in last.detail
    # What it replaced: the file kept aside, whose head is the one named (the export's
    # disclosure, then this command's sign-in).
    aside = next(tmp_path.glob("demo.ddw.before-restore-*"))
    aside_seq, aside_hash = head(aside)
    assert aside_seq == replaced_seq + 1
    assert f"replaced workspace " in last.detail
    assert f"at audit head {aside_seq}:{aside_hash}" in last.detail
    with Workspace.open(team, PASSPHRASE, read_only=True) as ws:
        assert ws.workspace_id in last.detail
    assert cli(capsys, monkeypatch, "check", team).returncode == 0


def test_a_backup_of_another_workspace_is_refused_unless_asked_for(team, demo_path, tmp_path,
                                                                   capsys, monkeypatch):
    from deterrence_desktop.domain.model import Partnership, User

    other_path = tmp_path / "other" / "other.ddw"
    other_path.parent.mkdir()
    app = WorkspaceServices.create_workspace(
        other_path, PASSPHRASE, Partnership(name="Another partnership (fictional)", area="Elsewhere"),
        User(username="demo.coordinator", display_name="Another coordinator (fictional)"))
    theirs = app.backup.backup_now()
    app.close()
    coordinator = dict(user="demo.coordinator", password=PASSWORDS["demo.coordinator"])
    before = head(team)

    result = cli(capsys, monkeypatch, "restore", team, theirs.path, "--yes", **coordinator)
    assert result.returncode == 2
    assert "another workspace" in result.stderr and "--other-workspace" in result.stderr
    assert trail(team)[-1].detail == "restore refused: the backup is of another workspace"
    assert not list(tmp_path.glob("demo.ddw.before-restore-*"))
    assert head(team)[0] == before[0] + 2          # only the sign-in and the refusal

    result = cli(capsys, monkeypatch, "restore", team, theirs.path, "--yes", "--other-workspace",
                 **coordinator)
    assert result.returncode == 0, result.stderr
    last = trail(team)[-1]
    assert "is of another workspace" in last.detail and "restored on purpose" in last.detail


def test_restore_over_a_damaged_file_is_still_for_coordinators_and_audited(team, tmp_path, capsys,
                                                                           monkeypatch):
    coordinator = dict(user="demo.coordinator", password=PASSWORDS["demo.coordinator"])
    assert cli(capsys, monkeypatch, "backup", team, **coordinator).returncode == 0
    backup = next((tmp_path / "demo-backups").glob("demo-*.ddw"))
    data = bytearray(team.read_bytes())
    data[:4096] = bytes(4096)                                  # page 1 zeroed
    team.write_bytes(bytes(data))

    result = cli(capsys, monkeypatch, "restore", team, backup, "--yes",
                 user="demo.officer", password=PASSWORDS["demo.officer"])
    assert result.returncode == 2 and "partner officer" in result.stderr
    assert team.read_bytes() == bytes(data)

    result = cli(capsys, monkeypatch, "restore", team, backup, "--yes", **coordinator)
    assert result.returncode == 0, result.stderr
    last = trail(team)[-1]
    assert last.username == "demo.coordinator"
    # (A zeroed first page cannot be told from another key: the entry says both.)
    assert ("replaced a file that could not be opened" in last.detail or
            "replaced a file that did not open with this passphrase (damaged, or keyed with "
            "another)" in last.detail), last.detail
    assert cli(capsys, monkeypatch, "check", team).returncode == 0


def test_passwd_is_audited(team, capsys, monkeypatch):
    result = cli(capsys, monkeypatch, "passwd", team, "--keep-backups",
                 new_passphrase=NEW_PASSPHRASE,
                 user="demo.coordinator", password=PASSWORDS["demo.coordinator"])
    assert result.returncode == 0, result.stderr
    last = trail(team, NEW_PASSPHRASE)[-1]
    assert (last.username, last.entity, last.entity_ref) == ("demo.coordinator", "workspace",
                                                             "passphrase")
    assert last.detail.startswith("passphrase changed")


# -- 13. backups after passwd -------------------------------------------------------------------

def _two_backups(path, capsys, monkeypatch):
    coordinator = dict(user="demo.coordinator", password=PASSWORDS["demo.coordinator"])
    for _ in range(2):
        assert cli(capsys, monkeypatch, "backup", path, **coordinator).returncode == 0
    folder = path.with_name("demo-backups")
    backups = sorted(folder.glob("demo-*.ddw"))
    assert len(backups) == 2
    return coordinator, backups


def test_backups_left_on_the_previous_passphrase_are_not_called_damaged(team, capsys, monkeypatch):
    coordinator, backups = _two_backups(team, capsys, monkeypatch)
    # A really damaged one beside them.
    data = bytearray(backups[0].read_bytes())
    data[len(data) // 2:len(data) // 2 + 32] = bytes(32)
    damaged = backups[0].with_name("demo-20261101-120000.ddw")
    damaged.write_bytes(bytes(data))

    result = cli(capsys, monkeypatch, "passwd", team, "--keep-backups",
                 new_passphrase=NEW_PASSPHRASE, **coordinator)
    assert result.returncode == 0, result.stderr
    assert "3 backups still use the previous passphrase" in result.stdout

    result = cli(capsys, monkeypatch, "backups", team, passphrase=NEW_PASSPHRASE)
    lines = {line.split()[4]: line for line in result.stdout.splitlines()}
    for b in backups:
        assert "uses the previous passphrase (made before the passphrase change on 26 Nov 2026)" \
            in lines[b.name], result.stdout
        assert "FAILS" not in lines[b.name]
    # The one damaged before the change is still reported as failing.
    assert "FAILS" in lines[damaged.name], result.stdout
    # Damage made after the change is not hidden.
    changed = bytearray(backups[1].read_bytes())
    changed[-100] ^= 0xFF
    backups[1].write_bytes(bytes(changed))
    result = cli(capsys, monkeypatch, "backups", team, passphrase=NEW_PASSPHRASE)
    line = next(x for x in result.stdout.splitlines() if backups[1].name in x)
    assert "FAILS" in line
    # Backups made after the change are good.
    assert cli(capsys, monkeypatch, "backup", team, passphrase=NEW_PASSPHRASE,
               **coordinator).returncode == 0
    result = cli(capsys, monkeypatch, "backups", team, passphrase=NEW_PASSPHRASE)
    assert result.stdout.splitlines()[0].endswith("good")


def test_passwd_can_reencrypt_the_backups(team, capsys, monkeypatch):
    coordinator, backups = _two_backups(team, capsys, monkeypatch)
    result = cli(capsys, monkeypatch, "passwd", team, "--reencrypt-backups",
                 new_passphrase=NEW_PASSPHRASE, **coordinator)
    assert result.returncode == 0, result.stderr
    assert "2 backups re-encrypted with the new passphrase and verified" in result.stdout
    for b in backups:
        assert verify_backup(b, NEW_PASSPHRASE) == []
        assert verify_backup(b, PASSPHRASE) != []
    assert not list(backups[0].parent.glob("*.part*"))
    result = cli(capsys, monkeypatch, "backups", team, passphrase=NEW_PASSPHRASE)
    assert all(line.endswith("good") for line in result.stdout.splitlines()
               if not line.startswith(" "))          # indented: how its history compares
    assert "2 re-encrypted, 0 left" in trail(team, NEW_PASSPHRASE)[-1].detail
    # The re-encrypted backup restores.
    result = cli(capsys, monkeypatch, "restore", team, backups[0], "--yes",
                 passphrase=NEW_PASSPHRASE, **coordinator)
    assert result.returncode == 0, result.stderr
