"""Writing an export so that a failure leaves no half file: a temporary file (mode 0600,
as ``mkstemp`` makes it) beside the target, moved into place only when complete."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_file(path: Path | str, suffix: str) -> Iterator[str]:
    """A temporary file (mode 0600) beside ``path``, moved into place when the block ends
    without error, removed otherwise."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"The folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".network-", suffix=suffix + ".part", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
