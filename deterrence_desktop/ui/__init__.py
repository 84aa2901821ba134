"""The PySide6 application (Model/View, one database worker thread)."""
import sys as _sys

if _sys.version_info < (3, 12):
    # The PySide6 6.12 wheels (abi3, built where None is immortal) drop one reference to
    # None on every void Qt call made from Python 3.11 (setText, setCurrentIndex, ...),
    # and on every empty QVariant handed back (currentData(), index.data()). A long
    # session would take None's count to zero and abort the interpreter ("Fatal Python
    # error: none_dealloc"). Give None the slack Python 3.12 gives it (immortality).
    import ctypes as _ctypes

    _ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
