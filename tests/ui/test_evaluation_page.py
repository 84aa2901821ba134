"""The Evaluation page: launching the app never imports matplotlib (the page loads it the
first time it is opened), and the page computes on the worker, shows the measures and
the three charts, and redraws for another cohort."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from PySide6.QtWidgets import QApplication

LAUNCH = textwrap.dedent("""
    import sys, time
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from deterrence_desktop.ui.launch import create_window
    win = create_window(data_dir=sys.argv[1])
    win.show()
    deadline = time.monotonic() + 60
    while not win.features_loaded and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    win.ctx.runner.call_sync(lambda: None)          # the warm-up has run too
    assert win.features_loaded
    assert type(win.pages["evaluation"]).__name__ == "EvaluationPage"
    heavy = sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"
                   or m in ("deterrence_desktop.exports.charts",
                            "deterrence_desktop.ui.evaluation.charts"))
    print("IMPORTED", heavy)
    win.ctx.runner.shutdown()
""")


def test_launching_the_app_does_not_import_matplotlib(tmp_path):
    """The window as ``deterrence-desktop`` starts it, every feature page loaded (the
    Evaluation page among them): no matplotlib, no chart module."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", LAUNCH, str(tmp_path / "data")], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "IMPORTED []" in done.stdout, done.stdout


def test_the_page_computes_shows_and_redraws_for_another_cohort(qtbot, ctx):
    from deterrence_desktop.ui.evaluation.page import EvaluationPage

    page = EvaluationPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitUntil(lambda: page.evaluation is not None, timeout=30_000)
    assert "matplotlib" in sys.modules                        # loaded on first open
    assert set(page.charts) == {"before_after", "monthly", "delivery"}
    assert page.chart_is_current("before_after") and not page.chart_is_current("monthly")
    page.tabs.setCurrentIndex(1)                 # the monthly chart is drawn when looked at
    qtbot.waitUntil(lambda: page.chart_is_current("monthly"), timeout=30_000)
    assert page.charts["monthly"].save_button.isEnabled()
    page.tabs.setCurrentIndex(0)
    assert page.measures.rowCount() == len(page.evaluation.measures)
    assert page.summary.text().startswith(page.evaluation.scope)
    first = page.evaluation
    cohorts = [i for i in range(page.who.count()) if page.who.itemText(i).startswith("Cohort: ")]
    assert cohorts, [page.who.itemText(i) for i in range(page.who.count())]
    page.who.setCurrentIndex(cohorts[0])
    qtbot.waitUntil(lambda: page.evaluation is not first and not page.progress.isVisible(),
                    timeout=30_000)
    assert page.evaluation.query.cohort_id == page.who.currentData()[1]
    assert page.evaluation.scope == "Cohort: " + page.who.currentText().removeprefix("Cohort: ")
    # Copy puts the chart on the clipboard as an image
    page.charts["before_after"].copy()
    assert not QApplication.clipboard().image().isNull()
    # a date that does not parse: said under the choices, nothing computed
    page.date_from.setText("31/02/2026")
    page.reload()
    assert page.error.isVisible() and "YYYY-MM-DD" in page.error.text()
