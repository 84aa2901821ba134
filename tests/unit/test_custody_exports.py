"""Letters and trackers know about custody: real PDFs and workbooks, read back."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import openpyxl
from pypdf import PdfReader

from deterrence_desktop.domain.custody import CustodyEpisode
from deterrence_desktop.domain.enums import LegalStatus
from deterrence_desktop.exports.tracker_xlsx import ACTIONS_SHEET, HEADERS
from deterrence_desktop.services.custody_demo import PRISON_ADDRESS
from deterrence_desktop.services.letters import LetterRequest


def support_offer(*references: str) -> LetterRequest:
    return LetterRequest("support_offer", references=references)


def held_person(app, kind="custody"):
    return next(p for p in app.people.list() if p.legal_status == kind
                and app.custody.current(p.id) is not None)


def test_a_letter_to_someone_in_custody_goes_to_the_establishment(demo_app, tmp_path):
    app = demo_app
    person = held_person(app)
    episode = app.custody.current(person.id).episode
    check = app.letters.preflight(support_offer(person.reference))
    assert check.ok, check.summary()
    (warning,) = [w for w in check.warnings if w.field == "custody"]
    assert warning.message == "in custody: the letter goes to HMP Fictionbury, with their prison number"
    out = tmp_path / "offer.pdf"
    app.letters.generate(support_offer(person.reference), out)
    first = PdfReader(str(out)).pages[0].extract_text()
    envelope = [f"{person.given_name} {person.family_name}", episode.prison_number,
                *PRISON_ADDRESS.split("\n")]
    lines = first.split("\n")
    start = lines.index(envelope[0])
    assert lines[start:start + len(envelope)] == envelope
    home = app.people.get(person.id)
    assert home.postcode not in first          # never to the home address


def test_a_letter_is_blocked_with_a_reason(demo_app):
    app = demo_app
    person = held_person(app)
    episode = app.custody.current(person.id).episode
    # No prison number: blocked, and the fix says where to record it.
    episode = app.custody.update_episode(replace(episode, prison_number=""))
    check = app.letters.preflight(support_offer(person.reference))
    (problem,) = [p for p in check.problems if p.field == "custody"]
    assert not check.ok and check.blocked_references == [person.reference]
    assert problem.message == "no prison number is recorded for their custody episode"
    assert "Custody" in problem.fix and "leave them out" in problem.fix
    # Leaving them out lets the rest go.
    others = held_person(app, "remand")
    check = app.letters.preflight(replace(support_offer(person.reference, others.reference),
                                          exclude=frozenset({person.id})))
    assert check.ok, check.summary()
    # An establishment whose contact details hold no postal address.
    episode = app.custody.update_episode(replace(episode, prison_number="A9999ZZ"))
    prison = app.partners.get(episode.establishment_id)
    app.partners.update(replace(prison, contact_details="Phone 0000 000 0009 (fictional)"))
    (problem,) = app.letters.preflight(support_offer(person.reference)).problems
    assert "no postal address ending with a postcode" in problem.message
    # No establishment recorded at all.
    app.custody.update_episode(replace(episode, prison_number="A9999ZZ", establishment_id=None))
    (problem,) = app.letters.preflight(support_offer(person.reference)).problems
    assert problem.message == "no establishment is recorded for their custody episode"


def test_custody_without_an_episode_is_blocked(demo_app):
    app = demo_app
    person = next(p for p in app.people.list() if p.legal_status == "none")
    record = app.people.get(person.id)
    app.people.update(replace(record, legal_status=LegalStatus.CUSTODY,
                              custody_release=date(2027, 3, 1)))
    (problem,) = app.letters.preflight(support_offer(person.reference)).problems
    assert problem.field == "custody" and "no custody episode is recorded" in problem.message
    # Recording the episode (at HMP Fictionbury, with a prison number) unblocks it.
    prison = next(p.id for p in app.partners.list() if p.type == "prison")
    app.custody.record_episode(CustodyEpisode(person.id, "sentenced", date(2026, 10, 1), prison,
                                              "D4567ZZ", expected_release=date(2027, 3, 1)))
    assert app.letters.preflight(support_offer(person.reference)).ok


def test_tracker_shows_the_release_date_next_to_plan_actions(demo_app, tmp_path):
    app = demo_app
    row = next(r for r in app.release_planner.rows() if r.plan_status == "incomplete")
    plan = app.continuity.plan(row.episode_id)
    planned = {s.action.id for s in plan.steps}
    police = next(p.id for p in app.partners.list() if p.name == "Fictionbury Police")
    out = tmp_path / "police.xlsx"
    app.trackers.export(out, partner_id=police)
    ws = openpyxl.load_workbook(out)[ACTIONS_SHEET]
    header = [c.value for c in ws[1]]
    assert header == list(HEADERS)
    assert header.index("Release date") == header.index("Due date") + 1
    release_col, id_col = header.index("Release date"), header.index("Action id")
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    with_release = {r[id_col]: r[release_col] for r in rows if r[release_col] is not None}
    assert with_release and set(with_release) <= planned
    assert {v.date() for v in with_release.values()} == {row.release}
    assert any(r[release_col] is None for r in rows)     # other actions depend on no release
    # The release moves: the next tracker shows the new date (and the moved due dates).
    app.custody.learn_release_date(row.episode_id, date(2026, 12, 11))
    app.trackers.export(out, partner_id=police)
    ws = openpyxl.load_workbook(out)[ACTIONS_SHEET]
    values = {r[id_col].value: r[release_col].value for r in ws.iter_rows(min_row=2)}
    assert {values[a].date() for a in with_release} == {date(2026, 12, 11)}
