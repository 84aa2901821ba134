"""Letters: every generated PDF is read back (pypdf) and checked page by page."""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from deterrence_desktop.domain.enums import ActionKind, AuditOperation, InterventionKind
from deterrence_desktop.domain.errors import PermissionDenied, ValidationError
from deterrence_desktop.domain.model import Action
from deterrence_desktop.services import audit
from deterrence_desktop.services.letters import (
    LetterPreflightError, LetterRequest, build_blocks, fields_in, unknown_fields,
)
from deterrence_desktop.store.tables import (
    AuditEntryRow, CommunicationRow, InvitationRow, LetterTemplateRow, SettingRow,
)

MARKING = "OFFICIAL-SENSITIVE"
DIACRITICS = {"FD-0017": ("Zoë", "Ó Súilleabháin"), "FD-0018": ("Łukasz", "Nguyễn")}


def signature_png() -> bytes:
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (300, 90), "white")
    ImageDraw.Draw(img).line([(10, 70), (80, 20), (150, 60), (280, 15)], fill="navy", width=4)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def app(demo_app):
    """The demo workspace with two signatories, a logo, names with diacritics, and levers
    recorded for the invitees of the planned call-in."""
    L = demo_app.letters
    partners = {p.name: p.id for p in demo_app.partners.all()}
    L.add_signatory("Insp. Avery Demo", "Inspector", partners["Fictionbury Police"], signature_png())
    L.add_signatory("Sam Sampleton", "Head of Probation", partners["Fictionbury Probation Service"])
    L.add_logo("Partnership logo", signature_png())
    for ref, (given, family) in DIACRITICS.items():
        p = demo_app.people.by_reference(ref)
        demo_app.people.update(replace(p, given_name=given, preferred_name="", family_name=family))
    levers = demo_app.catalogue.list(InterventionKind.LEVER)
    with demo_app.workspace.session() as s:
        invitees = list(s.scalars(select(InvitationRow.person_id).where(InvitationRow.call_in_id == 2)))
    for i, pid in enumerate(invitees):
        demo_app.actions.create(Action(partner_id=1, kind=ActionKind.ENFORCEMENT,
                                       description="Explain the lever (fictional)", person_id=pid,
                                       intervention_id=levers[i % len(levers)].id))
    return demo_app


