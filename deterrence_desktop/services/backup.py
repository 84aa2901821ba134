"""Rotating encrypted backups of the workspace, verified, and restore from one.

A backup is made with ``ATTACH ... KEY`` and ``sqlcipher_export()`` into a new
file keyed with the workspace passphrase (so it is exactly as encrypted as
the workspace), written as ``*.part``, then verified by opening it on its own
and running ``PRAGMA cipher_integrity_check`` and ``PRAGMA integrity_check``,
and only then renamed into place. Backups are kept in a folder beside the
workspace (``team-backups/`` for ``team.ddw``) unless the ``backup_folder``
setting names another; the newest ``backup_keep_last`` (10) are kept, plus the
newest of each of the last ``backup_keep_weeks`` (8) weeks.

Restoring verifies the chosen backup, merges the workspace's own WAL into it
(or sets a foreign one aside), keeps the current file aside under a second name
(``team.ddw.before-restore-<time>``, a hard link or a copy), and puts the backup
in place with one rename over the workspace path: at every moment that path holds
a whole workspace, the old one or the restored one.

Temporary files a kill may leave (``.NAME.HOST-PID.part`` in the backups folder,
``.NAME.restore-HOST-PID.tmp`` beside the workspace) carry their writer's host and
process id; :func:`clean_leftovers` removes those whose process is gone, and
stale writer locks, at the next backup or restore.

Who may: making a backup by hand, restoring, and changing the passphrase are for
coordinators (the automatic backups run for whoever has the workspace open). A
restore refuses a backup of another workspace (``workspace_id`` differs) unless
asked for on purpose, and writes into the restored file who restored which backup
and what it replaced (the replaced file's audit head, ``seq:hash``). After a
passphrase change the backups can be re-encrypted (``rekey_backup``); those left
as they were are remembered by name and SHA-256, so ``backups`` can say they use
the previous passphrase instead of calling them damaged. No key material is kept.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from ..domain import clock
from ..domain.enums import AuditOperation, Role
from ..domain.errors import DeterrenceError
from ..security.writer_lock import clear_stale
from ..store import cipher, walguard
from ..store.leftovers import left_by_dead_process, owner_tag
from ..store.errors import StorageError, WorkspaceError, WrongPassphrase
from ..store.tables import WorkspaceMeta
from ..store.workspace import storage_error
from . import anchors, audit
from .base import Service

STAMP = "%Y%m%d-%H%M%S"
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?\.ddw$")
# A half-written backup (".NAME.ddw.HOST-PID.part") or anchors index (".NAME.txt.HOST-PID.
# RANDOM.part"): its writer's tag says whether the process that left it is gone.
_PART = re.compile(
    r"^\.(?P<name>.+?)\.(?P<tag>[0-9a-f]{8}-\d+)(?:\.\w+)?\.part(?:-journal)?$")
_OLD_PART = re.compile(r"^.+-\d{8}-\d{6}(?:-\d+)?\.ddw\.part(?:-journal)?$")   # before pids
_OLD_LEFTOVER_AGE = 3600          # seconds: a part without a pid untouched this long is dead


class BackupFailed(WorkspaceError):
    """A backup could not be made or did not verify; the previous backups are untouched."""


class BackupDamaged(WorkspaceError):
    """A backup failed its checks and cannot be restored."""


class OtherWorkspace(WorkspaceError):
    """The backup is of another workspace; restoring it needs an explicit yes."""


PREVIOUS_PASSPHRASE_KEY = "backups_before_passphrase_change"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    made_at: datetime          # local time, from the file name
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def default_folder(workspace: Path | str) -> Path:
    workspace = Path(workspace)
    return workspace.with_name(f"{workspace.stem}-backups")


def list_backups(folder: Path | str, stem: str) -> list[BackupInfo]:
    """The backups of the workspace called ``stem`` in ``folder``, newest first."""
    folder = Path(folder)
    out: list[tuple[datetime, int, BackupInfo]] = []
    if not folder.is_dir():
        return []
    for p in folder.iterdir():
        m = _NAME.match(p.name)
        if not m or m["stem"] != stem or not p.is_file():
            continue
        try:
            when = datetime.strptime(m["stamp"], STAMP)
        except ValueError:
            continue
        out.append((when, int(m["n"] or 1), BackupInfo(p, when, p.stat().st_size)))
    # Two backups in one second: the second is named "-2", which sorts before the first
    # by name ('-' < '.'), so order by the number, not the name.
    out.sort(key=lambda b: (b[0], b[1]), reverse=True)
    return [b[2] for b in out]


def verify_backup(path: Path | str, passphrase: str) -> list[str]:
    """Problems found in a backup file (empty: it opens and passes both checks)."""
    path = Path(path)
    try:
        cipher.check_openable(path, writable=False)
        conn = cipher.connect(path, passphrase)
    except WrongPassphrase:
        return ["it does not open with this workspace's passphrase, or its first page is damaged"]
    except (WorkspaceError, OSError) as exc:
        return [str(exc)]
    except Exception:       # noqa: BLE001 - any driver failure means the file is not good
        return ["it could not be opened as a workspace"]
    problems: list[str] = []
    try:
        rows = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")]
        problems += [f"cipher integrity: {r}" for r in rows[:10]]
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems += [f"SQLite integrity: {r}" for r in rows[:10]]
    except Exception:       # noqa: BLE001
        problems.append("a page failed its check while reading it")
    finally:
        conn.close()
    return problems


def newest_good_backup(workspace: Path | str, passphrase: str,
                       folder: Path | str | None = None) -> tuple[BackupInfo | None, list[tuple[BackupInfo, list[str]]]]:
    """The newest backup that verifies, and the newer ones that did not (with why)."""
    workspace = Path(workspace)
    bad = []
    for b in list_backups(folder or default_folder(workspace), workspace.stem):
        problems = verify_backup(b.path, passphrase)
        if not problems:
            return b, bad
        bad.append((b, problems))
    return None, bad


def to_prune(backups: list[BackupInfo], keep_last: int = 10, keep_weeks: int = 8,
             now: datetime | None = None) -> list[BackupInfo]:
    """Which backups the rotation removes: all but the newest ``keep_last`` and the
    newest of each of the last ``keep_weeks`` weeks (7-day buckets back from now)."""
    now = now or clock.now()
    ordered = sorted(backups, key=lambda b: (b.made_at, b.name), reverse=True)
    keep = {b.path for b in ordered[:keep_last]}
    weeks_seen: set[int] = set()
    for b in ordered:
        week = (now - b.made_at).days // 7
        if 0 <= week < keep_weeks and week not in weeks_seen:
            weeks_seen.add(week)
            keep.add(b.path)
    return [b for b in ordered if b.path not in keep]


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _restore_tmp(workspace: Path, tag: str) -> Path:
    return workspace.with_name(f".{workspace.name}.restore-{tag}.tmp")


def clean_leftovers(workspace: Path | str, folder: Path | str | None = None) -> list[Path]:
    """Remove what killed backups and restores of ``workspace`` left: half-written
    backups in ``folder`` (default: beside the workspace) and restore copies beside it,
    whose process is gone, and a stale writer lock. Files of a live process, of another
    computer, or not recognisably ours are left alone. Returns what was removed."""
    workspace = Path(workspace)
    folder = Path(folder) if folder else default_folder(workspace)
    old = time.time() - _OLD_LEFTOVER_AGE      # against file times: the machine's clock
    removed: list[Path] = []

    def drop(p: Path) -> None:
        with contextlib.suppress(OSError):
            p.unlink()
            removed.append(p)

    with contextlib.suppress(OSError):
        for p in (folder.iterdir() if folder.is_dir() else ()):
            m = _PART.match(p.name)
            if m and left_by_dead_process(m["tag"]):
                drop(p)
            elif _OLD_PART.match(p.name) and p.stat().st_mtime < old:
                drop(p)
    prefix, legacy = f".{workspace.name}.restore-", f".{workspace.name}.restore.tmp"
    with contextlib.suppress(OSError):
        for p in workspace.parent.iterdir():
            if p.name.startswith(prefix) and p.name.endswith(".tmp"):
                if left_by_dead_process(p.name[len(prefix):-len(".tmp")]):
                    drop(p)
            elif p.name == legacy and p.stat().st_mtime < old:
                drop(p)
    if clear_stale(workspace):
        removed.append(Path(f"{workspace}.lock"))
    return removed


def _settle_wal(workspace: Path, passphrase: str) -> None:
    """Merge the (closed) workspace's own WAL into its file, so the file alone is the
    whole current state; a WAL that is not its own is set aside on the way. When the
    passphrase does not open the file (damaged, or keyed otherwise), the WAL stays and
    is kept aside with the file."""
    wal = Path(f"{workspace}-wal")
    if not wal.exists() or wal.stat().st_size == 0 or not workspace.exists():
        return
    try:
        conn = cipher.connect(workspace, passphrase)
    except Exception:       # noqa: BLE001 - it does not open: the WAL is kept with the file
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:       # noqa: BLE001
        pass
    finally:
        conn.close()


def _keep_aside(src: Path, dst: Path) -> None:
    """``dst`` becomes a second name for ``src`` (a hard link), else a copy of it."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def restore_backup(workspace: Path | str, backup: Path | str, passphrase: str) -> Path:
    """Replace the (closed) workspace file with ``backup`` after verifying it. The
    current file is kept aside; its path is returned. Nothing changes on failure, and
    the workspace path never lacks a whole file: the backup is renamed over it."""
    workspace, backup = Path(workspace), Path(backup)
    clean_leftovers(workspace)
    problems = verify_backup(backup, passphrase)
    if problems:
        raise BackupDamaged(f"The backup {backup.name} failed its checks and was not restored: "
                            + problems[0])
    if walguard.in_use(workspace, open_here=False):
        raise WorkspaceError(f"{workspace.name} is open (perhaps read-only) in another copy of "
                             "the app: close it there, then restore.")
    stamp = clock.now().strftime(STAMP)
    aside = workspace.with_name(f"{workspace.name}.before-restore-{stamp}")
    n = 1
    while any(Path(f"{aside}{suffix}").exists() for suffix in ("", "-wal")):
        n += 1          # two restores within a second: keep both earlier files
        aside = workspace.with_name(f"{workspace.name}.before-restore-{stamp}-{n}")
    tmp = _restore_tmp(workspace, owner_tag())
    try:
        with backup.open("rb") as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"The backup could not be copied beside the workspace "
                           f"({exc.strerror or 'write failed'}): nothing was changed.") from None
    _settle_wal(workspace, passphrase)
    kept: list[str] = []
    try:
        for suffix in ("", "-wal"):
            src = Path(f"{workspace}{suffix}")
            if src.exists() and (suffix == "" or src.stat().st_size > 0):
                _keep_aside(src, Path(f"{aside}{suffix}"))
                kept.append(suffix)
        _fsync_dir(workspace.parent)
        # The old journal files would be read as the restored file's: they go first. The
        # -shm is only an index of the WAL; the WAL is either merged or kept aside.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{workspace}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, workspace)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        for suffix in kept:         # put back what was removed; drop the second names
            with contextlib.suppress(OSError):
                if Path(f"{workspace}{suffix}").exists():
                    Path(f"{aside}{suffix}").unlink()
                else:
                    os.replace(f"{aside}{suffix}", f"{workspace}{suffix}")
        raise StorageError(f"The workspace could not be replaced ({exc.strerror or 'rename failed'}):"
                           " nothing was changed.") from None
    _fsync_dir(workspace.parent)
    anchors.note_restore(workspace, backup, passphrase)
    return aside


