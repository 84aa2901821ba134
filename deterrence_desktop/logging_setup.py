"""The app's log: safe by design, so a log line cannot carry personal data.

* Our own log calls use constant message templates (a test checks no call
  builds its message with an f-string, ``%`` or ``.format``); their arguments
  are written only when they are numbers, booleans, classes or exception class
  names, anything else (a string could be a name) becomes ``<hidden>``.
* Messages of other libraries' loggers (SQLAlchemy's can hold SQL parameters)
  are withheld: only the logger name and the level are written.
* An exception is written as its class and the code locations of its
  traceback, never its message or any local value.

The log lives in the app's data folder (``logs/deterrence-desktop.log``), rotating
at 1 MB with three old files.
"""
from __future__ import annotations

import copy
import logging
import logging.handlers
import re
import traceback
from pathlib import Path

LOG_NAME = "deterrence-desktop.log"
OUR_LOGGER = "deterrence_desktop"
HIDDEN = "<hidden>"
_EXC_NAME = re.compile(r"^[A-Z][A-Za-z0-9_]*(Error|Exception|Warning|Denied|Failed|Cancelled|"
                       r"Interrupt|Exit|Damaged|Missing|Exists|InUse|ReadOnly)$")


def safe_arg(value: object) -> object:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, type):
        return value.__qualname__
    if isinstance(value, BaseException):
        return type(value).__qualname__
    if isinstance(value, str) and _EXC_NAME.match(value):
        return value
    return HIDDEN


def safe_traceback(exc_info) -> str:
    exc_type, exc, tb = exc_info
    lines = [f"Exception: {exc_type.__module__}.{exc_type.__qualname__}"]
    for frame in traceback.extract_tb(tb):
        lines.append(f"  {Path(frame.filename).name}:{frame.lineno} in {frame.name}")
    cause = exc.__cause__ or exc.__context__ if exc is not None else None
    if cause is not None:
        lines.append(f"Caused by: {type(cause).__module__}.{type(cause).__qualname__}")
    return "\n".join(lines)


class SafeFormatter(logging.Formatter):
    """Formats a record without any value that could be personal data."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        r = copy.copy(record)
        if r.name != OUR_LOGGER and not r.name.startswith(OUR_LOGGER + "."):
            r.msg, r.args = "(message withheld: it may hold data)", None
        elif r.args:
            if isinstance(r.args, dict):
                r.args = {k: safe_arg(v) for k, v in r.args.items()}
            else:
                r.args = tuple(safe_arg(a) for a in r.args)
        if not isinstance(r.msg, str):
            r.msg = type(r.msg).__qualname__
        if r.exc_info and r.exc_info[0] is not None:
            r.exc_text = safe_traceback(r.exc_info)
        else:
            r.exc_text = None
        r.exc_info = None
        r.stack_info = None
        try:
            return super().format(r)
        except (TypeError, ValueError):
            r.msg, r.args = "(unformattable message)", None
            return super().format(r)


def log_file(folder: Path | None = None) -> Path:
    if folder is None:
        from .paths import data_dir
        folder = data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / LOG_NAME


_handler: logging.Handler | None = None


def configure(folder: Path | None = None, level: int = logging.INFO) -> Path:
    """Send every log record to the safe, rotating log file; returns its path.
    Calling it again moves the log (tests, ``--data-dir``)."""
    global _handler
    path = log_file(folder)
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    _handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                    encoding="utf-8")
    _handler.setFormatter(SafeFormatter())
    root.addHandler(_handler)
    root.setLevel(level)
    # SQLAlchemy's engine and pool loggers can echo SQL parameters: keep them quiet.
    for name in ("sqlalchemy", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return path
