"""The PySide6 application (Model/View, one database worker thread)."""
import sys as _sys

if _sys.version_info < (3, 12):
    # The PySide6 6.12 wheels (abi3, built where None, True and False are immortal) drop
    # references to them under Python 3.11: one to None on every void Qt call made from
    # Python (setText, setCurrentIndex, ...) and on every empty QVariant handed back
    # (currentData(), index.data()); one to True on every Python-side signal.emit(). A
    # long session takes a count to zero and aborts the interpreter ("Fatal Python error:
    # none_dealloc" / "bool_dealloc"). Give them the slack Python 3.12 gives them.
    import ctypes as _ctypes

    for _obj in (None, True, False):
        _ctypes.c_ssize_t.from_address(id(_obj)).value += 1 << 40
    del _obj