class BackupService(Service):
    """Backups of the open workspace. Every call runs on the database worker."""

    def folder(self) -> Path:
        configured = self.app.settings.get("backup_folder")
        return Path(configured) if configured else default_folder(self.app.workspace.path)

    def list(self) -> list[BackupInfo]:
        return list_backups(self.folder(), self.app.workspace.path.stem)

    def _passphrase(self) -> str:
        ws = self.app.workspace
        passphrase = getattr(ws, "_passphrase", None)
        if passphrase is None:
            raise WorkspaceError("The workspace is locked or closed")
        return passphrase

    def backup_now(self, reason: str = "manual", *, automatic: bool = False) -> BackupInfo:
        """Make, verify and keep a new backup; then apply the rotation. By hand it is for
        coordinators; the ``automatic`` ones (daily, on close) run for anyone."""
        if not automatic:
            self.require(Role.COORDINATOR, operation=AuditOperation.CONSULTATION, entity="backup")
        ws = self.app.workspace
        if ws.read_only:
            raise BackupFailed("A workspace opened read-only is backed up by the copy that has it open")
        folder = self.folder()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupFailed(f"The backup folder cannot be created ({exc.strerror})") from None
        stem = ws.path.stem
        now = self.now()
        name = f"{stem}-{now.strftime(STAMP)}.ddw"
        n = 1
        while (folder / name).exists():
            n += 1
            name = f"{stem}-{now.strftime(STAMP)}-{n}.ddw"
        final = folder / name
        part = folder / f".{name}.{owner_tag()}.part"    # hidden; a kill's is cleaned later
        passphrase = self._passphrase()
        clean_leftovers(ws.path, folder)
        try:
            head_at_export = self._export(part, passphrase)
            problems = verify_backup(part, passphrase)
            if problems:
                raise BackupFailed("The new backup did not verify and was discarded: " + problems[0])
            with part.open("rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(part, final)
            _fsync_dir(folder)
        except BaseException as exc:
            part.unlink(missing_ok=True)
            Path(f"{part}-journal").unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise BackupFailed(f"The backup could not be written ({exc.strerror}); "
                                   "the previous backups are untouched") from None
            if isinstance(exc, DeterrenceError):
                raise
            clear = storage_error(exc)
            if clear is not None:
                raise BackupFailed(f"The backup could not be written: {clear}") from None
            raise
        info = BackupInfo(final, datetime.strptime(now.strftime(STAMP), STAMP), final.stat().st_size)
        with self.tx() as uow:
            uow.audit(AuditOperation.CONSULTATION, "backup", final.name,
                      f"encrypted backup ({reason}); verified")
            head = uow.session.get(WorkspaceMeta, audit.HEAD_KEY)
            head_value = head.value if head else ""
            anchor = self.app.anchors.take(uow, f"backup {final.name}", head_at_export)
        self.app.anchors.write_index(folder, anchor)
        self.app.settings.set("backup_last_audit_head", head_value, internal=True)
        self.prune()
        return info

    def _export(self, part: Path, passphrase: str) -> tuple[int, str]:
        """Copy the workspace into ``part``; returns the audit head the copy holds."""
        ws = self.app.workspace
        raw = ws.engine.raw_connection()
        try:
            conn = raw.dbapi_connection
            conn.execute("ATTACH DATABASE ? AS backup KEY ?", (str(part), passphrase))
            try:
                # No -journal file beside the part: a kill leaves one file, not two.
                conn.execute("PRAGMA backup.journal_mode = MEMORY")
                # One transaction: the copy is one consistent snapshot even if another
                # process (the command line) writes meanwhile.
                conn.execute("BEGIN")
                try:
                    conn.execute("SELECT sqlcipher_export('backup')")
                    conn.execute(f"PRAGMA backup.application_id = {cipher.APPLICATION_ID}")
                    head = conn.execute("SELECT seq, hash FROM backup.audit_entry "
                                        "ORDER BY seq DESC LIMIT 1").fetchone()
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:      # a full disk has already rolled it back
                        conn.execute("ROLLBACK")
                    raise
            finally:
                conn.execute("DETACH DATABASE backup")
        finally:
            raw.close()
        return (int(head[0]), str(head[1])) if head else (0, audit.GENESIS)

    def changed_since_last_backup(self) -> bool:
        with self.tx() as uow:
            head = uow.session.scalar(select(WorkspaceMeta.value).where(
                WorkspaceMeta.key == audit.HEAD_KEY)) or ""
        return head != self.app.settings.get("backup_last_audit_head")

    def backup_if_due(self) -> BackupInfo | None:
        """The daily backup while open: made when the newest is older than the interval
        and something changed since."""
        if self.app.workspace.read_only:
            return None
        hours = self.app.settings.get("backup_interval_hours")
        newest = next(iter(self.list()), None)
        if newest is not None and self.now() - newest.made_at < timedelta(hours=hours):
            return None
        if newest is not None and not self.changed_since_last_backup():
            return None
        return self.backup_now("scheduled", automatic=True)

    def backup_on_close(self) -> BackupInfo | None:
        """The backup when the workspace closes: made when anything changed since the last."""
        if self.app.workspace.read_only:
            return None
        if self.list() and not self.changed_since_last_backup():
            return None
        return self.backup_now("on close", automatic=True)

    def prune(self) -> list[Path]:
        removed = []
        for b in to_prune(self.list(), self.app.settings.get("backup_keep_last"),
                          self.app.settings.get("backup_keep_weeks")):
            with contextlib.suppress(OSError):
                b.path.unlink()
                removed.append(b.path)
        return removed

    def verify(self, path: Path | str) -> list[str]:
        return verify_backup(path, self._passphrase())

    def state(self, path: Path | str) -> str:
        """One line for the backups list: "good", "uses the previous passphrase ...", or
        "FAILS: why" (see :func:`backup_state`)."""
        return backup_state(path, self._passphrase(), self.previous_passphrase_record())

    def restore(self, backup: Path | str, *, other_workspace: bool = False) -> Path:
        """Replace the open workspace with ``backup`` (coordinators only), after checking
        it. A backup of another workspace is refused unless ``other_workspace``. The
        current file is kept aside (its path is returned); the workspace stays open, now
        on the restored content, with the restore in its audit trail: who, which backup,
        and what it replaced."""
        name = Path(backup).name
        self.require(Role.COORDINATOR, entity="backup", ref=name)
        ws = self.app.workspace
        passphrase = self._passphrase()
        problems = verify_backup(backup, passphrase)
        if problems:
            raise BackupDamaged(f"The backup {name} failed its checks and was "
                                "not restored: " + problems[0])
        theirs, their_head = backup_identity(backup, passphrase)
        with self.tx() as uow:
            ours = uow.session.get(WorkspaceMeta, "workspace_id")
            ours = ours.value if ours else ""
            replaced = audit.head(uow.session)
        if theirs != ours and not other_workspace:
            with self.tx() as uow:
                uow.audit(AuditOperation.CONSULTATION, "backup", name,
                          "restore refused: the backup is of another workspace")
            raise OtherWorkspace(
                f"The backup {name} is of another workspace, not of {ws.path.name}: "
                "nothing was changed.")
        ws.checkpoint()
        ws.engine.dispose()                 # every connection closed: the file can move
        aside = restore_backup(ws.path, backup, passphrase)
        self.record_restore(name, their_head, theirs,
                            f"workspace {ours} at audit head {replaced[0]}:{replaced[1]}",
                            aside, other=theirs != ours)
        return aside

    def record_restore(self, name: str, backup_head: tuple[int, str], backup_id: str,
                       replaced: str, aside: Path | None, *, other: bool = False) -> None:
        """The restore's entry in the restored file's audit trail (written by the actor)."""
        detail = (f"restored from backup {name} (its audit head {backup_head[0]}:"
                  f"{backup_head[1]}); replaced {replaced}")
        if aside is not None:
            detail += f"; previous file kept as {aside.name}"
        if other:
            detail += f"; the backup is of another workspace ({backup_id}), restored on purpose"
        with self.tx() as uow:
            uow.audit(AuditOperation.ALTERATION, "workspace", name, detail)

    # -- after a passphrase change --------------------------------------------------
    def previous_passphrase_record(self) -> dict[str, dict[str, str]]:
        """Backup file name -> {"sha256", "changed_on"} for the backups left with an
        earlier passphrase when it was changed."""
        with self.tx() as uow:
            return _previous_record(uow.session)

    def remember_previous_passphrase(self, uow, backups: list[BackupInfo], changed_on: str) -> None:
        """Inside the passphrase change's transaction: remember ``backups`` (left with the
        previous passphrase) by name and SHA-256; forget files that are gone."""
        record = {name: entry for name, entry in _previous_record(uow.session).items()
                  if (self.folder() / name).exists()}
        for b in backups:
            digest = file_sha256(b.path)
            if record.get(b.name, {}).get("sha256") != digest:
                record[b.name] = {"sha256": digest, "changed_on": changed_on}
        row = uow.session.get(WorkspaceMeta, PREVIOUS_PASSPHRASE_KEY)
        value = json.dumps(record, sort_keys=True)
        if row is None:
            uow.session.add(WorkspaceMeta(key=PREVIOUS_PASSPHRASE_KEY, value=value))
        else:
            row.value = value


def _previous_record(session) -> dict[str, dict[str, str]]:
    row = session.get(WorkspaceMeta, PREVIOUS_PASSPHRASE_KEY)
    try:
        record = json.loads(row.value) if row is not None else {}
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_state(path: Path | str, passphrase: str,
                 previous: dict[str, dict[str, str]] | None = None) -> str:
    """One line for a backup: "good", "uses the previous passphrase ..." (a backup left
    as it was when the passphrase changed, found by its SHA-256), or "FAILS: why"."""
    path = Path(path)
    problems = verify_backup(path, passphrase)
    if not problems:
        return "good"
    entry = (previous or {}).get(path.name)
    if entry is not None:
        with contextlib.suppress(OSError):
            if file_sha256(path) == entry.get("sha256"):
                try:
                    when = datetime.fromisoformat(entry["changed_on"]).strftime("%d %b %Y")
                except (KeyError, ValueError):
                    when = "an earlier date"
                return (f"uses the previous passphrase (made before the passphrase change on "
                        f"{when}); it is not damaged, it opens only with that passphrase")
    return f"FAILS: {problems[0]}"


def backup_identity(path: Path | str, passphrase: str) -> tuple[str, tuple[int, str]]:
    """A (verified) backup's workspace id and audit head."""
    conn = cipher.connect(Path(path), passphrase)
    try:
        row = conn.execute("SELECT value FROM workspace_meta WHERE key = 'workspace_id'").fetchone()
        last = conn.execute("SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return (row[0] if row else ""), ((int(last[0]), str(last[1])) if last else (0, audit.GENESIS))


def rekey_backup(path: Path | str, old: str, new: str) -> None:
    """Re-encrypt one backup with the ``new`` passphrase: ``PRAGMA rekey`` on a copy beside
    it, the copy verified with ``new``, then renamed over the backup. On any failure the
    backup is left exactly as it was (BackupFailed says why)."""
    path = Path(path)
    part = path.with_name(path.name + ".part")
    try:
        shutil.copy2(path, part)
        conn = cipher.connect(part, old)
        try:
            conn.execute(f"PRAGMA rekey = {cipher.quote_key(new)}")
        finally:
            conn.close()
        problems = verify_backup(part, new)
        if problems:
            raise BackupFailed(f"{path.name} did not verify after re-encryption: {problems[0]}")
        with part.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(part, path)
        _fsync_dir(path.parent)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        Path(f"{part}-journal").unlink(missing_ok=True)
        if isinstance(exc, WrongPassphrase):
            raise BackupFailed(f"{path.name} does not open with the previous passphrase") from None
        if isinstance(exc, OSError):
            raise BackupFailed(f"{path.name} could not be re-encrypted ({exc.strerror})") from None
        if isinstance(exc, DeterrenceError):
            raise
        clear = storage_error(exc)
        if clear is not None:
            raise BackupFailed(f"{path.name} could not be re-encrypted: {clear}") from None
        raise
