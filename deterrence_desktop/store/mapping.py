"""Moves values between ORM rows and domain records, by field name."""
from __future__ import annotations

import functools
import typing
from dataclasses import fields, is_dataclass
from enum import StrEnum
from typing import Any, TypeVar

from ..domain import model

R = TypeVar("R")


@functools.cache
def _converters(cls: type) -> dict[str, Any]:
    """For each field of a record class, a function that turns a stored value back into
    the domain value (an enumeration or a list of enumerations); None where nothing is needed."""
    hints = typing.get_type_hints(cls, vars(model))
    out: dict[str, Any] = {}
    for f in fields(cls):
        hint = hints[f.name]
        out[f.name] = _converter_for(hint)
    return out


def _converter_for(hint: Any):
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return lambda v, e=hint: None if v is None else e(v)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], StrEnum):
        return lambda v, e=args[0]: [e(x) for x in (v or [])]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType")) and len(args) == 1:
        return _converter_for(args[0])
    return None


def to_record(row: Any, cls: type[R]) -> R:
    """Build a domain record of ``cls`` from an ORM row with the same attribute names."""
    assert is_dataclass(cls)
    values = {}
    for name, convert in _converters(cls).items():
        value = getattr(row, name)
        if isinstance(value, list):
            value = list(value)
        elif isinstance(value, dict):
            value = dict(value)
        values[name] = convert(value) if convert else value
    return cls(**values)


# The row's version is the store's own: set to 1 by an insert and raised by one by every
# update (the tables' ``version_id_col``); a record only carries it to compare.
VERSION = "version"


def column_values(record: Any, exclude: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """The record's values as plain column values (enumerations as strings); never the
    row version, which the store keeps."""
    out = {}
    for f in fields(record):
        if f.name in exclude or f.name == VERSION:
            continue
        value = getattr(record, f.name)
        if isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, list):
            value = [v.value if isinstance(v, StrEnum) else v for v in value]
        out[f.name] = value
    return out


def changed_fields(row: Any, record: Any, exclude: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """The column values of ``record`` that differ from ``row``."""
    return {k: v for k, v in column_values(record, exclude).items() if getattr(row, k) != v}
