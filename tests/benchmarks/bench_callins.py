"""Benchmark of the call-in wizard's service calls and the communications views.

Run by hand: .venv/bin/python tests/benchmarks/bench_callins.py [--people N] [--actions N]
On a bench-size workspace (10,000 people, 200,000 actions, 40,000 communications by
default) it prints median and worst times of: the wizard's step data (the page's
choices, facts and warnings) for two large targeted groups, the finish of a call-in
with 40 invitees, the call-in list and page, attendance with follow-up proposals, a
person's timeline, "not contacted in 30 days" for everyone and for a cohort, and the
counts by channel and partner. Targets: each interactive call under 300 ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TODAY = date(2026, 11, 26)
PASSPHRASE = "benchmark passphrase (fictional data)"


def timed(fn, runs=5):
    out, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out), max(out), result


def report(name: str, fn, runs: int = 5):
    median, worst, result = timed(fn, runs)
    print(f"  {name:<46} median {median:8.1f} ms   worst {worst:8.1f} ms")
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--actions", type=int, default=200_000)
    args = ap.parse_args()

    from deterrence_desktop.services import callins as flow
    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.services.demo import bench_size, create_demo_workspace

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ddw"
        t0 = time.perf_counter()
        app = create_demo_workspace(path, PASSPHRASE, size=bench_size(args.people, args.actions),
                                    today=TODAY)
        app = WorkspaceServices(app.workspace, today=TODAY).as_user("demo.coordinator")
        print(f"workspace: {args.people} people, {args.actions} actions: "
              f"{time.perf_counter() - t0:.1f} s to generate")

        state = app.callins.start()
        data = app.callins.step_data(state)
        groups = [g.id for g in data.groups[:2]]
        event = {"title": "Benchmark call-in (fictional)", "starts_at": "2026-12-10T18:30",
                 "venue": "Fictional hall", "group_ids": groups}
        state = app.callins.next(state, event).state
        data = report("step data, invitees of two groups", lambda: app.callins.step_data(state))
        print(f"    ({len(data.facts.candidates)} candidates, {len(data.warnings)} warnings)")
        cands = sorted(data.facts.candidates.values(), key=lambda c: c.reference)[:40]
        state = flow.go_next(state, {"invitees": [{"person_id": c.person_id, "required": c.can_require}
                                                  for c in cands]}, data.facts).state
        police = next(o.id for o in data.partners if o.kind == "police")
        state = flow.go_next(state, {"speakers": [{"role": "law_enforcement", "name": "Insp. Bench",
                                                   "partner_id": police, "influencer_id": None}]},
                             data.facts).state
        state = flow.go_next(state, {"lever_ids": [data.levers[0].id],
                                     "offers": [{"intervention_id": data.offers[0].id,
                                                 "partner_id": police}]}, data.facts).state
        state = flow.go_next(state, {"delivery_partner_id": police, "delivery_method": "in person",
                                     "delivery_due": "2026-12-03", "risk_assessment_done": True,
                                     "tasks": [{"kind": "transport", "description": "Bus",
                                                "partner_id": police, "due_date": "2026-12-08"}]},
                             data.facts).state
        assert state.current == flow.REVIEW, state.current
        report("step data, review page", lambda: app.callins.step_data(state))
        report("save draft", lambda: app.callins.save_draft(state), runs=3)
        call_in = report("finish: call-in, 40 invitations, 41 actions",
                         lambda: app.callins.finish(state), runs=1)
        report("call-in list", app.callins.list)
        report("call-in page", lambda: app.callins.page(call_in.id))
        later = WorkspaceServices(app.workspace, app.actor, today=date(2026, 12, 11))
        marks = {c.person_id: ("no_show" if i % 4 == 0 else "attended", i % 5 == 0)
                 for i, c in enumerate(cands)}
        proposals = report("record attendance (40) and propose follow-ups",
                           lambda: later.callins.record_attendance(call_in.id, marks), runs=3)
        print(f"    ({len(proposals)} proposals)")
        report("accept follow-ups", lambda: later.callins.accept_follow_ups(call_in.id, proposals), runs=1)
        person = cands[0].person_id
        report("a person's timeline", lambda: app.contacts.timeline(person))
        rows = report("not contacted in 30 days, everyone", lambda: app.contacts.not_contacted(30))
        print(f"    ({len(rows)} people)")
        cohort = app.cohorts.list()[0].id
        report("not contacted in 30 days, one cohort", lambda: app.contacts.not_contacted(30, cohort))
        report("counts by channel, partner, outcome", lambda: app.contacts.counts())
        report("recent log, 90 days (limit 2,000)", lambda: app.contacts.recent(90))
        report("legal-risk summary", lambda: app.notifications.legal_risk(person))
        app.close()


if __name__ == "__main__":
    main()
