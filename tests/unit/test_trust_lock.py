"""One writer: a second instance is refused with a clear message and may open read-only;
a lock left by a crashed process is recognised and taken over."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from deterrence_desktop.domain.model import Group
from deterrence_desktop.security import writer_lock
from deterrence_desktop.security.writer_lock import WorkspaceInUse, WriterLock, open_workspace
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store.errors import WorkspaceReadOnly

from conftest import PASSPHRASE

HOLDER = textwrap.dedent("""
    import sys, time
    from deterrence_desktop.security.writer_lock import open_workspace
    ws = open_workspace(sys.argv[1], sys.argv[2])
    print("locked", flush=True)
    time.sleep(120)
""")


def _start_holder(path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), PASSPHRASE],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_instance_is_refused_clearly_and_can_open_read_only(demo_path):
    proc = _start_holder(demo_path)
    try:
        lock_file = writer_lock.lock_path(demo_path)
        data = json.loads(lock_file.read_text())
        assert set(data) == {"host", "pid", "started", "token", "app"}
        assert data["pid"] == proc.pid
        with pytest.raises(WorkspaceInUse) as err:
            open_workspace(demo_path, PASSPHRASE)
        message = str(err.value)
        assert "open in another copy of Deterrence Desktop on this computer" in message
        assert "read-only" in message and str(proc.pid) in message

        ws = open_workspace(demo_path, PASSPHRASE, read_only=True)
        try:
            app = WorkspaceServices(ws).as_user("demo.coordinator")
            people = app.people.list()
            assert len(people) > 10
            app.people.page(people[0].id)          # a read works (its audit cannot be kept)
            with pytest.raises(WorkspaceReadOnly, match="read-only"):
                app.groups.create(Group(name="Not saved (fictional)", type="street_group"))
        finally:
            ws.close()
        assert lock_file.exists(), "a read-only open must not touch the writer's lock"
    finally:
        proc.kill()
        proc.wait()


def test_lock_of_a_crashed_process_is_taken_over(demo_path):
    proc = _start_holder(demo_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    lock_file = writer_lock.lock_path(demo_path)
    assert json.loads(lock_file.read_text())["pid"] == proc.pid       # left behind
    ws = open_workspace(demo_path, PASSPHRASE)
    try:
        assert ws.writer_lock.took_over.pid == proc.pid
        assert json.loads(lock_file.read_text())["pid"] == os.getpid()
        app = WorkspaceServices(ws).as_user("demo.coordinator")
        app.groups.create(Group(name="After the crash (fictional)", type="street_group"))
        # A second open in this same process is refused too.
        with pytest.raises(WorkspaceInUse):
            open_workspace(demo_path, PASSPHRASE)
    finally:
        ws.close()
    assert not lock_file.exists(), "closing releases the lock"


def test_lock_from_another_computer_needs_an_explicit_take_over(tmp_path):
    target = tmp_path / "shared.ddw"
    lock_file = writer_lock.lock_path(target)
    lock_file.write_text(json.dumps({"host": "other-pc-fictional", "pid": 1,
                                     "started": "2026-11-26T08:00:00+00:00", "token": "x"}))
    with pytest.raises(WorkspaceInUse, match="other-pc-fictional"):
        WriterLock(target).acquire()
    lock = WriterLock(target).acquire(take_over=True)
    assert lock.took_over.host == "other-pc-fictional" and lock.held
    lock.release()
    assert not lock_file.exists()


def test_half_written_lock_is_stale(tmp_path):
    target = tmp_path / "w.ddw"
    writer_lock.lock_path(target).write_text("{\"host\": ")
    with WriterLock(target) as lock:
        assert lock.held and lock.took_over.pid == 0


def test_sign_in_through_the_lock_and_read_only_for_the_second(demo_path):
    from deterrence_desktop.security.session import open_signed_in
    from deterrence_desktop.services.users import SignInFailed

    first = open_signed_in(demo_path, PASSPHRASE, "demo.coordinator", None)
    try:
        first.users.set_password("demo.analyst", "fictional analyst pw")
        with pytest.raises(WorkspaceInUse):
            open_signed_in(demo_path, PASSPHRASE, "demo.analyst", "fictional analyst pw")
        second = open_signed_in(demo_path, PASSPHRASE, "demo.analyst", "fictional analyst pw",
                                read_only=True)
        try:
            assert second.actor.username == "demo.analyst" and second.workspace.read_only
            assert len(second.people.list()) > 10
        finally:
            second.close()
        with pytest.raises(SignInFailed):
            open_signed_in(demo_path, PASSPHRASE, "demo.analyst", "wrong", read_only=True)
    finally:
        first.close()
    assert not writer_lock.lock_path(demo_path).exists()
