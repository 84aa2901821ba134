"""Audit anchors: the audit chain's head carried out of the workspace file.

Inside one file a rewritten history cannot be prevented: whoever holds the
passphrase can drop the append-only triggers, delete or insert entries and
recompute every hash (the chain is plain SHA-256). It can be made to show. The
chain's head (``seq:hash`` of the newest entry) is copied to places the
person rewriting does not control: an index beside the backups, every PDF the
app exports (keywords and small print), every tracker's hidden sheet, and
witness files the user keeps elsewhere (``deterrence-desktop witness``).
A head recorded at some time holds only while today's chain still has exactly
that hash at that entry and verifies up to it; entry N's hash covers every
entry before it, so one head vouches for the whole history up to N.

``check`` compares today's chain with every anchor it is shown and names the
first entry where history differs: exactly when a backup (which carries its
whole chain) reaches that far, otherwise as the span between the newest anchor
that still holds and the oldest that does not. The workspace also keeps its own
record of the anchors it gave out; that record can be edited with the rest of
the file, so it is compared but never relied on.

What anchors cannot show: entries appended after the newest anchor (a forged
entry at the end looks like a new one), and changes to records that leave the
audit trail alone.
"""
from __future__ import annotations

import bisect
import contextlib
import json
import logging
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import AuditOperation
from ..domain.errors import DeterrenceError
from ..exports.audit_anchor import TOKEN
from ..store.leftovers import owner_tag
from ..store.tables import AuditEntryRow, WorkspaceMeta
from . import audit
from .base import Service, UnitOfWork

log = logging.getLogger(__name__)

RECORD_KEY = "audit_anchors"        # workspace_meta: the anchors this workspace gave out
RECORD_LIMIT = 2000
INDEX_SUFFIX = "-anchors.txt"       # <stem>-anchors.txt in the backups folder
HEADER = ("# Deterrence Desktop audit anchors: one line each, when (UTC), the audit chain's "
          "head, the workspace, and where it went.\n# Keep this file where the workspace's "
          "users cannot change it; `deterrence-desktop check WORKSPACE --anchor THIS_FILE`.\n")
_WORKSPACE = re.compile(r"workspace=([0-9A-Za-z-]{1,64})")
_WORKSPACE_B = re.compile(rb"workspace=([0-9A-Za-z-]{1,64})")
_TOKEN_B = re.compile(TOKEN.pattern.encode())
_HEX16 = re.compile(r"[0-9a-f]{16}")
_MAX_FILE = 512 * 1024 * 1024
MAX_LISTED = 12
FINGERPRINT = 16                    # hex digits of each entry's hash in a witness file


