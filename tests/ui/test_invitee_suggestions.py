"""The call-in wizard's invitee step offers the network's suggestions for the targeted groups
(most connected members, not in custody, not yet reached): accepted, they are invited;
ignored, nothing changes."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from deterrence_desktop.services import callins as flow
from deterrence_desktop.ui.callins.wizard import CallInWizard
from tests.journeys.driver import WAIT, press
from tests.ui.test_callin_wizard import click, fill_event, ready


def _invitee_step(qtbot, ctx):
    wizard = CallInWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    fill_event(qtbot, wizard)                 # Copperfield Crew and Bluebell Line
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    page = ready(qtbot, wizard, flow.INVITEES)
    qtbot.waitUntil(lambda: page.suggestions.isVisible(), timeout=WAIT)
    return wizard, page


def _expected(ctx):
    def read(s):
        groups = {g.name: g.id for g in s.groups.list()}
        return [sug for name in ("Copperfield Crew", "Bluebell Line")
                for sug in s.network.suggest_invitees(groups[name])]
    return ctx.call_sync(read)


def test_suggestions_accepted_are_invited(qtbot, ctx):
    wizard, page = _invitee_step(qtbot, ctx)
    expected = _expected(ctx)
    assert expected, "the demo has members to suggest"
    shown = [page.suggestions.list.item(i).text() for i in range(page.suggestions.list.count())]
    assert len(shown) == len({s.person_id for s in expected})
    assert all(" — " in text for text in shown)                 # each with its reason
    assert not page.model.invited
    press(qtbot, "Invite the suggested", page)
    assert set(page.model.invited) == {s.person_id for s in expected}
    assert not page.suggestions.isVisible()
    assert f"{len(page.model.invited)} invited" in page.summary.text()


def test_suggestions_ignored_change_nothing(qtbot, ctx):
    wizard, page = _invitee_step(qtbot, ctx)
    item = page.suggestions.list.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)          # one unticked, then ignore them all
    press(qtbot, "Ignore suggestions", page)
    assert not page.suggestions.isVisible() and not page.model.invited
