from deterrence_desktop.domain.enums import ActionStatus


def test_demo_workspace_has_the_demo_size(demo_app):
    counts = demo_app.maintenance.info().counts
    assert counts["person"] == 40
    assert counts["action"] == 150
    assert counts["communication"] == 200
    assert counts["call_in"] == 2
    assert demo_app.maintenance.check().ok


def test_status_open():
    assert ActionStatus.BLOCKED.is_open and not ActionStatus.DONE.is_open
