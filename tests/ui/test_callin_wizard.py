"""The call-in wizard on the demo workspace, driven like a user would, with screenshots."""
from __future__ import annotations


from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton, QWizard
from sqlalchemy import select

from conftest import save_screenshot
from deterrence_desktop.services import callins as flow
from deterrence_desktop.store.tables import ActionRow, AuditEntryRow, CallInRow, InvitationRow
from deterrence_desktop.ui.callins.wizard import CallInWizard


def shot(widget, name):
    save_screenshot(widget, 'callins', name)


def ready(qtbot, wizard: CallInWizard, step: str):
    page = wizard.page_for(step)
    qtbot.waitUntil(lambda: wizard.currentPage() is page and page.isComplete(), timeout=10_000)
    return page


def click(qtbot, wizard: CallInWizard, which) -> None:
    qtbot.mouseClick(wizard.button(which), Qt.MouseButton.LeftButton)


def fill_event(qtbot, wizard) -> None:
    page = ready(qtbot, wizard, flow.EVENT)
    qtbot.keyClicks(page.title_edit, "Call-in: Copperfield Crew and Bluebell Line (fictional)")
    qtbot.keyClicks(page.venue, "Fictionbury Magistrates' Court, Court Room 2")
    qtbot.keyClicks(page.venue_notes, "Step-free entrance; rival groups arrive by separate doors.")
    for i in range(page.groups.count()):
        if page.groups.item(i).text() in ("Copperfield Crew", "Bluebell Line"):
            page.groups.item(i).setCheckState(Qt.CheckState.Checked)


def fill_invitees(qtbot, wizard, n: int = 5):
    page = ready(qtbot, wizard, flow.INVITEES)
    model = page.model
    for row in range(n):
        model.setData(model.index(row, model.INVITE), Qt.CheckState.Checked.value,
                      Qt.ItemDataRole.CheckStateRole)
    return page


def fill_speakers(qtbot, wizard):
    page = ready(qtbot, wizard, flow.SPEAKERS)
    for role, name, partner in (("law_enforcement", "Insp. Avery Demo", "Fictionbury Police"),
                                ("moral_voice", "Ruth Storyteller", "Fictionbury Mothers' Voice"),
                                ("service_provider", "Dr Lee Fabricant", "Open Door Drug Treatment")):
        page.role.setCurrentIndex(page.role.findData(role))
        qtbot.keyClicks(page.name, name)
        page.link.setCurrentIndex(page.link.findText(f"Partner: {partner}"))
        qtbot.mouseClick(page.add_btn, Qt.MouseButton.LeftButton)
    return page


def fill_messages(qtbot, wizard):
    page = ready(qtbot, wizard, flow.MESSAGES)
    for i in range(2):
        page.levers.item(i).setCheckState(Qt.CheckState.Checked)
    page.choose_offer(0)
    page.choose_offer(1)
    return page


def fill_logistics(qtbot, wizard):
    page = ready(qtbot, wizard, flow.LOGISTICS)
    qtbot.keyClicks(page.transport, "Minibus from the community centre")
    qtbot.keyClicks(page.room_layout, "Horseshoe; rival groups seated apart")
    qtbot.mouseClick(page.standard_btn, Qt.MouseButton.LeftButton)
    return page


def test_wizard_completes_on_the_demo_workspace(qtbot, ctx, demo_app):
    wizard = CallInWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    fill_event(qtbot, wizard)
    shot(wizard, "1-event")
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    invitees = fill_invitees(qtbot, wizard)
    model = invitees.model
    custody = next(r for r, c in enumerate(model.rows) if c.legal_status == "custody")
    model.setData(model.index(custody, model.INVITE), Qt.CheckState.Checked.value,
                  Qt.ItemDataRole.CheckStateRole)
    assert len(model.invited) == 6
    assert invitees.warning_box.isVisible() and "rival groups" in invitees.warning_box.text()
    assert "in custody on the date" in invitees.warning_box.text()
    assert model.index(custody, model.WARN).data() == "In custody on the date."
    shot(wizard, "2-invitees")
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    speakers = fill_speakers(qtbot, wizard)
    assert speakers.table.rowCount() == 3
    shot(wizard, "3-speakers")
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    fill_messages(qtbot, wizard)
    shot(wizard, "4-messages")
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    logistics = fill_logistics(qtbot, wizard)
    assert logistics.tasks_table.rowCount() == 3
    shot(wizard, "5-logistics")
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    review = ready(qtbot, wizard, flow.REVIEW)
    text = review.review_text()
    assert "Ruth Storyteller" in text and "Finish creates 9 actions" in text
    assert not review.errors.isVisible()
    shot(wizard, "6-review")
    with qtbot.waitSignal(wizard.call_in_created, timeout=10_000) as created:
        click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    call_in_id = created.args[0]
    with demo_app.workspace.session() as s:
        row = s.get(CallInRow, call_in_id)
        assert row.status == "planned" and row.title.startswith("Call-in: Copperfield")
        assert len(row.details["speakers"]) == 3 and len(row.details["messages"]["offers"]) == 2
        invs = list(s.scalars(select(InvitationRow).where(InvitationRow.call_in_id == call_in_id)))
        acts = list(s.scalars(select(ActionRow).where(ActionRow.call_in_id == call_in_id)))
        audit = list(s.scalars(select(AuditEntryRow).where(
            AuditEntryRow.operation == "collection",
            AuditEntryRow.entity.in_(("call_in", "invitation", "action")))
            .order_by(AuditEntryRow.seq.desc()).limit(16)))
    assert len(invs) == 6 and len(acts) == 9
    assert sorted(a.kind for a in acts).count("communication") == 6
    by_probation = [i for i in invs if i.required]
    assert by_probation and all("supervising officer" in i.delivered_by for i in by_probation)
    assert all(a.due_date < row.starts_at.date() for a in acts)
    assert audit[0].entity == "call_in" and audit[0].entity_ref == str(call_in_id)
    assert [e.entity for e in audit].count("invitation") == 6
    assert [e.entity for e in audit].count("action") == 9
    assert wizard.result() == QWizard.DialogCode.Accepted


