"""Typed errors raised by the domain and the layers above it.

Messages never contain personal data: they name fields, references and ids.
"""
from __future__ import annotations

__all__ = [
    "DeterrenceError", "ValidationError", "NotFoundError", "PermissionDenied", "ConflictError",
]


class DeterrenceError(Exception):
    """Base of every expected error; the UI and the command line show its message as is."""


class ValidationError(DeterrenceError):
    """One or more fields break a rule. ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str] | str, message: str | None = None):
        if isinstance(errors, str):
            errors = {errors: message or "is not valid"}
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))

    @property
    def field(self) -> str:
        return next(iter(self.errors))


class NotFoundError(DeterrenceError):
    def __init__(self, what: str, key: object):
        self.what, self.key = what, key
        super().__init__(f"No {what} with id {key}")


class PermissionDenied(DeterrenceError):
    pass


class ConflictError(DeterrenceError):
    pass
