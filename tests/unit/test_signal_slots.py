"""A button's clicked(bool), an action's triggered(bool) or a toggle's toggled(bool) hands its
flag to the first positional argument of the slot. Connected straight to a method whose
first argument is optional (``start_projection(settings=None)``, ``cancel_call_in(confirm=
True)``), the flag arrives as that argument: "Project on a screen…" crashed on every click,
and "Cancel call-in…" skipped its confirmation. No ui code may connect such a signal
straight to such a method (a lambda that calls it with no arguments is the way)."""
from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "deterrence_desktop" / "ui"
BOOL_SIGNALS = {"clicked", "triggered", "toggled"}


def _optional_first(fn: ast.FunctionDef) -> bool:
    args = [a for a in fn.args.posonlyargs + fn.args.args if a.arg != "self"]
    n_defaults = len(fn.args.defaults)
    return bool(args) and n_defaults > 0 and len(args) <= n_defaults


def bool_into_optional(root: Path = UI) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
            for call in (n for n in ast.walk(cls) if isinstance(n, ast.Call)):
                f = call.func
                if not (isinstance(f, ast.Attribute) and f.attr == "connect" and call.args
                        and isinstance(f.value, ast.Attribute) and f.value.attr in BOOL_SIGNALS):
                    continue
                slot = call.args[0]
                if (isinstance(slot, ast.Attribute) and isinstance(slot.value, ast.Name)
                        and slot.value.id == "self" and slot.attr in methods
                        and _optional_first(methods[slot.attr])):
                    found.append(f"{path.relative_to(root)}:{call.lineno} "
                                 f"{ast.unparse(f.value)} -> self.{slot.attr}")
    return found


def test_no_checked_flag_lands_in_an_optional_argument():
    assert bool_into_optional() == []


def test_the_check_finds_the_pattern(tmp_path):
    (tmp_path / "page.py").write_text(
        "class Page:\n"
        "    def __init__(self):\n"
        "        self.button.clicked.connect(self.start)\n"
        "        self.other.clicked.connect(lambda: self.start())\n"
        "        self.third.clicked.connect(self.plain)\n"
        "    def start(self, settings=None):\n"
        "        pass\n"
        "    def plain(self):\n"
        "        pass\n")
    assert bool_into_optional(tmp_path) == ["page.py:3 self.button.clicked -> self.start"]