def test_back_keeps_what_was_entered_and_next_refuses_a_broken_step(qtbot, ctx):
    wizard = CallInWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    page = ready(qtbot, wizard, flow.EVENT)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)      # nothing typed yet
    assert wizard.currentPage() is page and page.errors.isVisible()
    assert "title" in page.errors.text().lower()
    shot(wizard, "1-event-errors")
    fill_event(qtbot, wizard)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    invitees = fill_invitees(qtbot, wizard, n=3)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    fill_speakers(qtbot, wizard)
    click(qtbot, wizard, QWizard.WizardButton.BackButton)
    assert wizard.currentPage() is invitees and len(invitees.model.invited) == 3
    assert len(wizard.state.answers[flow.SPEAKERS]["speakers"]) == 3     # kept on Back
    click(qtbot, wizard, QWizard.WizardButton.BackButton)
    assert wizard.currentPage() is page
    assert page.title_edit.text().startswith("Call-in: Copperfield")
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    invitees = ready(qtbot, wizard, flow.INVITEES)
    assert len(invitees.model.invited) == 3
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    speakers = ready(qtbot, wizard, flow.SPEAKERS)
    assert speakers.table.rowCount() == 3


def test_draft_saved_mid_way_resumes_with_back_history(qtbot, ctx, demo_app):
    wizard = CallInWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    fill_event(qtbot, wizard)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    fill_invitees(qtbot, wizard, n=2)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    fill_speakers(qtbot, wizard)
    with qtbot.waitSignal(wizard.draft_saved, timeout=10_000) as saved:
        click(qtbot, wizard, QWizard.WizardButton.CustomButton1)
    draft_id = saved.args[0]
    wizard.reject()
    state = demo_app.callins.resume_draft(draft_id)
    assert state.current == flow.SPEAKERS
    again = CallInWizard(ctx, state)
    qtbot.addWidget(again)
    again.show()
    speakers = ready(qtbot, again, flow.SPEAKERS)
    assert speakers.table.rowCount() == 3
    click(qtbot, again, QWizard.WizardButton.BackButton)
    invitees = ready(qtbot, again, flow.INVITEES)
    assert len(invitees.model.invited) == 2
    click(qtbot, again, QWizard.WizardButton.NextButton)
    ready(qtbot, again, flow.SPEAKERS)
    click(qtbot, again, QWizard.WizardButton.NextButton)
    fill_messages(qtbot, again)
    click(qtbot, again, QWizard.WizardButton.NextButton)
    fill_logistics(qtbot, again)
    click(qtbot, again, QWizard.WizardButton.NextButton)
    review = ready(qtbot, again, flow.REVIEW)
    # The review's "change" link returns to a visited step.
    again.go_to_step(flow.MESSAGES)
    ready(qtbot, again, flow.MESSAGES)
    click(qtbot, again, QWizard.WizardButton.NextButton)
    ready(qtbot, again, flow.LOGISTICS)
    click(qtbot, again, QWizard.WizardButton.NextButton)
    review = ready(qtbot, again, flow.REVIEW)
    with qtbot.waitSignal(again.call_in_created, timeout=10_000) as created:
        click(qtbot, again, QWizard.WizardButton.FinishButton)
    assert created.args[0] == draft_id
    assert demo_app.callins.get(draft_id).status == "planned"
    assert review is again.page_for(flow.REVIEW)


def test_invite_all_leaves_out_people_in_custody_and_the_box_chooses_required(qtbot, ctx):
    wizard = CallInWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    fill_event(qtbot, wizard)
    event = wizard.page_for(flow.EVENT)
    assert event.clash_box.isVisible() and "same date and time" in event.clash_box.text()
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    page = ready(qtbot, wizard, flow.INVITEES)
    all_btn = next(b for b in page.findChildren(QPushButton) if b.text() == "Invite &all")
    qtbot.mouseClick(all_btn, Qt.MouseButton.LeftButton)
    model = page.model
    from deterrence_desktop.services.callin_warnings import in_custody_on
    day = page.data.facts.starts_on            # in custody or on remand on the day of the call-in
    custody = {c.person_id for c in model.rows if in_custody_on(c, day)}
    assert {c.legal_status for c in model.rows if c.person_id in custody} == {"custody", "remand"}
    assert custody and not custody & set(model.invited)
    assert len(model.invited) == len(model.rows) - len(custody)
    assert page.notice.isVisible() and "in custody on the date" in page.notice.text()
    assert f"{len(custody)} people left out" in page.notice.text() or len(custody) == 1
    assert any(model.invited.values())                     # required where a licence allows
    qtbot.mouseClick(page.require, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, page.require.height() // 2))        # on its box
    assert not page.require.isChecked() and not any(model.invited.values())
    assert "0 of them required" in page.summary.text()
