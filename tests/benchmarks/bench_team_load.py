"""Benchmark: team mode under load, with the server killed in the middle.

    .venv/bin/python tests/benchmarks/bench_team_load.py [--clients 10] [--duration 120]
        [--kill-at SECONDS] [--down SECONDS] [--think MIN MAX] [--people N --actions M]

A cluster of the benchmark's own (packaging/team-server.sh, through the helpers of
tests/server_fixtures.py) gets a database with the demo, moved up with
``services.transfer.upload``, and server logins for the clients' users (coordinators
and partner officers, ``server_admin.add_user``). Then N client processes (spawned)
each run, for DURATION seconds, a mix through the services on a ``ServerWorkspace``
(``WorkspaceServices.for_server``):

- a board move: an action to another status, with the version the board read;
- a person page (``people.page``, what the page loads);
- a communication logged (with a marker of the client's own in its message);
- every ~30 s (coordinators): a partner's tracker exported, one Notes cell edited with
  openpyxl as the partner would, and the return checked and applied.

Every accepted write is recorded (its id, values and the version it made), every
latency, every conflict (EditConflict / ConflictError / StaleDataError) and every retry.
At KILL-AT seconds the benchmark runs ``pg_ctl stop -m immediate`` on its cluster and
starts it again DOWN seconds later; the clients see ConnectionLost, wait and retry. A
write whose fate the lost connection hid is looked up before it is retried (a
communication by its marker, a move by the outcome text it wrote), so nothing is written
twice. At the end the benchmark checks that every accepted write is in the database
(each action's version went up by exactly its accepted writes, its fields hold the last
of them; each communication exists once) and that the audit chain verifies, and prints
p50/p95/max per operation, writes, conflicts, retries and the outage.

The clients run on the same machine as the server: on two cores, ten Python processes
pausing 0.05-0.25 s between operations (the default ``--think``) compete with the server
for the CPU, which the latencies include. One client alone on a quiet machine: a board
move about 15 ms (4 transactions, 11 statements), a person page about 12 ms.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

PASSPHRASE = "bench passphrase - fictional data only"
TODAY = date(2026, 11, 26)
OPERATIONS = ("board_move", "person_page", "communication", "tracker_import")
MOVES = ("planned", "in_progress", "blocked", "done")
TRACKER_EVERY = 30.0            # seconds between one coordinator's tracker imports
THINK = (0.05, 0.25)            # seconds a client pauses between two operations (uniform)


# -- setting up ---------------------------------------------------------------------------
@dataclass
class Login:
    username: str
    password: str
    role: str                   # coordinator, partner_officer
    partner_id: int | None = None


@dataclass
class Setup:
    address: dict               # ServerAddress fields, user left to each client
    logins: list[Login]
    rows: int                   # rows uploaded


def set_up(server, database: str, clients: int, people: int | None = None,
           actions: int | None = None, workdir: Path | None = None,
           say=print) -> Setup:
    """The demo (or a bench size) uploaded into ``database``, and ``clients`` logins: a
    third coordinators (at least one), the rest partner officers of the busiest partners."""
    from sqlalchemy import func, select

    from deterrence_desktop.domain.enums import Role
    from deterrence_desktop.domain.model import User
    from deterrence_desktop.services import demo, server_admin, transfer
    from deterrence_desktop.store.server import admin_engine
    from deterrence_desktop.store.tables import ActionRow, PartnerRow
    from deterrence_desktop.store.workspace import Workspace

    workdir = Path(workdir or tempfile.mkdtemp(prefix="dd-load-"))
    size = demo.bench_size(people, actions or 200_000) if people else demo.DEMO
    path = workdir / "load.ddw"
    demo.create_demo_workspace(path, PASSPHRASE, size, today=TODAY).close()
    server.create_database(database)
    address = server.address(database)
    engine = admin_engine(address, server.admin_password)
    try:
        ws = Workspace.open(path, PASSPHRASE)
        try:
            report = transfer.upload(ws, engine)
        finally:
            ws.close()
        say(f"Uploaded the demo: {report.rows} rows")
        with engine.connect() as conn:
            busiest = [pid for pid, _n in conn.execute(
                select(ActionRow.partner_id, func.count()).join(
                    PartnerRow, PartnerRow.id == ActionRow.partner_id)
                .group_by(ActionRow.partner_id).order_by(func.count().desc()))]
    finally:
        engine.dispose()
    coordinators = max(1, clients // 3)
    logins = []
    for i in range(clients):
        n = i + 1
        if i < coordinators:
            login = Login(f"load.coordinator{n}", f"load test password {n} (fictional)",
                          "coordinator")
        else:
            login = Login(f"load.officer{n}", f"load test password {n} (fictional)",
                          "partner_officer", busiest[(i - coordinators) % len(busiest)])
        server_admin.add_user(address, server.admin_password, User(
            username=login.username, display_name=f"Load Tester {n} (fictional)",
            role=Role(login.role), partner_id=login.partner_id, active=True), login.password)
        logins.append(login)
    return Setup(address={k: getattr(address, k) for k in
                          ("host", "port", "database", "ca_file")},
                 logins=logins, rows=report.rows)


# -- one client -------------------------------------------------------------------------------
@dataclass
class ClientResult:
    username: str
    latencies: dict = field(default_factory=lambda: defaultdict(list))   # op -> [ms]
    moves: list = field(default_factory=list)          # [action id, version made, status, outcome]
    tracker_writes: list = field(default_factory=list)  # [action id, version made, notes]
    communications: list = field(default_factory=list)  # [id, marker]
    uncertain_moves: list = field(default_factory=list)  # [action id, version read, outcome]
    conflicts: Counter = field(default_factory=Counter)
    retries: Counter = field(default_factory=Counter)
    landed_before_retry: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    lost_seconds: float = 0.0           # time this client spent waiting for the server
    ready_at: float = 0.0               # monotonic time its loop began (after imports, sign-in)
    error_samples: list = field(default_factory=list)


def _lost_errors():
    from sqlalchemy.exc import DBAPIError, PendingRollbackError

    from deterrence_desktop.store.errors import ConnectionLost, ServerRefused
    return (ConnectionLost, ServerRefused, DBAPIError, PendingRollbackError)


def _conflict_errors():
    from sqlalchemy.orm.exc import StaleDataError

    from deterrence_desktop.domain import errors
    found = [StaleDataError, errors.ConflictError]
    if hasattr(errors, "EditConflict"):         # team-versions
        found.append(errors.EditConflict)
    return tuple(found)


def client_main(spec: dict, ready=None) -> None:
    """A client process: signs in, waits at ``ready`` (a barrier) for the others, runs the
    mix for the run's duration, and writes its results as JSON."""
    result = ClientResult(spec["username"])
    try:
        _client_loop(spec, result, ready)
    except BaseException:       # noqa: BLE001 - reported in the results, not lost
        result.errors["crashed"] += 1
        result.error_samples.append(traceback.format_exc()[-2000:])
    Path(spec["out"]).write_text(json.dumps(vars(result)))


