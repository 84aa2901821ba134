"""Typed errors raised by the domain and the layers above it.

Messages never contain personal data: they name fields, references and ids.
"""
from __future__ import annotations

__all__ = [
    "DeterrenceError", "ValidationError", "NotFoundError", "PermissionDenied", "ConflictError",
    "EditConflict", "differing_fields", "same_value", "readable", "sentence", "field_label",
]


class DeterrenceError(Exception):
    """Base of every expected error; the UI and the command line show its message as is."""


# Messages that finish a sentence about their field ("is required", "must not be in the
# future") are read with the field's name in front; advice ("use 2 to 64 letters") is
# labelled with the field it is about, unless it names it; the others are sentences already.
_PREDICATES = ("is ", "are ", "must ", "cannot ", "can ", "should ", "has ", "needs ",
               "may ")
_ADVICE = ("use ", "choose ", "give ", "say ", "put ", "keep ", "write ", "enter ", "pick ")


def field_label(name: str) -> str:
    """'date_of_birth' -> 'Date of birth'; 'partner_id' -> 'Partner'."""
    words = name.removesuffix("_id").removesuffix("_ids").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def sentence(field: str, message: str) -> str:
    """One field's message as a person reads it: 'Date of birth must not be in the
    future.', 'Username: use 2 to 64 letters…', or the message alone when it is a
    sentence of its own ('Attendance can be recorded from the day of the call-in.');
    never a raw 'status: …'."""
    message = message.strip()
    label = field_label(field) if field else ""
    if label and message.startswith(_PREDICATES):
        text = f"{label} {message}"
    elif label and message.lower().startswith(_ADVICE) and \
            label.lower() not in message.lower():
        text = f"{label}: {message}"
    else:
        text = message[:1].upper() + message[1:]
    return text if text.endswith((".", "!", "?", ":")) else text + "."


class ValidationError(DeterrenceError):
    """One or more fields break a rule. ``errors`` maps field name to message (a form
    shows each under its field). ``str()`` is for logs and tests ("field: message");
    what a person reads is :func:`readable`."""

    def __init__(self, errors: dict[str, str] | str, message: str | None = None):
        if isinstance(errors, str):
            errors = {errors: message or "is not valid"}
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))

    @property
    def field(self) -> str:
        return next(iter(self.errors))


def readable(exc: BaseException) -> str:
    """An expected error as a person reads it: a ValidationError's messages as sentences
    ("Date of birth must not be in the future."), never "status: …"; others as they are."""
    if isinstance(exc, ValidationError):
        return " ".join(sentence(k, v) for k, v in exc.errors.items() if v)
    return str(exc)


class NotFoundError(DeterrenceError):
    def __init__(self, what: str, key: object):
        self.what, self.key = what, key
        super().__init__(f"No {what} with id {key}")


class PermissionDenied(DeterrenceError):
    pass


class ConflictError(DeterrenceError):
    pass


# Fields that say nothing a person edits: they never count as a difference between two versions.
BOOKKEEPING_FIELDS = frozenset({"id", "version", "created_at", "updated_at"})


class EditConflict(ConflictError):
    """A save made from a stale copy: someone else saved the same row since it was read.

    ``mine`` is the record the user saved, ``theirs`` the row as it is now (a record of
    the same type; None only when it is no longer there), ``fields`` the names of the
    fields whose values differ between the two. Nothing was written. Saving ``mine``
    again with ``version = theirs.version`` keeps the user's values ("keep mine")."""

    def __init__(self, entity: str, ref: object, mine: object = None, theirs: object = None,
                 fields: tuple[str, ...] | None = None):
        self.entity, self.ref = entity, str(ref)
        self.mine, self.theirs = mine, theirs
        # Who saved theirs and when (UTC, ISO 8601), from the audit trail; "" if unknown.
        self.saved_by, self.saved_at = "", ""
        # (table, key, record type) while ``theirs`` is still to be read, once the failed
        # transaction has rolled back (the services fill it in).
        self.reload: tuple | None = None
        self.fields = tuple(fields) if fields is not None else differing_fields(mine, theirs)
        what = entity.replace("_", " ") + (f" ({self.ref})" if self.ref else "")
        super().__init__(f"Someone else changed this {what} while you were editing it: "
                         "nothing was saved.")

    @property
    def removed(self) -> bool:
        """The row is gone (someone else removed it): there is nothing to keep it against."""
        return self.theirs is None


def differing_fields(mine: object, theirs: object) -> tuple[str, ...]:
    """The names of the fields, in the record's order, whose values differ between two
    records of the same type (bookkeeping such as the id and the version left out)."""
    import dataclasses
    if mine is None or theirs is None or not dataclasses.is_dataclass(mine):
        return ()
    return tuple(f.name for f in dataclasses.fields(mine)
                 if f.name not in BOOKKEEPING_FIELDS
                 and not same_value(getattr(mine, f.name), getattr(theirs, f.name, None)))


def same_value(a: object, b: object) -> bool:
    """Equal as a person reads them: a list of flags (enumeration values, such as a
    person's needs) is the same in any order."""
    from enum import StrEnum
    if isinstance(a, list) and isinstance(b, list) and \
            all(isinstance(v, StrEnum) for v in [*a, *b]):
        return sorted(a) == sorted(b)
    return a == b