def pages_text(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def by_letter(texts: list[str]) -> dict[str, list[str]]:
    """Pages grouped by the letter reference printed in each page's footer."""
    out: dict[str, list[str]] = {}
    for text in texts:
        refs = set(re.findall(r"L-\d{4}-\d{6}", text))
        assert len(refs) == 1, "every page carries exactly one letter reference"
        out.setdefault(refs.pop(), []).append(text)
    return out


def marking_heights(page) -> list[float]:
    """The heights (points from the bottom) at which the marking is printed on a page."""
    found: list[float] = []

    def visit(text, cm, tm, font, size):
        if text.strip() == MARKING:
            found.append(tm[5] * cm[3] + cm[5])
    page.extract_text(visitor_text=visit)
    return found


def assert_every_page_marked(path: Path) -> list[str]:
    """Marking at the top and the bottom of every page; no unfilled merge field. Returns the texts."""
    texts = []
    for i, page in enumerate(PdfReader(str(path)).pages):
        heights = marking_heights(page)
        top = float(page.mediabox.height)
        assert any(h > top - 40 for h in heights), f"page {i + 1}: no marking at the top"
        assert any(h < 40 for h in heights), f"page {i + 1}: no marking at the bottom"
        text = page.extract_text()
        assert "{" not in text and "}" not in text, f"page {i + 1} has an unfilled merge field"
        texts.append(text)
    return texts


def invitees_request(**kw) -> LetterRequest:
    return LetterRequest("call_in_invitation", source="invitees", call_in_id=2, **kw)


# ---------------------------------------------------------------------------- templates

def test_merge_fields_are_looked_up_never_evaluated():
    body = "Dear {person.preferred_name},\n{{not a field}}\n{person.__class__} {__import__('os')}"
    assert fields_in(body) == ["person.preferred_name", "person.__class__", "__import__('os')"]
    assert unknown_fields(body) == ["person.__class__", "__import__('os')"]
    blocks = build_blocks("# Hi {person.preferred_name}\n\nA {x}\n- one\n- two\n\n{offers}\n{signatories}",
                          {"person.preferred_name": "Zoë"}, {"offers": ("Help: 0000",)})
    assert [b.kind for b in blocks] == ["heading", "para", "bullet", "bullet", "signatories"]
    assert blocks[0].text == "Hi Zoë" and blocks[1].text == "A {x}"
    assert blocks[2].items == ("one", "two") and blocks[3].items == ("Help: 0000",)


def test_defaults_copied_once_and_an_edit_is_a_new_version(app):
    infos = app.letters.templates()
    names = {(t.name, t.language) for t in infos}
    for name in ("call_in_invitation", "custom_notification", "support_offer", "group_warning",
                 "no_show_follow_up"):
        assert (name, "en") in names and (name, "cy") in names
    assert all(t.version == 1 for t in infos)
    app.letters.templates()
    with app.workspace.session() as s:
        assert s.scalar(select(func.count()).select_from(LetterTemplateRow)) == len(infos)
    v1 = app.letters.template("support_offer", "en")
    v2 = app.letters.save_template("support_offer", "en", v1.title, v1.body + "\nSee you soon.\n")
    assert (v2.version, v2.created_by) == (2, "demo.coordinator")
    assert app.letters.template("support_offer", "en").version == 2
    assert "See you soon" not in app.letters.template("support_offer", "en", version=1).body
    assert [t.version for t in app.letters.versions("support_offer", "en")] == [2, 1]
    with pytest.raises(ValidationError) as err:
        app.letters.save_template("support_offer", "en", "T", "Hello {person.nickname}")
    assert "{person.nickname}" in str(err.value)
    with pytest.raises(PermissionDenied):
        app.as_user("demo.analyst").letters.save_template("support_offer", "en", "T", "Hi")


def test_unknown_field_in_a_stored_template_is_a_preflight_problem(app, tmp_path):
    app.letters.templates()
    with app.workspace.session() as s:
        s.add(LetterTemplateRow(name="call_in_invitation", letter_type="call_in_invitation",
                                language="en", version=9, title="Hi", body="Dear {person.nickname}\n"))
    check = app.letters.preflight(invitees_request())
    assert not check.ok
    assert any(p.field == "person.nickname" and p.reference == "" for p in check.problems)
    with pytest.raises(LetterPreflightError):
        app.letters.generate(invitees_request(), tmp_path / "x.pdf")


# ---------------------------------------------------------------------------- pre-flight

def test_missing_address_blocks_the_batch_and_names_the_person(app, tmp_path):
    p = app.people.by_reference("FD-0016")
    app.people.update(replace(p, address=""))
    check = app.letters.preflight(invitees_request())
    assert not check.ok
    assert check.blocked_references == ["FD-0016"]
    assert [(x.field, x.message) for x in check.problems] == [("person.address", "no address recorded")]
    out = tmp_path / "out" / "letters.pdf"
    out.parent.mkdir()
    with pytest.raises(LetterPreflightError) as err:
        app.letters.generate(invitees_request(), out)
    assert "FD-0016" in str(err.value) and "person.address" in str(err.value)
    assert list(out.parent.iterdir()) == []
    # The user leaves the person out; the batch goes ahead without them.
    result = app.letters.generate(invitees_request(exclude=frozenset({p.id})), out)
    assert "FD-0016" not in result.person_references and len(result.person_references) == 14
    assert [x.name for x in out.parent.iterdir()] == ["letters.pdf"]


def test_preflight_lists_each_missing_value(app):
    # The demo records levers for its cohorts: their custom notifications are ready.
    check = app.letters.preflight(LetterRequest("custom_notification", source="cohort", cohort_id=1))
    assert check.ok, check.summary()
    # Someone without a lever is named, with where to record one.
    bare = _without_levers(app)
    check = app.letters.preflight(LetterRequest("custom_notification", references=bare))
    assert check.problems and all(p.field == "levers" for p in check.problems)
    assert check.blocked_references == sorted(bare) and not check.blocks_every_letter
    assert all("Plan custom notification" in p.fix and p.reference in p.fix for p in check.problems)
    # A call-in letter without a call-in, and no signatory chosen.
    check = app.letters.preflight(LetterRequest("call_in_invitation", references=("FD-0001",),
                                                signatory_ids=()))
    fields = {p.field for p in check.problems}
    assert {"call_in", "signatories"} <= fields
    # An invitation to a call-in that has already taken place.
    check = app.letters.preflight(LetterRequest("call_in_invitation", source="invitees", call_in_id=1))
    assert [(p.reference, p.field) for p in check.problems if p.reference == ""] == [("", "call_in.date")]
    # An unknown reference.
    check = app.letters.preflight(LetterRequest("support_offer", references=("FD-9999",)))
    assert [(p.reference, p.field) for p in check.problems][:1] == [("FD-9999", "person")]
    # An offer with no contact details.
    from deterrence_desktop.domain.enums import PartnerType
    from deterrence_desktop.domain.model import Intervention
    app.catalogue.create(Intervention("Boxing club (fictional)", InterventionKind.OFFER, PartnerType.COMMUNITY))
    check = app.letters.preflight(LetterRequest("support_offer", references=bare[:1]))
    assert any("Boxing club" in p.message and p.reference == bare[0] for p in check.problems)


def _without_levers(app) -> tuple[str, ...]:
    """References of demo people with no lever recorded (none in a cohort, none supervised)."""
    from deterrence_desktop.store.tables import ActionRow, CohortMemberRow, PersonRow
    with app.workspace.session() as s:
        levered = select(ActionRow.person_id).where(ActionRow.intervention_id.is_not(None))
        cohort = select(CohortMemberRow.person_id)
        refs = tuple(s.scalars(select(PersonRow.reference).where(
            PersonRow.id.not_in(levered), PersonRow.id.not_in(cohort),
            PersonRow.legal_status.not_in(("licence", "probation"))).order_by(PersonRow.reference)))
    assert refs, "the demo keeps some people outside its cohorts"
    return refs[:3]


# ---------------------------------------------------------------------------- output

def test_call_in_invitations_read_back_page_by_page(app, tmp_path):
    out = tmp_path / "invitations.pdf"
    result = app.letters.generate(invitees_request(), out)
    texts = assert_every_page_marked(out)
    assert len(texts) == result.pages and result.pages % 2 == 0
    letters = by_letter(texts)
    assert list(letters) == list(result.references)
    assert all(len(pages) % 2 == 0 for pages in letters.values()), "each letter fills whole sheets"
    people = {p.reference: p for p in (app.people.by_reference(r) for r in result.person_references)}
    for ref, person_ref in zip(result.references, result.person_references):
        first = letters[ref][0]
        person = people[person_ref]
        assert f"Dear {person.preferred_name or person.given_name}," in first
        held = app.custody.current(person.id)     # in custody: to the establishment, prison number
        envelope = (held.episode.prison_number, "ZZ99 9ZZ") if held else (person.postcode,)
        assert person.family_name in first and all(line in first for line in envelope)
        assert "Thursday 10 December 2026" in first and "6:30pm" in first
        assert "Fictionbury Magistrates' Court" in first
        assert "Insp. Avery Demo" in " ".join(letters[ref]) and "Sam Sampleton" in " ".join(letters[ref])
        assert "DEMO Fictionbury Violence Reduction Partnership" in first
    joined = " ".join(texts)
    for given, family in DIACRITICS.values():
        assert f"{given} {family}" in joined, "names with diacritics print as written"
    reader = PdfReader(str(out))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)
    assert reader.pages[0].mediabox.height == pytest.approx(841.89, abs=0.1)
    fonts = embedded_fonts(reader)
    assert fonts and all(embedded for embedded in fonts.values()), fonts
    assert {name.split("+")[-1] for name in fonts} == {"DejaVuSans", "DejaVuSans-Bold"}


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """Every font used on any page: its name, and whether its TrueType program is embedded."""
    out = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            desc = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            out[str(font["/BaseFont"])] = desc is not None and "/FontFile2" in desc.get_object()
    return out