def _client_loop(spec: dict, result: ClientResult, ready) -> None:
    import openpyxl
    from sqlalchemy import select

    from deterrence_desktop.domain.enums import ActionStatus, CommunicationChannel
    from deterrence_desktop.domain.model import Communication
    from deterrence_desktop.exports.tracker_xlsx import ACTIONS_SHEET, HEADERS
    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.services.trackers import AgreementNotInForce, RowState
    from deterrence_desktop.store.server import ServerAddress, ServerWorkspace
    from deterrence_desktop.store.tables import ActionRow, CommunicationRow

    lost, conflicts = _lost_errors(), _conflict_errors()
    rng = random.Random(spec["seed"])
    user = spec["username"]
    address = ServerAddress(user=user, **spec["address"])
    deadline = time.monotonic() + 600        # until every client is signed in
    workdir = Path(spec["workdir"])

    def wait_for_server(op: str) -> None:
        """After a lost connection: wait until the server answers again."""
        result.retries[op] += 1
        start = time.monotonic()
        while time.monotonic() < deadline + 60:
            time.sleep(0.2)
            try:
                if ws.ping():
                    break
            except Exception:      # noqa: BLE001
                pass
        result.lost_seconds += time.monotonic() - start

    while True:
        try:
            ws = ServerWorkspace.connect(address, spec["password"])
            break
        except lost:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    app = WorkspaceServices.for_server(ws)
    action_ids = sorted(v.id for v in app.actions.list())
    if spec["role"] == "coordinator":
        people = sorted(p.id for p in app.people.list())
    else:
        people = sorted({v.person_id for v in app.actions.list() if v.person_id})
    tracker_partners = list(spec.get("tracker_partners", []))
    if ready is not None:
        ready.wait(timeout=600)
    # CLOCK_MONOTONIC is the machine's: every client and the parent read the same one.
    result.ready_at = time.monotonic()
    deadline = result.ready_at + spec["duration"]
    next_tracker = time.monotonic() + rng.uniform(2, min(TRACKER_EVERY, 10))
    n = 0

    def timed(op: str, fn):
        t0 = time.perf_counter()
        value = fn()
        result.latencies[op].append((time.perf_counter() - t0) * 1000)
        return value

    def marker() -> str:
        return f"{user}#{n}"

    # -- the operations: each returns once its outcome is known ---------------------------
    def board_move() -> None:
        aid = rng.choice(action_ids)
        outcome = f"Load test outcome {marker()} (fictional)"
        while True:
            try:
                current = app.actions.get(aid)          # what the board shows
            except lost:
                wait_for_server("board_move")
                continue
            status = rng.choice([s for s in MOVES if s != current.status])
            try:
                timed("board_move", lambda: app.board.move(
                    aid, ActionStatus(status), outcome=outcome,
                    expected_version=current.version))
                result.moves.append([aid, current.version + 1, status, outcome])
                return
            except conflicts:
                result.conflicts["board_move"] += 1
                return
            except lost:
                wait_for_server("board_move")
                # Did the move commit before the connection went? Its outcome text says.
                while True:
                    try:
                        with ws.session() as s:
                            row = s.execute(select(ActionRow.version, ActionRow.outcome,
                                                   ActionRow.status)
                                            .where(ActionRow.id == aid)).one()
                        break
                    except lost:
                        wait_for_server("board_move")
                if row.outcome == outcome and row.version == current.version + 1:
                    result.landed_before_retry["board_move"] += 1
                    result.moves.append([aid, current.version + 1, row.status, outcome])
                    return
                if row.version != current.version:
                    # Someone moved it since; whether ours landed first is settled at the end.
                    result.uncertain_moves.append([aid, current.version, outcome])
                    return
                # Not written: try again with what the board reads now.

    def person_page() -> None:
        pid = rng.choice(people)
        while True:
            try:
                timed("person_page", lambda: app.people.page(pid))
                return
            except lost:
                wait_for_server("person_page")

    def communication() -> None:
        pid = rng.choice(people)
        text = f"Load test contact {marker()} (fictional)"
        while True:
            try:
                record = timed("communication", lambda: app.communications.record(Communication(
                    person_id=pid, occurred_at=app.now().replace(microsecond=0),
                    channel=CommunicationChannel.PHONE, delivered_by=user, message=text)))
                result.communications.append([record.id, text])
                return
            except lost:
                wait_for_server("communication")
                while True:         # before writing it again: is it there already?
                    try:
                        with ws.session() as s:
                            found = s.scalar(select(CommunicationRow.id)
                                             .where(CommunicationRow.message == text))
                        break
                    except lost:
                        wait_for_server("communication")
                if found is not None:
                    result.landed_before_retry["communication"] += 1
                    result.communications.append([found, text])
                    return

    def tracker_import() -> None:
        if not tracker_partners:
            return
        partner = rng.choice(tracker_partners)
        notes = f"Load test note {marker()} (fictional)"
        path = workdir / f"{user}-{n}.xlsx"
        while True:
            try:
                t0 = time.perf_counter()
                path.unlink(missing_ok=True)
                app.trackers.export(path, partner_id=partner)
                wb = openpyxl.load_workbook(path)
                sheet = wb[ACTIONS_SHEET]
                rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)
                        if sheet.cell(r, 1).value}
                if not rows:
                    tracker_partners.remove(partner)
                    return
                aid = rng.choice(sorted(rows))
                sheet.cell(rows[aid], HEADERS.index("Notes") + 1).value = notes
                wb.save(path)
                plan = app.trackers.check_return(path)
                row = next(r for r in plan.rows if r.action_id == aid)
                if row.state != RowState.CHANGE:
                    result.conflicts["tracker_import"] += 1     # changed since the export
                    return
                app.trackers.apply_return(plan, accept=[aid])
                result.latencies["tracker_import"].append((time.perf_counter() - t0) * 1000)
                result.tracker_writes.append([aid, row.current_version + 1, notes])
                return
            except AgreementNotInForce:
                tracker_partners.remove(partner)
                return
            except conflicts:
                result.conflicts["tracker_import"] += 1
                return
            except lost:
                wait_for_server("tracker_import")
                if "aid" in locals():
                    try:
                        with ws.session() as s:
                            got = s.execute(select(ActionRow.notes, ActionRow.version)
                                            .where(ActionRow.id == aid)).one()
                    except lost:
                        continue
                    if got.notes == notes:
                        result.landed_before_retry["tracker_import"] += 1
                        result.tracker_writes.append([aid, row.current_version + 1, notes])
                        return
            finally:
                path.unlink(missing_ok=True)

    operations = {"board_move": board_move, "person_page": person_page,
                  "communication": communication}
    while time.monotonic() < deadline:
        n += 1
        if spec["role"] == "coordinator" and time.monotonic() >= next_tracker:
            next_tracker = time.monotonic() + TRACKER_EVERY
            op = tracker_import
        else:
            op = operations[rng.choices(list(operations), weights=(4, 3, 3))[0]]
        try:
            op()
        except lost:
            wait_for_server("other")
        except Exception as exc:    # noqa: BLE001 - counted and shown, the client goes on
            result.errors[type(exc).__name__] += 1
            if len(result.error_samples) < 3:
                result.error_samples.append(traceback.format_exc()[-1500:])
        time.sleep(rng.uniform(*spec["think"]))      # the pause between two actions
    ws.close()