class AnchorFileError(DeterrenceError):
    """An anchor file that cannot be read, or that carries no audit anchor."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    workspace_id: str = ""
    at: str = ""                # when it was taken (UTC), if known
    source: str = ""            # where it was found, for the report
    own_record: bool = False    # from the workspace's own record (not trusted)
    fingerprint: bool = False   # one entry's hash, shortened (a witness file's "+" lines)
    where: str = ""             # what the line says it went to ("backup team-….ddw", "restore of …")

    @property
    def token(self) -> str:
        return f"deterrence-audit={self.seq}:{self.hash} workspace={self.workspace_id}"

    def line(self, where: str) -> str:
        return f"{self.at} {self.token} {where}".strip() + "\n"


# ------------------------------------------------------------------ reading anchor files

def parse_text(text: str, source: str) -> list[Anchor]:
    """Anchors in a witness file or a backups index (one per line; ``#`` comments), and the
    entry fingerprints a witness file carries (``+ SEQ workspace=ID HASH16 HASH16 ...``)."""
    out = []
    for line in text.splitlines():
        if line.startswith("+ "):
            out += _fingerprints(line, source)
            continue
        m = TOKEN.search(line)
        if line.startswith("#") or not m:
            continue
        w = _WORKSPACE.search(line)
        at = line.split(" ", 1)[0] if line[:1].isdigit() else ""
        where = line[max(m.end(), w.end() if w else 0):].strip()
        out.append(Anchor(int(m[1]), m[2], w[1] if w else "", at, source, where=where))
    return out


def _fingerprints(line: str, source: str) -> list[Anchor]:
    parts = line.split()
    if len(parts) < 3 or not parts[1].isdigit() or not parts[2].startswith("workspace="):
        return []
    start, wid = int(parts[1]), parts[2].removeprefix("workspace=")
    return [Anchor(start + i, h, wid, "", source, fingerprint=True)
            for i, h in enumerate(parts[3:]) if _HEX16.fullmatch(h)]


def fingerprint_lines(chain: list[tuple[int, str]], workspace_id: str, per_line: int = 16) -> str:
    """``+`` lines for the entries of ``chain`` ((seq, hash) in order, no gaps)."""
    out = []
    for i in range(0, len(chain), per_line):
        part = chain[i:i + per_line]
        out.append(f"+ {part[0][0]} workspace={workspace_id} "
                   + " ".join(h[:FINGERPRINT] for _, h in part) + "\n")
    return "".join(out)


def _from_pdf(data: bytes, source: str) -> list[Anchor]:
    """The anchor in a PDF's keywords (as the app writes them, uncompressed; else pypdf)."""
    m = _TOKEN_B.search(data)
    if m:
        w = _WORKSPACE_B.search(data, m.end(), m.end() + 200)
        return [Anchor(int(m[1]), m[2].decode(), w[1].decode() if w else "", "", source)]
    with contextlib.suppress(Exception):     # pypdf is optional; any failure: no anchor
        import io

        from pypdf import PdfReader
        keywords = str((PdfReader(io.BytesIO(data)).metadata or {}).get("/Keywords") or "")
        return parse_text(keywords, source)
    return []


def _from_tracker(path: Path, source: str) -> list[Anchor]:
    """The ``audit_head`` in a tracker's hidden sheet (read-only, nothing else is read)."""
    from openpyxl import load_workbook

    from ..exports.tracker_xlsx import DATA_SHEET
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:       # noqa: BLE001 - any unreadable workbook gets the same message
        raise AnchorFileError(f"{path.name} could not be read as a tracker workbook") from None
    try:
        if DATA_SHEET not in wb.sheetnames:
            return []
        meta: dict[str, str] = {}
        for row in wb[DATA_SHEET].iter_rows(min_row=1, max_row=40, max_col=2, values_only=True):
            if row and isinstance(row[0], str) and len(row) > 1:
                meta[row[0]] = "" if row[1] is None else str(row[1])
    finally:
        wb.close()
    seq, _, digest = meta.get("audit_head", "").partition(":")
    if not seq.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", digest):
        return []
    return [Anchor(int(seq), digest, meta.get("workspace_id", ""), meta.get("exported_at", ""),
                   source)]


def read_anchor_file(path: Path | str) -> tuple[str, list[Anchor]]:
    """``(kind, anchors)`` of a witness file or backups index, a PDF the app exported, or a
    tracker; the kind is told by the content, not the name."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            size = os.fstat(fh.fileno()).st_size
            if size > _MAX_FILE:
                raise AnchorFileError(f"{path.name} is too large to be an anchor file")
            data = head + fh.read() if not head.startswith(b"PK\x03\x04") else b""
    except OSError as exc:
        raise AnchorFileError(f"the anchor file {path.name} cannot be read: "
                              f"{exc.strerror or 'read failed'}") from None
    if head.startswith(b"%PDF-"):
        kind, anchors = "PDF", _from_pdf(data, f"PDF {path.name}")
    elif head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        kind, anchors = "tracker", _from_tracker(path, f"tracker {path.name}")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise AnchorFileError(f"{path.name} is not a witness file, a PDF or a tracker "
                                  "made by this app") from None
        kind, anchors = "witness file", parse_text(text, f"witness file {path.name}")
    if not anchors:
        raise AnchorFileError(f"{path.name} ({kind}) carries no audit anchor")
    return kind, anchors


def append_line(path: Path | str, line: str) -> None:
    """Append ``line`` to an anchor file, atomically (a new file, fsynced, renamed over the
    old one; mode 0600). Refuses a file that is not an anchor file."""
    path = Path(path)
    old = ""
    if path.exists():
        try:
            old = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise AnchorFileError(f"{path.name} exists and is not a witness file: "
                                  "choose another file") from None
        if old.strip() and not old.startswith("#") and not parse_text(old, ""):
            raise AnchorFileError(f"{path.name} exists and is not a witness file: "
                                  "choose another file")
    if not old:
        old = HEADER
    if not old.endswith("\n"):
        old += "\n"
    try:
        # Tagged with this process, so a kill's leftover is cleaned with the backups'.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{owner_tag()}.", suffix=".part",
                                   dir=path.parent)
    except OSError as exc:
        raise AnchorFileError(f"the anchor file {path.name} cannot be written: "
                              f"{exc.strerror or 'write failed'}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(old + line)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise AnchorFileError(f"the anchor file {path.name} cannot be written: "
                              f"{exc.strerror or 'write failed'}") from None


def index_path(folder: Path | str, stem: str) -> Path:
    """The backups folder's index of the heads its backups were made at."""
    return Path(folder) / f"{stem}{INDEX_SUFFIX}"


# ------------------------------------------------------------------ chains of backups

def backup_chain(path: Path | str, passphrase: str,
                 recompute: bool = True) -> tuple[str, audit.ChainReport]:
    """``(workspace id, chain)`` of a backup file, read without changing it. Without
    ``recompute`` only the links are followed (seq and prev_hash), not every hash
    recomputed: enough to compare histories, and a fraction of the time."""
    from ..store import cipher

    conn = cipher.connect(Path(path), passphrase)
    try:
        conn.execute("PRAGMA query_only = ON")
        meta = dict(conn.execute(
            "SELECT key, value FROM workspace_meta WHERE key IN ('workspace_id', ?)",
            (audit.HEAD_KEY,)).fetchall())
        if recompute:
            rows = conn.execute(f"SELECT {', '.join(audit.ENTRY_COLUMNS)} FROM audit_entry "
                                "ORDER BY seq")
            chain = audit.verify_rows(rows, meta.get(audit.HEAD_KEY), keep_chain=True)
        else:
            chain = audit.ChainReport()
            prev = audit.GENESIS
            for seq, prev_hash, digest in conn.execute(
                    "SELECT seq, prev_hash, hash FROM audit_entry ORDER BY seq"):
                chain.entries += 1
                chain.chain.append((seq, digest))
                if seq == chain.valid_upto + 1 == chain.entries and prev_hash == prev:
                    chain.valid_upto = seq
                prev = digest
    finally:
        conn.close()
    return meta.get("workspace_id", ""), chain


def first_difference(earlier: audit.ChainReport, live: audit.ChainReport) -> int | None:
    """The first entry where ``live`` no longer has ``earlier``'s history (None: ``earlier``
    is a prefix of ``live``). Both must have been read with ``keep_chain``."""
    for i, (seq, digest) in enumerate(earlier.chain, start=1):
        if i > earlier.valid_upto:
            break                          # the earlier chain is itself broken from here
        if live.hash_at(i) != digest or seq != i:
            return i
    return None


# ------------------------------------------------------------------ the report

@dataclass
class AnchorReport:
    anchors: int = 0                      # how many were compared
    fingerprints: int = 0                 # and how many entry fingerprints
    sources: dict[str, int] = field(default_factory=dict)   # kind -> count
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    first_differs: int | None = None      # exact, from a backup's chain
    span: tuple[int, int] | None = None   # else: between these entries

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in self.sources.items())
        if self.fingerprints:
            kinds += f"; {self.fingerprints} entry fingerprints"
        return f"audit anchors ({self.anchors} compared" + (f": {kinds})" if kinds else ")")


