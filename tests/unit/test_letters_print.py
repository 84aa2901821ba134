"""Letters as printed, on the demo as it is made (nothing added first): who signs, the
letterhead, page breaks, metadata; and the minutes' tables and fonts. Every PDF is read back."""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from deterrence_desktop.cli import main
from deterrence_desktop.domain.errors import PermissionDenied, ValidationError
from deterrence_desktop.exports import letters as pdf
from deterrence_desktop.exports.minutes import (
    MinutesAction, MinutesData, MinutesItem, PartnerActionList, fit_widths, write_minutes,
    write_partner_actions,
)
from deterrence_desktop.services.demo import LETTERHEAD, SIGNATORIES
from deterrence_desktop.services.letters import LetterRequest
from deterrence_desktop.store.tables import AuditEntryRow, CohortRow, InvitationRow
from tests.conftest import PASSPHRASE

GWEN = "Ch. Insp. Gwenllïan Ŵyn-Prŷs"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pages(path: Path) -> list[str]:
    return [flat(p.extract_text() or "") for p in PdfReader(str(path)).pages]


def letters_of(texts: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for text in texts:
        out.setdefault(re.findall(r"L-\d{4}-\d{6}", text)[0], []).append(text)
    return out


def invitations(**kw) -> LetterRequest:
    return LetterRequest("call_in_invitation", source="invitees", call_in_id=2, **kw)


def cohort_ids(app) -> list[int]:
    with app.workspace.session() as s:
        return list(s.scalars(select(CohortRow.id).order_by(CohortRow.id)))


# ---------------------------------------------------------------------------- the demo

def test_the_demo_prints_every_letter_with_nothing_added(demo_app, tmp_path):
    L = demo_app.letters
    assert [s.name for s in L.signatories()] == [name for name, _t, _p in SIGNATORIES]
    assert all(s.has_signature and s.partner_name for s in L.signatories())
    head = L.letterhead()
    assert head.phone == LETTERHEAD["letterhead_phone"] and head.email and len(head.address) == 4
    requests = [invitations(), LetterRequest("no_show_follow_up", source="no_shows", call_in_id=1)]
    for cid in cohort_ids(demo_app):
        requests += [LetterRequest(t, source="cohort", cohort_id=cid)
                     for t in ("custom_notification", "support_offer")]
    for request in requests:
        check = L.preflight(request)
        assert check.ok, (request.template, check.summary())
        assert all(w.field == "custody" for w in check.warnings)
    out = tmp_path / "cn.pdf"
    result = L.generate(LetterRequest("custom_notification", source="cohort",
                                      cohort_id=cohort_ids(demo_app)[0], language="bilingual"), out)
    assert result.letters > 5 and "•" in " ".join(pages(out))


def test_the_demo_is_the_same_every_time(tmp_path):
    from deterrence_desktop.services.demo import create_demo_workspace
    from tests.conftest import DEMO_TODAY

    def snapshot(path):
        app = create_demo_workspace(path, PASSPHRASE, today=DEMO_TODAY)
        try:
            with app.workspace.session() as s:
                from deterrence_desktop.store.tables import ActionRow, AssetRow
                actions = s.execute(select(ActionRow.person_id, ActionRow.description,
                                           ActionRow.intervention_id).order_by(ActionRow.id)).all()
                images = list(s.scalars(select(AssetRow.data).order_by(AssetRow.id)))
            return actions, images
        finally:
            app.close()
    assert snapshot(tmp_path / "a.ddw") == snapshot(tmp_path / "b.ddw")


# ---------------------------------------------------------------------------- what is printed

def test_signatory_name_and_title_print_whole(demo_app, tmp_path):
    out = tmp_path / "inv.pdf"
    result = demo_app.letters.generate(invitations(), out)
    for ref, texts in letters_of(pages(out)).items():
        whole = " ".join(texts)
        assert GWEN in whole, f"{ref}: the signatory's name is cut"
        assert "Chief Inspector, Neighbourhood Policing" in whole
        assert "Director of Community Safety" in whole
    assert len(letters_of(pages(out))) == result.letters


def test_the_sign_off_stays_with_the_signatures(demo_app, tmp_path):
    # Four signatories (two rows of signatures), as when the Welsh group warnings broke.
    demo_app.letters.add_signatory("Insp. Avery Demo", "Inspector", 1)
    demo_app.letters.add_signatory("Sam Sampleton", "Head of Probation", 2)
    cid = cohort_ids(demo_app)[0]
    check = demo_app.letters.preflight(LetterRequest("group_warning", source="cohort", cohort_id=cid))
    request = LetterRequest("group_warning", source="cohort", cohort_id=cid, language="cy",
                            exclude=frozenset(p.person_id for p in check.problems))
    out = tmp_path / "gw.pdf"
    result = demo_app.letters.generate(request, out)
    letters = letters_of(pages(out))
    assert len(letters) == result.letters >= 5
    for ref, texts in letters.items():
        signed = [t for t in texts if "Yn gywir" in t]
        assert len(signed) == 1 and GWEN in signed[0] and "Sam Sampleton" in signed[0], ref


@pytest.mark.parametrize("layout", ["single", "side_by_side"])
def test_the_sign_off_never_ends_a_page_alone(layout):
    """Whatever the length of the letter, "Yours sincerely," is printed on the page of the
    signatures under it."""
    signers = tuple(pdf.Signatory(f"Signer {n} Fictional-Longname", "Title of a fictional post", "Partner")
                    for n in range(4))
    for n in range(4, 30):
        body = tuple(pdf.Block("para", f"Paragraph {i} " + "words of a fictional letter " * 6)
                     for i in range(n))
        body += (pdf.Block("para", "Yours sincerely,"), pdf.Block("signatories"))
        sections = (pdf.Section("en", "Title", body),)
        if layout == "side_by_side":
            sections += (pdf.Section("cy", "Teitl", body),)
        letter = pdf.Letter("L-2026-000001", "1 December 2026", ("A Person", "1 Street", "ZZ99 1ZZ"),
                            sections, layout, signers)
        data = pdf.render_letter_bytes(letter, pdf.Letterhead("Partnership"))
        for text in (flat(p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages):
            if "Yours sincerely" in text:
                assert "Signer 0 Fictional-Longname" in text, f"{n} paragraphs: sign-off alone"


def test_letterhead_contact_details_on_page_one(demo_app, tmp_path):
    for language, phone, email in (("en", "Phone", "Email"), ("cy", "Ffôn", "E-bost")):
        out = tmp_path / f"{language}.pdf"
        demo_app.letters.generate(invitations(language=language), out)
        for texts in letters_of(pages(out)).values():
            first = texts[0]
            assert f"{phone}: {LETTERHEAD['letterhead_phone']}" in first
            assert f"{email}: {LETTERHEAD['letterhead_email']}" in first
            assert "1 Example Square" in first and "ZZ99 1AA" in first
    # Changed in the app, printed from then on; a reprint keeps what was printed.
    before = demo_app.letters.generate(invitations(), tmp_path / "before.pdf")
    demo_app.letters.set_letterhead("Unit 2 (fictional)\nZZ99 2BB", "0000 999 9999", "")
    demo_app.letters.generate(invitations(), tmp_path / "after.pdf")
    text = pages(tmp_path / "after.pdf")
    assert "0000 999 9999" in text[0] and "E-bost" not in text[0] and "Email" not in text[0]
    demo_app.letters.reprint(before.references[0], tmp_path / "again.pdf")
    assert LETTERHEAD["letterhead_phone"] in pages(tmp_path / "again.pdf")[0]


def test_welsh_custom_notification_has_no_doubled_brackets(demo_app, tmp_path):
    out = tmp_path / "cn.pdf"
    demo_app.letters.generate(LetterRequest("custom_notification", source="cohort",
                                            cohort_id=cohort_ids(demo_app)[0], language="cy"), out)
    text = " ".join(pages(out))
    assert "Fictionbury (fictional)" in text
    assert "((" not in text and "))" not in text


def test_creator_and_producer_name_the_app(demo_app, tmp_path):
    out = tmp_path / "inv.pdf"
    demo_app.letters.generate(invitations(), out)
    meta = PdfReader(str(out)).metadata
    assert meta.creator == meta.producer == "Deterrence Desktop"
    data, _problems, _text = demo_app.letters.preview_pdf(
        "support_offer", "en", "Title", "Dear {person.preferred_name},\n\n{signatories}\n")
    assert PdfReader(io.BytesIO(data)).metadata.creator == "Deterrence Desktop"


# ---------------------------------------------------------------------------- pre-flight

def test_preflight_says_where_to_fix_and_warns_about_custody(demo_app):
    L = demo_app.letters
    check = L.preflight(invitations(signatory_ids=()))
    assert not check.ok and check.blocks_every_letter and check.blocked_references == []
    (sig,) = [p for p in check.problems if p.field == "signatories"]
    assert "Letters → Signatories" in sig.fix and "letters signatory add" in sig.fix
    assert all(p.fix for p in check.problems)
    # A letter to someone in custody goes to the establishment, with a warning that says so.
    with demo_app.workspace.session() as s:
        invited = set(s.scalars(select(InvitationRow.person_id).where(InvitationRow.call_in_id == 2)))
    held = [p for p in demo_app.people.list() if p.id in invited and p.legal_status in ("custody", "remand")]
    assert held, "the demo invites someone in custody"
    check = L.preflight(invitations())
    assert check.ok
    warned = {w.reference for w in check.warnings if w.field == "custody"}
    assert warned == {p.reference for p in held}
    assert all("goes to HMP Fictionbury, with their prison number" in w.message
               and "prison" in w.fix for w in check.warnings)
    # No contact details on the letterhead: a warning, with where to add them.
    L.set_letterhead("", "", "")
    check = L.preflight(invitations())
    (head,) = [w for w in check.warnings if w.field == "letterhead"]
    assert head.reference == "" and "letters letterhead" in head.fix


def test_cli_offers_exclude_only_for_problems_of_people(demo_path, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "x.pdf"
    code = main(["letters", str(demo_path), "--template", "call_in_invitation", "--people", "FD-0001",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 3 and "this letter needs a call-in" in err and "fix: Choose a call-in" in err
    assert "--exclude" not in err and "leaving people out cannot fix them" in err
    code = main(["letters", str(demo_path), "--template", "group_warning", "--call-in", "2",
                 "--out", str(out)])
    err = capsys.readouterr().err
    blocked = re.findall(r"(FD-\d{4}): \{group.name\}", err)
    assert code == 3 and blocked and f"--exclude {','.join(sorted(blocked))}" in err
    assert "warning" in err and "custody" in err and not out.exists()


# ---------------------------------------------------------------------------- signatories, letterhead

def test_signatories_added_changed_and_removed_audited(demo_app, tmp_path):
    from deterrence_desktop.services.demo import scribble_png
    import random
    L = demo_app.letters
    png = scribble_png(random.Random(7))
    added = L.add_signatory("Pat Placeholder", "Governor", 3, png)
    changed = L.update_signatory(added.id, "Pat Placeholder", "Governor (fictional)", None,
                                 clear_signature=True)
    assert (changed.title, changed.partner_id, changed.has_signature) == ("Governor (fictional)", None, False)
    out = tmp_path / "one.pdf"
    L.generate(invitations(signatory_ids=(added.id,)), out)
    first = " ".join(pages(out))
    assert "Pat Placeholder" in first and GWEN not in first
    L.remove_signatory(added.id)
    assert added.id not in {s.id for s in L.signatories()}
    with demo_app.workspace.session() as s:
        entries = list(s.scalars(select(AuditEntryRow).where(AuditEntryRow.entity == "signatory")
                                 .order_by(AuditEntryRow.seq)))
    assert [(e.operation, e.entity_ref) for e in entries[-3:]] == [
        ("collection", str(added.id)), ("alteration", str(added.id)), ("erasure", str(added.id))]
    assert "fields=partner,signature,title" in entries[-2].detail
    with pytest.raises(ValidationError):
        L.update_signatory(1, " ")
    with pytest.raises(ValidationError):
        L.add_signatory("X", signature_png=b"not an image")
    with pytest.raises(PermissionDenied):
        demo_app.as_user("demo.analyst").letters.add_signatory("Riley")


def test_letterhead_is_checked_and_audited_once(demo_app):
    L = demo_app.letters
    head = L.set_letterhead(" 2 Sample Row \n\n Fictionbury ", "+44 (0)000 000-0000", "a@b.example")
    assert head.address == ("2 Sample Row", "Fictionbury") and head.phone == "+44 (0)000 000-0000"
    with demo_app.workspace.session() as s:
        last = s.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)).one()
    assert (last.operation, last.entity, last.detail) == ("alteration", "setting",
                                                          "letterhead contact details")
    assert "Sample" not in last.entity_ref
    with pytest.raises(ValidationError) as err:
        L.set_letterhead("\n".join(f"line {i}" for i in range(8)), "call me", "nobody")
    assert set(err.value.errors) == {"address", "phone", "email"}
    assert L.letterhead().phone == "+44 (0)000 000-0000"
    with pytest.raises(ValidationError) as err:
        L.set_letterhead("A very long line of a fictional return address, " * 6)
    assert "at most 3 lines" in err.value.errors["address"]
    # The demo's own phone ("... (fictional)") saves as it is.
    assert L.set_letterhead("1 Example Square", "0000 000 0000 (fictional)").phone.endswith("(fictional)")
    with pytest.raises(PermissionDenied):
        demo_app.as_user("demo.analyst").letters.set_letterhead("x")


def test_cli_signatories_and_letterhead(demo_path, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    ws = str(demo_path)
    assert main(["letters", "signatories", ws]) == 0
    assert GWEN in capsys.readouterr().out
    from deterrence_desktop.services.demo import scribble_png
    import random
    image = tmp_path / "sig.png"
    image.write_bytes(scribble_png(random.Random(3)))
    assert main(["letters", "signatory", "add", ws, "--name", "Pat Placeholder", "--title", "Governor",
                 "--partner", "HMP Fictionbury", "--signature", str(image)]) == 0
    out = capsys.readouterr().out
    new_id = int(re.search(r"Added signatory (\d+)", out).group(1))
    assert "Governor, HMP Fictionbury" in out
    assert main(["letters", "signatory", "edit", ws, str(new_id), "--title", "Deputy Governor",
                 "--no-signature"]) == 0
    assert "Deputy Governor" in capsys.readouterr().out
    assert main(["letters", "signatories", ws]) == 0
    listing = capsys.readouterr().out
    assert f"{new_id}  Pat Placeholder (Deputy Governor, HMP Fictionbury)  [no signature" in listing
    assert main(["letters", "signatory", "remove", ws, str(new_id)]) == 0
    assert main(["letters", "signatory", "remove", ws, str(new_id)]) == 2
    assert "no signatory" in capsys.readouterr().err.lower()
    assert main(["letters", "letterhead", ws, "--address", "3 Mock Lane | ZZ99 3CC",
                 "--phone", "0000 123 4567"]) == 0
    out = capsys.readouterr().out
    assert "  3 Mock Lane\n  ZZ99 3CC\n" in out and "Phone: 0000 123 4567" in out
    assert f"Email: {LETTERHEAD['letterhead_email']}" in out
    assert main(["letters", "letterhead", ws, "--email", "not an address"]) == 2
    assert "email: is not an email address" in capsys.readouterr().err
    # Printing is still `letters PATH ...`.
    assert main(["letters", ws, "--template", "support_offer", "--people", "FD-0001",
                 "--out", str(tmp_path / "s.pdf")]) == 0
    assert "0000 123 4567" in pages(tmp_path / "s.pdf")[0]


# ---------------------------------------------------------------------------- minutes

ACTIONS = tuple(MinutesAction(d, k, "Crown Prosecution Service (Fictionbury)", "C. Keyworker",
                              date(2026, 12, 10), "planned")
                for d, k in (("Offer out-of-court disposal with treatment condition", "enforcement"),
                             ("Book mental health appointment", "support"),
                             ("Deliver custom notification with mother present", "communication")))


def _fonts(path: Path) -> dict[str, bool]:
    out = {}
    for page in PdfReader(str(path)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            desc = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            out[str(font["/BaseFont"])] = desc is not None and "/FontFile2" in desc.get_object()
    return out


def test_minutes_and_partner_lists_embed_every_font_and_keep_words_whole(tmp_path):
    minutes, lists = tmp_path / "minutes.pdf", tmp_path / "police.pdf"
    write_minutes(minutes, MinutesData("DEMO Partnership (fictional)", "Partnership meeting 1",
                                       date(2026, 11, 20), ("Fictionbury Police",),
                                       tuple(MinutesItem(f"FD-00{i}", "Refer", ACTIONS) for i in range(10, 13))))
    write_partner_actions(lists, PartnerActionList(
        "DEMO", "Partnership meeting 1", date(2026, 11, 20), "Fictionbury Police",
        tuple(("FD-0012 Alexandria Ó Súilleabháin", a) for a in ACTIONS)))
    for path in (minutes, lists):
        fonts = _fonts(path)
        assert fonts and all(fonts.values()), fonts
        assert not any("Helvetica" in name for name in fonts)
        meta = PdfReader(str(path)).metadata
        assert meta.creator == meta.producer == "Deterrence Desktop"
        words = set(" ".join(pages(path)).split())
        for word in ("Enforcement", "Communication", "Support", "Keyworker", "appointment",
                     "Prosecution") + (("Súilleabháin",) if path == lists else ()):
            assert word in words, f"{path.name}: {word!r} is broken across lines"


def test_column_widths_fit_the_longest_word():
    from reportlab.lib.units import mm

    from deterrence_desktop.exports.letters import BOLD, REGULAR, register_fonts
    from reportlab.pdfbase.pdfmetrics import stringWidth
    register_fonts()
    head = ["Action", "Kind", "Due"]
    cols = [["Deliver custom notification"], ["Communication"], ["10 Dec 2026"]]
    widths = fit_widths(head, cols, (BOLD, 9), (REGULAR, 9), (100, 10, 20), 130 * mm)
    assert sum(widths) == pytest.approx(130 * mm, abs=1)
    assert widths[1] > stringWidth("Communication", REGULAR, 9) + 8
    assert widths[0] < 100 * mm
