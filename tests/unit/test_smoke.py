from sqlalchemy import func, select

from deterrence_desktop.domain.enums import ActionStatus
from deterrence_desktop.store.tables import ActionRow
from deterrence_desktop.store.tables_custody import PlanActionRow


def test_demo_workspace_has_the_demo_size(demo_app):
    counts = demo_app.maintenance.info().counts
    assert counts["person"] == 40
    with demo_app.workspace.session() as s:       # levers and offers recorded for letters
        recorded = s.scalar(select(func.count()).select_from(ActionRow).where(
            ActionRow.intervention_id.is_not(None)))
        planned = s.scalar(select(func.count()).select_from(PlanActionRow))   # a continuity plan
    assert recorded > 40 and planned > 0 and counts["action"] == 150 + recorded + planned
    assert counts["communication"] == 200
    assert counts["call_in"] == 2
    assert demo_app.maintenance.check().ok


def test_status_open():
    assert ActionStatus.BLOCKED.is_open and not ActionStatus.DONE.is_open