class AnchorService(Service):
    """Taking anchors (exports, backups, witness files) and comparing the chain with them."""

    # -- taking ---------------------------------------------------------------
    def take(self, uow: UnitOfWork, where: str, head: tuple[int, str] | None = None) -> Anchor:
        """The chain's head now (or ``head``, read by the caller in an earlier part of this
        work, e.g. in a backup's snapshot), inside the caller's transaction; noted in the
        workspace's own record of the anchors it gave out (``where`` says to what)."""
        s = uow.session
        seq, digest = head or audit.head(s)
        wid = s.get(WorkspaceMeta, "workspace_id")
        anchor = Anchor(seq, digest, wid.value if wid else "",
                        self.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), where)
        if not uow.read_only:
            row = s.get(WorkspaceMeta, RECORD_KEY)
            record = _load_record(row.value if row else "")
            record.append([anchor.at, seq, digest, where[:120]])
            value = json.dumps(record[-RECORD_LIMIT:], separators=(",", ":"))
            if row is None:
                s.add(WorkspaceMeta(key=RECORD_KEY, value=value))
            else:
                row.value = value
            s.flush()
        return anchor

    def witness(self, out: Path | str) -> Anchor:
        """Append the chain's head, with the time, to the witness file ``out``, and a short
        fingerprint of every entry since the file's last line (so `check` can name the
        exact entry that changed). Refused when the file's earlier lines no longer hold."""
        out = Path(out)
        earlier: list[Anchor] = []
        with contextlib.suppress(OSError, UnicodeDecodeError):
            earlier = parse_text(out.read_text(encoding="utf-8"), "")
        with self.tx() as uow:
            anchor = self.take(uow, f"witness {out.name}")
            live = audit.verify(uow.session, keep_chain=True)
            if not live.ok:
                raise AnchorFileError("The audit trail fails its check: nothing was written to "
                                      f"{out.name}. Run deterrence-desktop check.")
            mine = [a for a in earlier if a.workspace_id == anchor.workspace_id]
            if not all(_holds(a, live) for a in mine):
                raise AnchorFileError(
                    f"The audit trail no longer holds the history recorded in {out.name}: nothing "
                    f"was appended. Run deterrence-desktop check with --anchor {out.name}.")
            done = max((a.seq for a in mine if a.fingerprint), default=0)
            append_line(out, anchor.line(f"witness {out.name}") + fingerprint_lines(
                live.chain[done:anchor.seq], anchor.workspace_id))
            uow.audit(AuditOperation.CONSULTATION, "audit", f"head {anchor.seq}",
                      f"audit head written to the witness file {out.name}")
        return anchor

    def write_index(self, folder: Path, anchor: Anchor) -> None:
        """Append a backup's anchor (taken with :meth:`take` in the backup's transaction) to
        the backups folder's index; a failure leaves the backup as good as it was."""
        try:
            append_line(index_path(folder, self.app.workspace.path.stem), anchor.line(anchor.source))
        except AnchorFileError:
            log.warning("the backups folder's anchor index could not be written")

    # -- comparing ------------------------------------------------------------
    def check(self, files: list[Path] | tuple[Path, ...] = (), passphrase: str | None = None,
              live: audit.ChainReport | None = None) -> AnchorReport:
        """Compare today's chain (``live``, if the caller has walked it with ``keep_chain``)
        with every anchor shown: the backups folder's index, the newest backup's own chain
        (given the ``passphrase``), ``files`` (witness files, PDFs, trackers) and the
        workspace's own record. Nothing is written."""
        report = AnchorReport()
        with self.tx() as uow:
            s = uow.session
            if live is None or (live.entries and not live.chain):
                live = audit.verify(s, keep_chain=True)
            wid_row = s.get(WorkspaceMeta, "workspace_id")
            wid = wid_row.value if wid_row else ""
            row = s.get(WorkspaceMeta, RECORD_KEY)
            own = [Anchor(int(r[1]), str(r[2]), wid, str(r[0]),
                          f"the workspace's own record ({r[3]})", own_record=True)
                   for r in _load_record(row.value if row else "")]
            restores = list(s.scalars(select(AuditEntryRow.seq).where(
                AuditEntryRow.entity == "workspace", AuditEntryRow.detail.like("%restore%"))))
        anchors: list[Anchor] = []

        def take_in(kind: str, found: list[Anchor], explicit: bool) -> None:
            heads = sum(1 for a in found if not a.fingerprint)
            if heads:
                report.sources[kind] = report.sources.get(kind, 0) + heads
            report.fingerprints += len(found) - heads
            other = []
            for a in found:
                (other if a.workspace_id and wid and a.workspace_id != wid else anchors).append(a)
            if other:
                report.problems.append(
                    f"{other[0].source} names another workspace ({other[0].workspace_id[:8]}…; "
                    f"this one is {wid[:8]}…): {len(other)} anchors not compared" + (
                        "" if explicit else "; if this file replaced an older workspace, move "
                        "the old index out of the backups folder"))

        # A server workspace has no file, so no backups folder beside it: its backups are
        # the server's (docs/team-mode.md); anchors in files given are still compared.
        on_file = self.app.workspace.path is not None
        folder = self.app.backup.folder() if on_file else None
        index = index_path(folder, self.app.workspace.path.stem) if on_file else None
        superseded: set[str] = set()
        if index is not None and index.exists():
            try:
                lines = parse_text(index.read_text(encoding="utf-8", errors="replace"),
                                   "the backups index")
            except OSError:
                lines = []
                report.problems.append(f"the backups index {index.name} cannot be read")
            superseded = restores_gave_up(lines)
            lines, given_up = _after_restores(lines)
            take_in("in the backups index", lines, False)
            if given_up:
                report.notes.append(
                    f"{len(given_up)} backups made after the backup a restore brought back were "
                    "not compared: the restore gave up the entries they hold")
        for f in files:
            try:
                kind, found = read_anchor_file(f)
            except AnchorFileError as exc:
                report.problems.append(str(exc))
                continue
            take_in(kind, found, True)
        take_in("from the workspace's own record", own, False)

        exact: list[tuple[int, str]] = []
        if passphrase is not None and folder is not None:
            exact = self._compare_newest_backup(folder, passphrase, wid, live, report, superseded)

        held = [(a, _holds(a, live)) for a in anchors]
        holding = sorted({a.seq for a, ok in held if ok})      # for the spans
        report.anchors = sum(1 for a in anchors if not a.fingerprint) + report.sources.get(
            "backup chain", 0)
        spans, seen, shown = [], set(), 0
        failing = sorted((a for a, ok in held if not ok), key=lambda a: (a.seq, a.own_record))
        for a in failing:
            if (a.seq, a.hash) in seen or (a.fingerprint and a.source in seen):
                continue
            seen.add(a.source if a.fingerprint else (a.seq, a.hash))
            below = bisect.bisect_left(holding, a.seq)
            lower = (holding[below - 1] if below else 0) + 1
            upper = max(min(a.seq, live.valid_upto + 1), lower)
            spans.append((lower, upper))
            now = ("no longer reaches it" if a.seq > live.entries
                   else "has a different entry there")
            when = f" of {a.at}" if a.at else ""
            shown += 1
            if a.fingerprint:
                report.problems.append(
                    f"{a.source}: entry {a.seq} is not the entry it recorded ({a.hash}…); the "
                    f"trail {now}; " + _span_text(lower, upper))
                continue
            if shown <= MAX_LISTED:
                report.problems.append(
                    f"{a.source}{when} recorded entry {a.seq} ({a.hash[:16]}…): the trail "
                    f"{now}; " + _span_text(lower, upper))
        if shown > MAX_LISTED:
            report.problems.append(f"and {shown - MAX_LISTED} more anchors that no longer hold")
        if exact:
            report.first_differs = min(e for e, _ in exact)
        if spans:
            report.span = min(spans, key=lambda sp: (sp[1], sp[0]))
        if report.first_differs is None and report.span and report.span[0] == report.span[1]:
            report.first_differs = report.span[0]
        if report.problems and (report.first_differs or report.span):
            first = (f"is entry {report.first_differs}." if report.first_differs else
                     f"lies between entry {report.span[0]} and entry {report.span[1]} (a "
                     "backup, or a witness file written more often, would name it).")
            report.problems.append(
                f"The audit trail's history was changed: the first entry that differs {first}")
            if restores:
                report.notes.append(
                    f"The trail records a restore from a backup (entry {restores[-1]}): anchors "
                    "taken after that backup was made no longer match. If you made that "
                    "restore, that is expected; the file it replaced was kept aside.")
        return report

    def _compare_newest_backup(self, folder: Path, passphrase: str, wid: str,
                               live: audit.ChainReport, report: AnchorReport,
                               superseded: set[str]) -> list[tuple[int, str]]:
        """The newest backup that opens carries its whole chain: it names the exact entry.
        Backups whose entries a later restore gave up are passed over."""
        from .backup import list_backups
        current = [b for b in list_backups(folder, self.app.workspace.path.stem)
                   if b.name not in superseded]
        for b in current[:3]:
            try:
                bwid, chain = backup_chain(b.path, passphrase, recompute=False)
            except Exception:       # noqa: BLE001 - `backups` reports why; try an older one
                continue
            report.sources["backup chain"] = 1
            if bwid and wid and bwid != wid:
                report.problems.append(f"backup {b.name} is of another workspace: not compared")
                return []
            d = first_difference(chain, live)
            if d is None:
                return []
            report.problems.append(
                f"backup {b.name} (entries 1 to {chain.entries}): history differs from entry {d}")
            return [(d, b.name)]
        return []


