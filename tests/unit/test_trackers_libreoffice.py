"""A tracker opened and saved again by LibreOffice (what many partners use) comes back
with nothing changed and nothing refused. Runs only where LibreOffice is installed
(it is not installed in CI)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from deterrence_desktop.services.trackers import RowState

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")


def test_libreoffice_round_trip_changes_nothing(demo_app, tmp_path):
    pid = demo_app.partners.by_name("Fictionbury Police").id
    exported = tmp_path / "in" / "police.xlsx"
    exported.parent.mkdir()
    demo_app.trackers.export(exported, partner_id=pid)
    out = tmp_path / "out"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out),
                    str(exported)], check=True, capture_output=True, timeout=180)
    resaved = out / "police.xlsx"
    assert resaved.exists() and resaved.read_bytes() != exported.read_bytes()
    plan = demo_app.trackers.check_return(resaved)
    assert plan.partner_id == pid and not plan.problems
    assert plan.rows and all(r.state == RowState.UNCHANGED for r in plan.rows)
