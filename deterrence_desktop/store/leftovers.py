"""Files our own killed processes leave behind, and whether their writer is gone.

A temporary file or folder that may be left by a kill carries the host and the
process id of its writer in its name, so the next run removes exactly those whose
process is no longer running on this computer, and nothing else. They never hold
plaintext: only ciphertext copies, half-written encrypted files and lock records.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from pathlib import Path


def this_host() -> str:
    return socket.gethostname() or "unknown-host"


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True          # it exists, owned by someone else
    except OSError:
        return False
    if os.name == "posix":
        # A zombie (killed, not yet reaped) is not running either.
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return False
    return True


def host_tag() -> str:
    """Eight hex digits standing for this computer (its name stays out of file names)."""
    return hashlib.sha256(this_host().encode("utf-8")).hexdigest()[:8]


def owner_tag() -> str:
    """``HOST-PID``: put in the name of a temporary file a kill may leave behind."""
    return f"{host_tag()}-{os.getpid()}"


def left_by_dead_process(tag: str) -> bool:
    """True when ``tag`` (an :func:`owner_tag` read back from a name) names this
    computer and a process that no longer runs."""
    host, _, pid = tag.partition("-")
    if host != host_tag() or not pid.isdigit():
        return False
    return int(pid) != os.getpid() and not pid_alive(int(pid))