# -- the run -----------------------------------------------------------------------------------
def _wait_until_up(server, database: str, timeout: float = 60.0) -> float:
    import psycopg
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with psycopg.connect(host=server.host, port=server.port, dbname=database,
                                 user=server.admin, password=server.admin_password,
                                 sslmode="verify-full", sslrootcert=server.ca_file,
                                 connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return time.monotonic()
        except psycopg.OperationalError:
            time.sleep(0.1)
    raise RuntimeError("the server did not come back")


def run(server, database: str, setup: Setup, *, duration: float, kill_at: float | None,
        down: float = 2.0, workdir: Path, think: tuple[float, float] = THINK,
        say=print) -> dict:
    """Run the clients; kill the server at ``kill_at`` s (None: never). Returns the summary."""
    from sqlalchemy import select

    from deterrence_desktop.store.server import admin_engine
    from deterrence_desktop.store.tables import PartnerRow

    before = action_state(server, database)
    engine = admin_engine(server.address(database), server.admin_password)
    with engine.connect() as conn:
        in_force = [pid for pid, end in conn.execute(select(PartnerRow.id, PartnerRow.isa_end))
                    if end is None or end >= TODAY]
    engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(len(setup.logins) + 1)
    procs, outs = [], []
    for i, login in enumerate(setup.logins):
        out = workdir / f"client-{i}.json"
        outs.append(out)
        spec = dict(username=login.username, password=login.password, role=login.role,
                    address=setup.address, duration=duration, seed=1000 + i, out=str(out),
                    think=think,
                    workdir=str(workdir),
                    tracker_partners=in_force if login.role == "coordinator" else [])
        p = ctx.Process(target=client_main, args=(spec, ready), name=login.username)
        p.start()
        procs.append(p)
    t0 = time.monotonic()
    ready.wait(timeout=600)             # every client has started and signed in
    start = time.monotonic()
    say(f"{len(procs)} clients signed in after {start - t0:.1f} s; running for {duration:.0f} s")
    outage = None
    if kill_at is not None:
        time.sleep(max(0.0, start + kill_at - time.monotonic()))
        say(f"Killing the server (pg_ctl stop -m immediate) at {kill_at:.0f} s")
        t_kill = time.monotonic()
        server.stop("immediate")
        time.sleep(down)
        server.start()
        outage = _wait_until_up(server, database) - t_kill
        say(f"The server is back after {outage:.1f} s")
    for p in procs:
        p.join(timeout=duration + 180)
        if p.is_alive():
            p.kill()
    results = [json.loads(o.read_text()) if o.exists() else
               {"username": p.name, "errors": {"no result": 1}} for o, p in zip(outs, procs)]
    summary = check(server, database, before, results)
    summary["outage_seconds"] = outage
    summary["signed_in_after"] = start - t0
    summary["clients"] = len(procs)
    summary["duration"] = duration
    summary["think"] = think
    return summary


def action_state(server, database: str) -> dict:
    """Every action's version and the fields the clients write, by id."""
    from sqlalchemy import select

    from deterrence_desktop.store.server import admin_engine
    from deterrence_desktop.store.tables import ActionRow

    engine = admin_engine(server.address(database), server.admin_password)
    try:
        with engine.connect() as conn:
            return {r.id: r for r in conn.execute(select(
                ActionRow.id, ActionRow.version, ActionRow.status, ActionRow.outcome,
                ActionRow.notes))}
    finally:
        engine.dispose()


def check(server, database: str, before: dict, results: list[dict]) -> dict:
    """Every accepted write in the database, and the audit chain intact."""
    from sqlalchemy import select

    from deterrence_desktop.services import transfer
    from deterrence_desktop.store.server import admin_engine
    from deterrence_desktop.store.tables import CommunicationRow

    problems: list[str] = []
    writes: dict[int, list] = defaultdict(list)      # action id -> [(version, field, value)]
    uncertain: Counter = Counter()
    for r in results:
        for aid, version, status, outcome in r.get("moves", []):
            writes[aid].append((version, {"status": status, "outcome": outcome}))
        for aid, version, notes in r.get("tracker_writes", []):
            writes[aid].append((version, {"notes": notes}))
        for aid, _version, _outcome in r.get("uncertain_moves", []):
            uncertain[aid] += 1
    after = action_state(server, database)
    engine = admin_engine(server.address(database), server.admin_password)
    try:
        with engine.connect() as conn:
            comms = {}
            for cid, message in conn.execute(select(CommunicationRow.id, CommunicationRow.message)
                                             .where(CommunicationRow.message.like("Load test%"))):
                comms.setdefault(message, []).append(cid)
            chain = transfer.chain_report(conn)
    finally:
        engine.dispose()
    for aid, made in writes.items():
        versions = [v for v, _ in made]
        if len(set(versions)) != len(versions):
            problems.append(f"action {aid}: two accepted writes made the same version "
                            f"(a lost update)")
        grew = after[aid].version - before[aid].version
        if not len(made) <= grew <= len(made) + uncertain[aid]:
            problems.append(f"action {aid}: version went up by {grew} for {len(made)} accepted "
                            f"writes (+{uncertain[aid]} uncertain)")
        if grew != len(made):
            continue        # an uncertain write landed too: it may be the last one
        latest: dict[str, tuple[int, str]] = {}
        for version, fields in made:
            for name, value in fields.items():
                if name not in latest or version > latest[name][0]:
                    latest[name] = (version, value)
        for name, (_version, value) in latest.items():
            if getattr(after[aid], name) != value:
                problems.append(f"action {aid}: its {name} is not the last accepted write's")
    accepted_comms = [(cid, text) for r in results for cid, text in r.get("communications", [])]
    for cid, text in accepted_comms:
        found = comms.get(text, [])
        if found != [cid]:
            problems.append(f"communication {cid}: found {len(found)} times with its marker")
    for r in results:
        if r.get("errors", {}).get("crashed") or r.get("errors", {}).get("no result"):
            problems.append(f"client {r['username']} crashed or left no result")
    if not chain.ok:
        problems += [f"audit chain: {p}" for p in chain.problems]
    latencies: dict[str, list[float]] = defaultdict(list)
    for r in results:
        for op, values in r.get("latencies", {}).items():
            latencies[op].extend(values)

    def by_op(key: str) -> dict[str, int]:
        return dict(sum((Counter(r.get(key, {})) for r in results), Counter()))

    return dict(
        problems=problems,
        chain_entries=chain.entries,
        chain_ok=chain.ok,
        accepted=dict(board_move=sum(len(r.get("moves", [])) for r in results),
                      tracker_import=sum(len(r.get("tracker_writes", [])) for r in results),
                      communication=len(accepted_comms)),
        uncertain_moves=sum(uncertain.values()),
        conflicts=by_op("conflicts"), retries=by_op("retries"),
        landed_before_retry=by_op("landed_before_retry"),
        errors=by_op("errors"), error_samples=[s for r in results
                                               for s in r.get("error_samples", [])][:3],
        lost_seconds=max([r.get("lost_seconds", 0.0) for r in results] or [0.0]),
        latency={op: _stats(v) for op, v in sorted(latencies.items())},
        operations=sum(len(v) for v in latencies.values()),
    )


def _stats(values: list[float]) -> dict:
    values = sorted(values)
    if not values:
        return dict(n=0)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return dict(n=len(values), p50=statistics.median(values), p95=p95, max=values[-1])


def report(summary: dict) -> str:
    lines = [f"{summary['clients']} clients for {summary['duration']:.0f} s, pausing "
             f"{summary['think'][0]:g}-{summary['think'][1]:g} s between operations; "
             f"{summary['operations']} operations"]
    lines.append(f"{'operation':<16} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for op, s in summary["latency"].items():
        if s["n"]:
            lines.append(f"{op:<16} {s['n']:>6} {s['p50']:>8.1f} {s['p95']:>8.1f} {s['max']:>8.1f}")
    lines.append(f"accepted writes: {summary['accepted']} (moves of uncertain fate after the "
                 f"outage: {summary['uncertain_moves']})")
    lines.append(f"conflicts reported: {summary['conflicts'] or 0}")
    lines.append(f"retries after a lost connection: {summary['retries'] or 0}; already "
                 f"committed when looked up: {summary['landed_before_retry'] or 0}")
    if summary["outage_seconds"] is not None:
        lines.append(f"outage: server down and back in {summary['outage_seconds']:.1f} s; the "
                     f"longest a client waited: {summary['lost_seconds']:.1f} s")
    lines.append(f"errors: {summary['errors'] or 0}")
    lines.append(f"audit chain: {'intact' if summary['chain_ok'] else 'BROKEN'}, "
                 f"{summary['chain_entries']} entries")
    lines.append("every accepted write found: " + (
        "yes" if not summary["problems"] else "NO\n  " + "\n  ".join(summary["problems"][:20])))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--kill-at", type=float, help="seconds into the run (default: half)")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--down", type=float, default=2.0, help="seconds the server stays down")
    parser.add_argument("--people", type=int, help="bench size (default: the demo)")
    parser.add_argument("--actions", type=int)
    parser.add_argument("--think", type=float, nargs=2, default=THINK, metavar=("MIN", "MAX"),
                        help="seconds each client pauses between operations (default "
                             f"{THINK[0]} {THINK[1]}: far busier than a person)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import server_fixtures

    directory = server_fixtures._start_cluster()
    workdir = Path(tempfile.mkdtemp(prefix="dd-load-"))
    try:
        server = server_fixtures._server_in(directory)
        server.private = True
        setup = set_up(server, "load", args.clients, args.people, args.actions, workdir)
        kill_at = None if args.no_kill else (args.kill_at if args.kill_at is not None
                                             else args.duration / 2)
        summary = run(server, "load", setup, duration=args.duration, kill_at=kill_at,
                      down=args.down, workdir=workdir, think=tuple(args.think))
        print(json.dumps(summary, indent=1) if args.json else report(summary))
        for sample in summary["error_samples"]:
            print(sample, file=sys.stderr)
        return 0 if not summary["problems"] else 1
    finally:
        server_fixtures._stop_cluster(directory)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
