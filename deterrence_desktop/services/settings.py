"""Typed workspace settings, with every default in one table (in the style of Picard's options).

Settings live in the encrypted workspace's ``setting`` table (a backup folder
can name a person's machine; a retention rule is policy): QSettings keeps only
window geometry. Values are stored as JSON text and typed on the way out.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..store.tables import SettingRow
from .base import Service


@dataclass(frozen=True)
class Option:
    key: str
    type: type
    default: Any
    label: str
    minimum: int | None = None
    maximum: int | None = None


OPTIONS: dict[str, Option] = {o.key: o for o in [
    Option("idle_lock_minutes", int, 10, "Lock after this many idle minutes", 1, 240),
    Option("clipboard_clear_seconds", int, 30, "Clear copied details after (seconds)", 5, 600),
    Option("backup_folder", str, "", "Backup folder (empty: a folder beside the workspace)"),
    Option("backup_keep_last", int, 10, "Keep the last N backups", 1, 100),
    Option("backup_keep_weeks", int, 8, "Also keep one backup a week for N weeks", 0, 104),
    Option("backup_interval_hours", int, 24, "Back up while open every N hours", 1, 168),
    Option("backup_last_audit_head", str, "", "Audit head at the newest backup (internal)"),
    Option("letterhead_address", str, "", "Letterhead: the partnership's return address (one line each)"),
    Option("letterhead_phone", str, "", "Letterhead: phone number for people who get a letter"),
    Option("letterhead_email", str, "", "Letterhead: email address for people who get a letter"),
    Option("reach_threshold", float, 1 / 3, "A group counts as reached once this share of its "
                                             "current members has had the message"),
    Option("partnership_nation", str, "england",
           "The partnership's nation, whose bank holidays releases are planned around"),
]}


class SettingsService(Service):
    def get(self, key: str) -> Any:
        option = self._option(key)
        with self.tx() as uow:
            raw = uow.session.scalar(select(SettingRow.value).where(SettingRow.key == key))
        return self._typed(option, raw)

    def all(self) -> dict[str, Any]:
        with self.tx() as uow:
            stored = dict(uow.session.execute(select(SettingRow.key, SettingRow.value)).all())
        return {k: self._typed(o, stored.get(k)) for k, o in OPTIONS.items()}

    def set(self, key: str, value: Any, *, internal: bool = False) -> Any:
        """Store a setting (coordinators only). ``internal`` settings are kept by the
        app itself for any signed-in user and are not audited."""
        option = self._option(key)
        if not internal:
            self.require(Role.COORDINATOR, entity="setting", ref=key)
        value = self._check(option, value)
        with self.tx() as uow:
            row = uow.session.get(SettingRow, key)
            text = json.dumps(value)
            if row is None:
                uow.session.add(SettingRow(key=key, value=text))
            elif row.value == text:
                return value
            else:
                row.value = text
            if not internal:
                uow.audit(AuditOperation.ALTERATION, "setting", key, "value changed")
        return value

    def set_many(self, values: dict[str, Any], what: str = "") -> dict[str, Any]:
        """Store several settings in one transaction with one audit entry (coordinators only)."""
        self.require(Role.COORDINATOR, entity="setting", ref=",".join(values))
        checked = {key: self._check(self._option(key), value) for key, value in values.items()}
        with self.tx() as uow:
            changed = []
            for key, value in checked.items():
                row = uow.session.get(SettingRow, key)
                text = json.dumps(value)
                if row is None:
                    uow.session.add(SettingRow(key=key, value=text))
                elif row.value == text:
                    continue
                else:
                    row.value = text
                changed.append(key)
            if changed:
                uow.audit(AuditOperation.ALTERATION, "setting", ",".join(changed)[:64],
                          what or "values changed")
        return checked

    @staticmethod
    def read(session, key: str) -> Any:
        """A setting's typed value, read inside another service's transaction."""
        option = SettingsService._option(key)
        return SettingsService._typed(
            option, session.scalar(select(SettingRow.value).where(SettingRow.key == key)))

    @staticmethod
    def _option(key: str) -> Option:
        try:
            return OPTIONS[key]
        except KeyError:
            raise ValidationError("setting", f"no setting called {key}") from None

    @staticmethod
    def _check(option: Option, value: Any) -> Any:
        try:
            value = option.type(value)
        except (TypeError, ValueError):
            raise ValidationError(option.key, "is not a valid value") from None
        if option.minimum is not None and value < option.minimum:
            raise ValidationError(option.key, f"must be at least {option.minimum}")
        if option.maximum is not None and value > option.maximum:
            raise ValidationError(option.key, f"must be at most {option.maximum}")
        return value

    @staticmethod
    def _typed(option: Option, raw: str | None) -> Any:
        if raw is None:
            return option.default
        try:
            return option.type(json.loads(raw))
        except (TypeError, ValueError):
            return option.default
