"""The Qt binding must not corrupt the reference counts of None and True.

PySide6 6.12's wheels, under Python 3.11, dropped a reference to None on every
void Qt call and to True on every signal emit, so a long session aborted the
interpreter ("Fatal Python error: none_dealloc"). pyproject.toml keeps 6.12 out;
this runs the calls that crashed, in a child process so an abort fails one test.
"""
from __future__ import annotations

import os
import subprocess
import sys

CHILD = r"""
import sys
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
app = QApplication([])
w, combo = QWidget(), QComboBox()
combo.addItem("fictional")
class Emitter(QObject):
    fired = Signal(bool)
e = Emitter()
none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(20_000):
    w.setToolTip("x")
    combo.currentData()
    e.fired.emit(True)
print(sys.getrefcount(None) - none_before, sys.getrefcount(True) - true_before)
"""


def test_void_calls_and_emits_keep_none_and_true_alive():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    none_delta, true_delta = map(int, done.stdout.split())
    # A leak of a few references is harmless; losing one per call is not.
    assert none_delta > -100 and true_delta > -100, (none_delta, true_delta)