def _after_restores(lines: list[Anchor]) -> tuple[list[Anchor], list[Anchor]]:
    """Split a backups index into the anchors that must hold and those a restore gave up:
    the lines before a restore whose entry lies beyond the head the restored backup held.
    (The index is as trustworthy as the backups folder; witness files are never split.)"""
    keep, given_up = [], []
    lowest_later_restore = None
    for a in reversed(lines):
        if lowest_later_restore is not None and a.seq > lowest_later_restore:
            given_up.append(a)
        else:
            keep.append(a)
        if a.where.startswith("restore of "):
            lowest_later_restore = min(a.seq, lowest_later_restore if lowest_later_restore
                                       is not None else a.seq)
    return keep[::-1], given_up[::-1]


def restores_gave_up(lines: list[Anchor]) -> set[str]:
    """The names of the backups a later restore gave up, from a backups index's lines."""
    return {a.where.removeprefix("backup ") for a in _after_restores(lines)[1]
            if a.where.startswith("backup ")}


def note_restore(workspace: Path | str, backup: Path | str, passphrase: str) -> None:
    """After ``backup`` was restored over ``workspace``: add a line to the backups folder's
    index with the head the restored file holds, so the backups made after it are known to
    be given up (not rewritten). Nothing is noted if the backup's chain cannot be read."""
    from .backup import default_folder

    workspace, backup = Path(workspace), Path(backup)
    index = index_path(backup.parent, workspace.stem)
    if not index.exists():
        index = index_path(default_folder(workspace), workspace.stem)
        if not index.parent.is_dir():
            return
    try:
        wid, chain = backup_chain(backup, passphrase)
    except Exception:       # noqa: BLE001 - the restore has happened; the note is a courtesy
        log.warning("the restored backup's audit head could not be noted in the index")
        return
    seq, digest = chain.chain[-1] if chain.chain else (0, audit.GENESIS)
    from ..domain import clock
    at = clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        append_line(index, Anchor(seq, digest, wid, at).line(f"restore of {backup.name}"))
    except AnchorFileError:
        log.warning("the backups folder's anchor index could not be written")


