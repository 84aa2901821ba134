"""Trust benchmarks: sign-in (Argon2id), backup + verify, restore, open-time checks and an
erasure, on the demo size and a bench-size workspace. Prints figures; not collected by pytest.

    .venv/bin/python tests/benchmarks/bench_trust.py [people] [actions]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from deterrence_desktop.security import passwords
from deterrence_desktop.security.writer_lock import open_workspace
from deterrence_desktop.services import demo
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store import cipher

PASS = "benchmark passphrase (fictional)"


def timed(label: str, fn, *args, **kw):
    start = time.perf_counter()
    result = fn(*args, **kw)
    print(f"  {label:<44} {time.perf_counter() - start:8.3f} s")
    return result


def run(folder: Path, people: int, actions: int) -> None:
    path = folder / f"bench-{people}.ddw"
    size = demo.DEMO if people <= demo.DEMO.people else demo.bench_size(people, actions)
    print(f"\n{people:,} people, {actions:,} actions")
    app = timed("create workspace", demo.create_demo_workspace, path, PASS, size)
    app.workspace.checkpoint()
    app.close()
    print(f"  file size {path.stat().st_size / 1e6:.1f} MB")
    ws = timed("open with the writer lock", open_workspace, path, PASS)
    app = WorkspaceServices(ws).as_user("demo.coordinator")
    timed("cipher_integrity_check (all page HMACs)",
          lambda: ws.engine.connect().exec_driver_sql("PRAGMA cipher_integrity_check").all())
    timed("check (both integrity checks, FKs, chain)", app.maintenance.check)
    info = timed("backup now (export + verify + rotate)", app.backup.backup_now)
    timed("verify a backup", app.backup.verify, info.path)
    pid = app.people.list()[0].id
    timed("erasure preview", app.retention.erasure_preview, pid)
    timed("erase one person", app.retention.erase, pid, "benchmark (fictional)")
    timed("retention queue", app.retention.due)
    timed("restore the backup", app.backup.restore, info.path)
    ws.close()


def main() -> None:
    digest = None
    start = time.perf_counter()
    for _ in range(3):
        digest = passwords.hash_password("a fictional password")
    print(f"Argon2id hash: {(time.perf_counter() - start) / 3:.3f} s each "
          f"({digest.split('$')[3]})")
    start = time.perf_counter()
    passwords.verify_password(digest, "a fictional password")
    print(f"Argon2id verify (a sign-in): {time.perf_counter() - start:.3f} s")
    print(f"SQLCipher {cipher.cipher_version()}")
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    actions = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), demo.DEMO.people, demo.DEMO.actions)
        run(Path(tmp), people, actions)


if __name__ == "__main__":
    main()