def test_custom_notification_sets_out_levers_and_offers(app, tmp_path):
    out = tmp_path / "cn.pdf"
    result = app.letters.generate(LetterRequest("custom_notification", source="invitees", call_in_id=2), out)
    letters = by_letter(assert_every_page_marked(out))
    levers = {i.id: i for i in app.catalogue.list(InterventionKind.LEVER)}
    offers = app.catalogue.list(InterventionKind.OFFER)
    for ref, person_ref in zip(result.references, result.person_references):
        text = " ".join(letters[ref]).replace("\n", " ")
        person = app.people.by_reference(person_ref)
        mine = {a.description for a in app.actions.list() if a.person_id == person.id}
        assert mine  # the fixture recorded a lever for every invitee
        page = app.people.page(person.id)
        assert page is not None
        recorded = [o for o in offers if o.id in {a.intervention_id for a in
                                                   _actions_with_levers(app, person.id)}]
        for offer in recorded or offers:      # the offers recorded for them, else every offer
            assert offer.name in text and offer.contact in text
        linked = [levers[a.intervention_id] for a in _actions_with_levers(app, person.id)
                  if a.intervention_id in levers]
        for lever in linked:
            assert lever.name in text
        others = set(i.name for i in levers.values()) - {lever.name for lever in linked}
        if person.legal_status not in ("licence", "probation"):
            assert not any(name in text for name in others), "only the levers that apply"