def _holds(a: Anchor, live: audit.ChainReport) -> bool:
    if a.seq == 0:
        return True
    now = live.hash_at(a.seq)
    return now is not None and (now.startswith(a.hash) if a.fingerprint else now == a.hash)


def _span_text(lower: int, upper: int) -> str:
    if lower == upper:
        return f"history differs from entry {lower}"
    return f"history differs at an entry between entry {lower} and entry {upper}"


def _load_record(value: str) -> list[list]:
    try:
        record = json.loads(value) if value else []
    except ValueError:
        return []
    return [r for r in record if isinstance(r, list) and len(r) == 4
            and str(r[1]).isdigit() and isinstance(r[2], str)] if isinstance(record, list) else []


def compare_backup(path: Path | str, passphrase: str, live: audit.ChainReport,
                   live_workspace_id: str) -> str | None:
    """How a backup's chain differs from the live file's (None: it is a prefix of it)."""
    bwid, chain = backup_chain(path, passphrase)
    if bwid and live_workspace_id and bwid != live_workspace_id:
        return "it is a backup of another workspace"
    if not chain.ok:
        return f"its own audit trail is broken: {chain.problems[0]}"
    d = first_difference(chain, live)
    if d is None:
        return None
    return (f"its audit trail (entries 1 to {chain.entries}) differs from the workspace's "
            f"from entry {d}")
