"""Writing an export safely: into a temporary file (mode 0600) beside the target, moved
into place only when complete, so a failure leaves no half file and nothing readable
by others."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..domain.errors import DeterrenceError


class ExportError(DeterrenceError):
    """An export could not be written (a missing folder, an unknown file type)."""


@contextlib.contextmanager
def atomic_path(path: Path | str, prefix: str = ".export-") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (created empty, mode 0600); on success it
    replaces ``path``, on any failure it is removed."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"The folder {path.parent} does not exist: choose a folder that "
                          "exists, or create it first")
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=path.suffix + ".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