def _actions_with_levers(app, person_id):
    with app.workspace.session() as s:
        from deterrence_desktop.store.tables import ActionRow
        return list(s.scalars(select(ActionRow).where(ActionRow.person_id == person_id,
                                                      ActionRow.intervention_id.is_not(None))))


def test_each_letter_is_recorded_and_audited_as_a_disclosure(app, tmp_path):
    out = tmp_path / "letters.pdf"
    result = app.letters.generate(invitees_request(), out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert result.sha256 == digest
    with app.workspace.session() as s:
        comms = list(s.scalars(select(CommunicationRow).where(CommunicationRow.channel == "letter",
                                                              CommunicationRow.document_sha256 != "")))
        assert len(comms) == result.letters
        assert {c.template for c in comms} == {"call_in_invitation (en v1)"}
        assert {c.delivered_by for c in comms} == {"Casey Demo (coordinator)"}
        assert all(c.document_sha256 == digest and c.outcome == "sent" and c.call_in_id == 2
                   for c in comms)
        entries = list(s.scalars(select(AuditEntryRow).where(
            AuditEntryRow.operation == AuditOperation.DISCLOSURE.value)))
        per_person = [e for e in entries if e.entity == "person"]
        assert sorted(e.recipient for e in per_person) == sorted(result.person_references)
        assert all("printed by demo.coordinator" in e.detail for e in per_person)
        batch = [e for e in entries if e.entity == "letter_batch"]
        assert len(batch) == 1 and batch[0].recipient.startswith("printer")
        assert audit.verify(s).ok
    for e in per_person:   # the audit names references, never names or addresses
        person = app.people.by_reference(e.recipient)
        assert person.family_name not in e.detail and person.postcode not in e.detail
    assert app.letters.issued_with(digest) == list(result.references)


def test_reprint_reproduces_the_same_text_and_the_batch_the_same_bytes(app, tmp_path):
    out = tmp_path / "letters.pdf"
    result = app.letters.generate(invitees_request(), out)
    original = by_letter(pages_text(out))
    # Data changes after printing do not change what was printed.
    p = app.people.by_reference(result.person_references[0])
    app.people.update(replace(p, address="99 Changed Road\nFictionbury"))
    ref = result.references[0]
    again = tmp_path / "reprint.pdf"
    app.letters.reprint(ref, again)
    assert pages_text(again) == original[ref]
    whole = tmp_path / "batch-again.pdf"
    digest, same = app.letters.reprint_batch(result.batch_id, whole)
    assert same and digest == result.sha256 == hashlib.sha256(whole.read_bytes()).hexdigest()


class StopAfter:
    """A task control that cancels after a few letters, like the Cancel button."""

    class Cancelled(Exception):
        pass

    def __init__(self, n: int):
        self.n, self.seen = n, []

    def report(self, done, total, text=""):
        self.seen.append(done)
        if done >= self.n:
            raise self.Cancelled()

    def check(self):
        pass


def test_cancel_or_failure_leaves_no_file_and_records_nothing(app, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "letters.pdf"
    with app.workspace.session() as s:
        before = s.scalar(select(func.count()).select_from(CommunicationRow))
    control = StopAfter(3)
    with pytest.raises(StopAfter.Cancelled):
        app.letters.generate(invitees_request(), out, per_letter_dir=folder / "one", control=control)
    assert 3 in control.seen
    assert [p.name for p in folder.iterdir()] == ["one"] and list((folder / "one").iterdir()) == []
    with app.workspace.session() as s:
        assert s.scalar(select(func.count()).select_from(CommunicationRow)) == before
        assert s.get(SettingRow, "letters.next_number") is None
    # A target that cannot be written fails before anything is recorded.
    (folder / "blocker").write_text("a file, not a folder")
    with pytest.raises(OSError):
        app.letters.generate(invitees_request(), folder / "blocker" / "x.pdf")
    assert sorted(p.name for p in folder.iterdir()) == ["blocker", "one"]
    with app.workspace.session() as s:
        assert s.scalar(select(func.count()).select_from(CommunicationRow)) == before


def test_per_letter_files_named_by_reference(app, tmp_path):
    folder = tmp_path / "single"
    result = app.letters.generate(invitees_request(), tmp_path / "all.pdf", per_letter_dir=folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{r}.pdf" for r in result.references)
    for ref in result.references:
        texts = assert_every_page_marked(folder / f"{ref}.pdf")
        assert len(texts) % 2 == 0
        assert set(by_letter(texts)) == {ref}


def test_welsh_and_bilingual_letters(app, tmp_path):
    cy = app.letters.generate(invitees_request(language="cy"), tmp_path / "cy.pdf")
    texts = assert_every_page_marked(tmp_path / "cy.pdf")
    first = texts[0]
    assert "Gwahoddiad i gyfarfod" in first and "Annwyl" in first
    assert "Dydd Iau 10 Rhagfyr 2026" in first and "6:30yh" in first
    assert "Tudalen 1 o 2" in first and "Cyfeirnod y llythyr" in first
    assert cy.letters == 15

    app.letters.generate(invitees_request(language="bilingual"), tmp_path / "bi.pdf")
    texts = assert_every_page_marked(tmp_path / "bi.pdf")
    letters = by_letter(texts)
    one = " ".join(next(iter(letters.values())))
    assert one.index("Gwahoddiad i gyfarfod") < one.index("You are invited to a meeting"), "Welsh first"
    with app.workspace.session() as s:
        labels = set(s.scalars(select(CommunicationRow.template).where(CommunicationRow.template != "")))
    assert "call_in_invitation (cy v1 + en v1)" in labels

    app.letters.generate(invitees_request(language="bilingual", layout="side_by_side"),
                         tmp_path / "side.pdf")
    texts = assert_every_page_marked(tmp_path / "side.pdf")
    assert "Gwahoddiad i gyfarfod" in texts[0] and "You are invited to a meeting" in texts[0]


def test_preview_uses_a_fictional_sample_and_reports_unknown_fields(app):
    t = app.letters.template("custom_notification", "en")
    data, problems, text = app.letters.preview_pdf(t.name, "en", t.title, t.body + "\n{person.shoe_size}\n")
    assert data.startswith(b"%PDF") and problems == ["{person.shoe_size} is not a merge field"]
    assert "Dear Zoë," in text and "Insp. Avery Demo" in text
    reader = PdfReader(io.BytesIO(data))
    assert MARKING in reader.pages[0].extract_text()


def test_a_letters_snapshot_goes_when_its_communication_is_erased(app, tmp_path):
    from deterrence_desktop.domain.errors import NotFoundError
    from deterrence_desktop.store.tables import LetterIssueRow
    result = app.letters.generate(invitees_request(), tmp_path / "letters.pdf")
    first = result.references[0]
    with app.workspace.session() as s:
        assert s.get(LetterIssueRow, first) is not None
        comm = s.scalar(select(CommunicationRow).where(CommunicationRow.message.like(f"Letter {first}:%")))
        s.delete(comm)      # as an erasure of the person cascades to their communications
    with pytest.raises(NotFoundError):
        app.letters.reprint(first, tmp_path / "again.pdf")
    assert not (tmp_path / "again.pdf").exists()
    with app.workspace.session() as s:
        # The letter's content went with its communication (ON DELETE CASCADE); the others stay.
        assert s.get(LetterIssueRow, first) is None
        assert s.get(LetterIssueRow, result.references[1]) is not None


def test_render_pages_for_a_look(app, tmp_path):
    """Pages rendered with pdftoppm into screenshots/letters/ for a person to look at:
    a name with diacritics with logo and signatures, a Welsh letter, side by side."""
    import shutil
    import subprocess
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed")
    shots = Path(__file__).resolve().parents[2] / "screenshots" / "letters"
    shots.mkdir(parents=True, exist_ok=True)
    zoe = app.people.by_reference("FD-0017").id
    for name, request in [
            ("diacritics-en", LetterRequest("custom_notification", person_ids=(zoe,))),
            ("diacritics-cy", LetterRequest("custom_notification", language="cy", person_ids=(zoe,))),
            ("side-by-side", LetterRequest("call_in_invitation", language="bilingual",
                                           layout="side_by_side", person_ids=(zoe,), call_in_id=2))]:
        out = tmp_path / f"{name}.pdf"
        app.letters.generate(request, out)
        for old in shots.glob(f"{name}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(out), str(shots / name)], check=True)
        pngs = sorted(shots.glob(f"{name}-*.png"))
        assert len(pngs) == len(PdfReader(str(out)).pages) and len(pngs) % 2 == 0


def test_roles_analysts_cannot_print_names_and_officers_only_their_people(app, tmp_path):
    analyst = app.as_user("demo.analyst")
    with pytest.raises(PermissionDenied):
        analyst.letters.generate(invitees_request(), tmp_path / "a.pdf")
    assert not (tmp_path / "a.pdf").exists()
    with app.workspace.session() as s:
        refused = s.scalar(select(func.count()).select_from(AuditEntryRow).where(
            AuditEntryRow.username == "demo.analyst", AuditEntryRow.detail.like("refused:%")))
    assert refused == 1
    officer = app.as_user("demo.officer")
    check = officer.letters.preflight(LetterRequest("support_offer", source="cohort", cohort_id=1))
    outside = {p.person_id for p in check.problems if p.field == "person"}
    if getattr(app.workspace, "kind", "file") == "server":
        # The server's row-level security leaves the officer's session only the cohort's
        # people its agency's actions concern: none is outside, the rest are not there.
        assert not outside and check.people
    else:
        assert outside and len(outside) < len(check.people)
    result = officer.letters.generate(
        LetterRequest("support_offer", source="cohort", cohort_id=1, exclude=frozenset(outside)),
        tmp_path / "o.pdf")
    assert result.letters == len(check.people) - len(outside)


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
