"""The import use-cases: read a file, guess and save mappings, the dry run, apply in
one transaction (audited as one collection with the file's name, SHA-256 and the
mapping), and undo of an applied import as one step."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select

from ...domain.enums import (ActionKind, ActionStatus, AuditOperation, CommunicationChannel,
                             CommunicationOutcome, GroupType, LegalStatus, RiskLevel, Role)
from ...domain.errors import DeterrenceError, ValidationError
from ...domain.model import Action, Communication, Group, Person
from ...store.tables import (ActionRow, CommunicationRow, GroupRow, MembershipRow, PartnerRow,
                             PartnershipRow, PersonRow, SettingRow)
from .. import audit
from ..base import Service
from ..people import _next_reference
from . import matching
from .mapping import FIELDS, ImportKind, Mapping, enum_value, field_by_key, guess_columns
from .plan import Choice, FieldDiff, ImportPlan, ImportReceipt, PlanRow, RowState
from .source import SourceTable, load
from .values import fold, parse_date, split_full_name, split_list

MAPPING_PREFIX = "import_mapping:"
Progress = Callable[[str, int], None]

PERSON_COMPARED = ("given_name", "family_name", "preferred_name", "aliases", "date_of_birth",
                   "address", "postcode", "legal_status", "custody_release", "risk_level",
                   "review_date", "notes")


class ImportService(Service):
    _today: date | None = None
    # -- the file and its mapping ----------------------------------------------------------
    def read(self, path: Path | str, kind: ImportKind | str, sheet: str | None = None) -> SourceTable:
        """The file as a table (no workspace access); raises ImportRefused."""
        return load(path, ImportKind(kind), sheet)

    def guess(self, table: SourceTable, kind: ImportKind | str, name: str = "") -> Mapping:
        kind = ImportKind(kind)
        columns = [table.column(i) for i in range(len(table.headers))]
        chosen = guess_columns(kind, table.headers, columns, self.today())
        mapping = Mapping(name, kind, {h: chosen.get(i, "") for i, h in enumerate(table.headers)})
        return mapping

    @staticmethod
    def enum_choices(table: SourceTable, mapping: Mapping) -> dict[str, list[tuple[str, int, str | None]]]:
        return enum_choices(table, mapping)

    def save_mapping(self, mapping: Mapping) -> Mapping:
        self.require(Role.COORDINATOR, entity="import_mapping", ref=mapping.name)
        name = mapping.name.strip()
        if not name or len(name) > 64 - len(MAPPING_PREFIX):
            raise ValidationError("name", f"give the mapping a name of 1 to {64 - len(MAPPING_PREFIX)} characters")
        mapping.name = name
        with self.tx() as uow:
            key = MAPPING_PREFIX + name
            row = uow.session.get(SettingRow, key)
            text = json.dumps(mapping.to_json(), ensure_ascii=False)
            if row is None:
                uow.session.add(SettingRow(key=key, value=text))
            else:
                row.value = text
            uow.audit(AuditOperation.ALTERATION, "import_mapping", name, "mapping saved")
        return mapping

    def mappings(self, kind: ImportKind | str | None = None) -> list[Mapping]:
        with self.tx() as uow:
            rows = uow.session.execute(select(SettingRow.value).where(
                SettingRow.key.startswith(MAPPING_PREFIX))).scalars().all()
        found = [Mapping.from_json(json.loads(v)) for v in rows]
        return sorted((m for m in found if kind is None or m.kind == ImportKind(kind)),
                      key=lambda m: m.name.casefold())

    def mapping(self, name: str) -> Mapping:
        for m in self.mappings():
            if m.name == name:
                return m
        raise ValidationError("mapping", f"there is no saved mapping called {name!r}")

    # -- the dry run -----------------------------------------------------------------------
    def preview(self, table: SourceTable, mapping: Mapping, progress: Progress | None = None) -> ImportPlan:
        """What applying would do, row by row. Nothing is written (reads are not audited
        one by one: the import's own entry names the file)."""
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="import")
        report = progress or (lambda stage, pct: None)
        kind = mapping.kind
        cols = {key: i for i, h in enumerate(table.headers) if (key := mapping.columns.get(h, ""))}
        builder = {ImportKind.PEOPLE: self._preview_people, ImportKind.GROUPS: self._preview_groups,
                   ImportKind.ACTIONS: self._preview_actions,
                   ImportKind.COMMUNICATIONS: self._preview_communications}[kind]
        self._check_required(kind, cols)
        self._today = self.today()          # one date for the whole dry run
        try:
            with self.tx() as uow:
                rows = builder(uow.session, table, mapping, cols, report)
        finally:
            self._today = None
        report("done", 100)
        return ImportPlan(kind, mapping, table.path.name, table.sha256, table.sheet, rows, list(table.skipped))

    @staticmethod
    def _check_required(kind: ImportKind, cols: dict[str, int]) -> None:
        need = {ImportKind.PEOPLE: [("family_name", "full_name")],
                ImportKind.GROUPS: [("name",)],
                ImportKind.ACTIONS: [("person_reference", "person_name", "group"), ("partner",),
                                     ("description",)],
                ImportKind.COMMUNICATIONS: [("person_reference", "person_name"), ("occurred_at",)]}[kind]
        for options in need:
            if not any(o in cols for o in options):
                labels = " or ".join(field_by_key(kind, o).label for o in options)
                raise ValidationError("mapping", f"choose the column that holds the {labels.lower()}")

    def _cell(self, row_texts: list[str], raw: list, cols: dict[str, int], key: str) -> tuple[str, Any]:
        i = cols.get(key)
        if i is None or i >= len(row_texts):
            return "", None
        return row_texts[i], raw[i]

    def _date(self, r: PlanRow, texts, raw, cols, key, mapping: Mapping) -> date | None:
        text, value = self._cell(texts, raw, cols, key)
        if not text:
            return None
        reading = parse_date(value if not isinstance(value, str) else text,
                             day_first=mapping.day_first, today=self._today or self.today())
        label = field_by_key(mapping.kind, key).label.lower()
        if reading.error:
            r.errors.append(f"{label}: {reading.error}")
        elif reading.ambiguous:
            r.warnings.append(f"{label} {text} read as {reading.value:%d %b %Y} (day first)"
                              if mapping.day_first else f"{label} {text} read month first")
        return reading.value

    def _enum(self, r: PlanRow, texts, raw, cols, key, mapping: Mapping, default=None):
        text, _ = self._cell(texts, raw, cols, key)
        if not text:
            return default
        f = field_by_key(mapping.kind, key)
        value = enum_value(f.enum, text, _folded(mapping.values.get(key, {})))
        if value is None:
            r.errors.append(f"{f.label.lower()}: '{text[:40]}' is not one this import knows; "
                            "choose what it means on the Values page")
            return default
        return f.enum(value)

    # people --------------------------------------------------------------------------------
    def _existing_people(self, s):
        rows = s.execute(select(PersonRow.id, PersonRow.reference, PersonRow.given_name,
                                PersonRow.family_name, PersonRow.preferred_name, PersonRow.aliases,
                                PersonRow.date_of_birth)).all()
        cands = [matching.candidate(r.id, r.reference, r.given_name, r.family_name, r.date_of_birth,
                                    r.aliases or (), r.preferred_name) for r in rows]
        labels = {r.id: f"{r.reference} {r.given_name} {r.family_name}" for r in rows}
        return matching.Index(cands), labels, {r.reference.upper(): r.id for r in rows}

    def _preview_people(self, s, table: SourceTable, mapping: Mapping, cols, report) -> list[PlanRow]:
        index, labels, by_ref = self._existing_people(s)
        groups = {fold(name): gid for gid, name in s.execute(select(GroupRow.id, GroupRow.name))}
        memberships = set(s.execute(select(MembershipRow.person_id, MembershipRow.group_id)
                                    .where(MembershipRow.end.is_(None))).all())
        out: list[PlanRow] = []
        file_index = matching.Index([])
        n = len(table.rows)
        for k, src in enumerate(table.rows):
            if k % 2000 == 0:
                report("matching", int(80 * k / max(n, 1)))
            t, raw = src.texts, src.raw
            r = PlanRow(src.line, "")
            given, family = self._cell(t, raw, cols, "given_name")[0], self._cell(t, raw, cols, "family_name")[0]
            full = self._cell(t, raw, cols, "full_name")[0]
            if full and not (given and family):
                g2, f2 = split_full_name(full)
                given, family = given or g2, family or f2
            reference = self._cell(t, raw, cols, "reference")[0].upper()
            v: dict[str, Any] = {
                "given_name": given, "family_name": family,
                "preferred_name": self._cell(t, raw, cols, "preferred_name")[0],
                "aliases": split_list(self._cell(t, raw, cols, "aliases")[0]),
                "date_of_birth": self._date(r, t, raw, cols, "date_of_birth", mapping),
                "address": self._cell(t, raw, cols, "address")[0],
                "postcode": self._cell(t, raw, cols, "postcode")[0].upper(),
                "legal_status": self._enum(r, t, raw, cols, "legal_status", mapping),
                "custody_release": self._date(r, t, raw, cols, "custody_release", mapping),
                "risk_level": self._enum(r, t, raw, cols, "risk_level", mapping),
                "review_date": self._date(r, t, raw, cols, "review_date", mapping),
                "notes": self._cell(t, raw, cols, "notes")[0],
            }
            r.values = v
            r.label = f"{given} {family}".strip() + (f" ({v['date_of_birth']:%d %b %Y})" if v["date_of_birth"] else "")
            self._validate_person(r, reference)
            group_name = self._cell(t, raw, cols, "group")[0]
            if group_name:
                r.extra["group"] = group_name
                r.extra["group_role"] = self._cell(t, raw, cols, "group_role")[0] or "member"
            if r.errors:
                out.append(r)
                continue
            cand = matching.candidate(-src.line, reference, given, family, v["date_of_birth"],
                                      v["aliases"], v["preferred_name"])
            dup = file_index.best(cand, matching.LIKELY)
            file_index.add(cand)
            if dup:
                r.duplicate_of = -dup[0].key
            if reference and reference in by_ref:
                hits = [matching.Match(by_ref[reference], 100, ("same reference",))]
            else:
                hits = index.best(cand)
            if reference and reference not in by_ref:
                r.values["reference"] = reference
            if hits:
                best = hits[0]
                r.match_id, r.match_score, r.match_reasons = best.key, best.score, best.reasons
                r.match_label = labels[best.key]
                r.possible = best.score < matching.LIKELY
            if r.duplicate_of is not None:
                r.choice = Choice.LEAVE_OUT
            elif r.match_id is not None and not r.possible:
                r.choice = Choice.SAME
            else:
                r.choice = Choice.NEW
            if r.match_id is not None:
                self._diff_person(s, r)
            if group_name:
                gid = groups.get(fold(group_name))
                target = r.match_id if r.choice == Choice.SAME else None
                r.extra["membership_new"] = gid is None or target is None or (target, gid) not in memberships
            out.append(r)
        return out

    @staticmethod
    def _validate_person(r: PlanRow, reference: str) -> None:
        v = r.values
        probe = Person(reference=reference or "FD-0000", given_name=v["given_name"] or "?",
                       family_name=v["family_name"] or "?", preferred_name=v["preferred_name"],
                       aliases=v["aliases"], date_of_birth=v["date_of_birth"], address=v["address"],
                       postcode=v["postcode"], legal_status=v["legal_status"] or LegalStatus.NONE,
                       custody_release=v["custody_release"],
                       risk_level=v["risk_level"] or RiskLevel.MEDIUM, review_date=v["review_date"],
                       notes=v["notes"])
        if not v["family_name"]:
            r.errors.append("no family name")
        if not v["given_name"]:
            r.errors.append("no given name")
        try:
            probe.validate()
        except ValidationError as exc:
            for key, message in exc.errors.items():
                name = key.replace("_", " ")
                if key in ("legal_status_end", "custody_release", "supervising_partner_id"):
                    # a status's dates are often not in a partner's list: imported, and asked
                    # for on the person's page
                    r.warnings.append(f"{message} (on the person's page)")
                elif key not in ("given_name", "family_name") or v[key]:
                    r.errors.append(f"{name}: {message}")

    def _diff_person(self, s, r: PlanRow) -> None:
        row = s.get(PersonRow, r.match_id)
        r.diffs, r.take = [], set()
        for key in PERSON_COMPARED:
            new = r.values.get(key)
            if new in (None, "", []):
                continue
            old = getattr(row, key)
            if key == "aliases":
                merged = list(dict.fromkeys([*(old or []), *new]))
                if merged != list(old or []):
                    r.diffs.append(FieldDiff(key, "Aliases", ", ".join(old or []), ", ".join(merged)))
                    r.take.add(key)
                continue
            if isinstance(new, str) and isinstance(old, str) and fold(new) == fold(old):
                continue
            if str(old if old is not None else "") == str(new.value if hasattr(new, "value") else new):
                continue
            f = field_by_key(ImportKind.PEOPLE, key)
            r.diffs.append(FieldDiff(key, f.label, _show(old), _show(new)))
            if old in (None, "", "none") or (key == "legal_status" and old == "none"):
                r.take.add(key)          # fill what the workspace does not have

    # groups --------------------------------------------------------------------------------
    def _preview_groups(self, s, table: SourceTable, mapping: Mapping, cols, report) -> list[PlanRow]:
        index, labels, by_ref = self._existing_people(s)
        groups = {fold(n): (gid, n) for gid, n in s.execute(select(GroupRow.id, GroupRow.name))}
        memberships = set(s.execute(select(MembershipRow.person_id, MembershipRow.group_id)
                                    .where(MembershipRow.end.is_(None))).all())
        out = []
        seen_members: set[tuple[str, int]] = set()
        for src in table.rows:
            t, raw = src.texts, src.raw
            r = PlanRow(src.line, "")
            name = self._cell(t, raw, cols, "name")[0]
            r.values = {"name": name, "type": self._enum(r, t, raw, cols, "type", mapping, GroupType.STREET_GROUP),
                        "area": self._cell(t, raw, cols, "area")[0],
                        "description": self._cell(t, raw, cols, "description")[0]}
            r.label = name
            if not name:
                r.errors.append("no group name")
            existing = groups.get(fold(name))
            if existing:
                r.match_id, r.match_label, r.match_reasons = existing[0], existing[1], ("same name",)
                r.choice = Choice.SAME
            member_ref = self._cell(t, raw, cols, "member_reference")[0].upper()
            member_name = self._cell(t, raw, cols, "member_name")[0]
            if member_ref or member_name:
                pid = by_ref.get(member_ref) if member_ref else None
                if pid is None and member_name:
                    g, f = split_full_name(member_name)
                    hits = index.best(matching.candidate(0, "", g, f, None), matching.LIKELY)
                    pid = hits[0].key if hits else None
                if pid is None:
                    r.errors.append("the member is not in the workspace: import them as people first")
                else:
                    r.extra["person_id"] = pid
                    r.extra["role"] = self._cell(t, raw, cols, "member_role")[0] or "member"
                    r.extra["start"] = self._date(r, t, raw, cols, "member_since", mapping)
                    r.extra["end"] = self._date(r, t, raw, cols, "member_until", mapping)
                    key = (fold(name), pid)
                    r.extra["membership_new"] = key not in seen_members and (
                        existing is None or (pid, existing[0]) not in memberships)
                    seen_members.add(key)
                    r.label = f"{name}: {labels[pid]}"
            elif existing and not any(r.values[k] and r.values[k] != "" for k in ("area", "description")):
                pass
            if existing is None and any(fold(name) == fold(o.values.get("name", "")) and o.choice == Choice.NEW
                                        for o in out if not o.errors):
                r.choice = Choice.SAME          # the group is created by an earlier row of the file
                r.extra["same_file_group"] = True
            out.append(r)
        return out

    # actions -------------------------------------------------------------------------------
    def _person_lookup(self, s):
        index, labels, by_ref = self._existing_people(s)

        def find(r: PlanRow, ref: str, name: str) -> int | None:
            if ref:
                pid = by_ref.get(ref.upper())
                if pid is None:
                    r.errors.append(f"no person with reference {ref[:20]} in the workspace")
                return pid
            if name:
                g, f = split_full_name(name)
                hits = index.best(matching.candidate(0, "", g, f, None), matching.LIKELY)
                if not hits:
                    r.errors.append("the person is not in the workspace: import them as people first")
                    return None
                if len(hits) > 1 and hits[1].score >= hits[0].score:
                    r.errors.append("the name matches more than one person: give the reference")
                    return None
                return hits[0].key
            return None
        return find, labels

    def _partners(self, s) -> dict[str, int]:
        return {fold(n): pid for pid, n in s.execute(select(PartnerRow.id, PartnerRow.name))}

    def _preview_actions(self, s, table: SourceTable, mapping: Mapping, cols, report) -> list[PlanRow]:
        find, labels = self._person_lookup(s)
        partners = self._partners(s)
        groups = {fold(n): gid for gid, n in s.execute(select(GroupRow.id, GroupRow.name))}
        existing = set(s.execute(select(ActionRow.person_id, ActionRow.group_id, ActionRow.partner_id,
                                        ActionRow.description, ActionRow.due_date)).all())
        existing = {(p, g, pa, fold(d), due) for p, g, pa, d, due in existing}
        out, seen = [], set()
        n = len(table.rows)
        for k, src in enumerate(table.rows):
            if k % 10000 == 0:
                report("reading actions", int(90 * k / max(n, 1)))
            t, raw = src.texts, src.raw
            r = PlanRow(src.line, "")
            pid = find(r, self._cell(t, raw, cols, "person_reference")[0],
                       self._cell(t, raw, cols, "person_name")[0])
            gname = self._cell(t, raw, cols, "group")[0]
            gid = groups.get(fold(gname)) if gname else None
            if gname and gid is None:
                r.errors.append("no group of that name in the workspace")
            pname = self._cell(t, raw, cols, "partner")[0]
            partner = partners.get(fold(pname)) if pname else None
            if partner is None:
                r.errors.append(f"no partner called '{pname[:40]}': add it on the Partners page first"
                                if pname else "no partner")
            v = {"person_id": pid, "group_id": gid if pid is None else None, "partner_id": partner,
                 "kind": self._enum(r, t, raw, cols, "kind", mapping, ActionKind.SUPPORT),
                 "description": self._cell(t, raw, cols, "description")[0],
                 "assignee": self._cell(t, raw, cols, "assignee")[0],
                 "due_date": self._date(r, t, raw, cols, "due_date", mapping),
                 "status": self._enum(r, t, raw, cols, "status", mapping, ActionStatus.PLANNED),
                 "outcome": self._cell(t, raw, cols, "outcome")[0],
                 "notes": self._cell(t, raw, cols, "notes")[0]}
            r.values = v
            who = labels.get(pid, gname) if (pid or gname) else ""
            r.label = f"{who}: {v['description'][:60]}"
            if pid is None and gid is None and not r.errors:
                r.errors.append("no person or group")
            if not r.errors:
                try:
                    Action(partner_id=partner, kind=v["kind"], description=v["description"],
                           person_id=pid, group_id=v["group_id"], assignee=v["assignee"],
                           due_date=v["due_date"], status=v["status"], outcome=v["outcome"],
                           notes=v["notes"]).validate()
                except ValidationError as exc:
                    r.errors.extend(f"{k.replace('_', ' ')}: {m}" for k, m in exc.errors.items())
            key = (pid, v["group_id"], partner, fold(v["description"]), v["due_date"])
            if not r.errors and (key in existing or key in seen):
                r.choice = Choice.SAME           # already there: importing again changes nothing
                r.match_reasons = ("already in the workspace",) if key in existing else ("repeats a row",)
            seen.add(key)
            out.append(r)
        return out

    # communications ------------------------------------------------------------------------
    def _preview_communications(self, s, table: SourceTable, mapping: Mapping, cols, report) -> list[PlanRow]:
        find, labels = self._person_lookup(s)
        partners = self._partners(s)
        existing = {(p, at, ch, fold(m)) for p, at, ch, m in s.execute(select(
            CommunicationRow.person_id, CommunicationRow.occurred_at, CommunicationRow.channel,
            CommunicationRow.message))}
        out, seen = [], set()
        for src in table.rows:
            t, raw = src.texts, src.raw
            r = PlanRow(src.line, "")
            pid = find(r, self._cell(t, raw, cols, "person_reference")[0],
                       self._cell(t, raw, cols, "person_name")[0])
            day = self._date(r, t, raw, cols, "occurred_at", mapping)
            when = datetime.combine(day, time(12, 0)) if day else None
            pname = self._cell(t, raw, cols, "partner")[0]
            partner = partners.get(fold(pname)) if pname else None
            if pname and partner is None:
                r.errors.append(f"no partner called '{pname[:40]}': add it on the Partners page first")
            v = {"person_id": pid, "occurred_at": when,
                 "channel": self._enum(r, t, raw, cols, "channel", mapping, CommunicationChannel.HOME_VISIT),
                 "outcome": self._enum(r, t, raw, cols, "outcome", mapping, CommunicationOutcome.DELIVERED),
                 "partner_id": partner, "delivered_by": self._cell(t, raw, cols, "delivered_by")[0],
                 "message": self._cell(t, raw, cols, "message")[0]}
            r.values = v
            r.label = f"{labels.get(pid, '')}: {day:%d %b %Y}" if day else labels.get(pid, "")
            if pid is None and not r.errors:
                r.errors.append("no person")
            if when is None and not any("date" in e for e in r.errors):
                r.errors.append("no date")
            if not r.errors:
                comm = Communication(person_id=pid, occurred_at=when, channel=v["channel"],
                                     outcome=v["outcome"], partner_id=partner,
                                     delivered_by=v["delivered_by"], message=v["message"])
                comm.deterrence_message = v["outcome"] in (CommunicationOutcome.DELIVERED,
                                                           CommunicationOutcome.ATTENDED)
                try:
                    comm.validate()
                except ValidationError as exc:
                    r.errors.extend(f"{k.replace('_', ' ')}: {m}" for k, m in exc.errors.items())
            key = (pid, when, v["channel"].value if v["channel"] else None, fold(v["message"]))
            if not r.errors and (key in existing or key in seen):
                r.choice = Choice.SAME
                r.match_reasons = ("already in the workspace",)
            seen.add(key)
            out.append(r)
        return out

    # -- apply and undo --------------------------------------------------------------------
    def apply(self, plan: ImportPlan, progress: Progress | None = None) -> ImportReceipt:
        """Write the plan's rows as the user decided them, in one transaction, audited as
        one collection naming the file, its SHA-256 and the mapping."""
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="import")
        report = progress or (lambda stage, pct: None)
        receipt = ImportReceipt(plan.kind, plan.file_name, plan.sha256)
        entries: list[tuple[AuditOperation, str, str, str]] = []     # no recipient: a collection
        with self.tx() as uow:
            s = uow.session
            apply_kind = {ImportKind.PEOPLE: self._apply_people, ImportKind.GROUPS: self._apply_groups,
                          ImportKind.ACTIONS: self._apply_actions,
                          ImportKind.COMMUNICATIONS: self._apply_communications}[plan.kind]
            apply_kind(s, plan, receipt, entries, report)
            counts = ", ".join(f"{n} {k}" for k, n in receipt.counts.items() if n) or "nothing changed"
            mapping = plan.mapping.name or "not saved"
            uow.audit(AuditOperation.COLLECTION, "import", plan.kind.value,
                      f"file={plan.file_name} sha256={plan.sha256} mapping={mapping}: {counts}")
            audit.append_many(s, self.actor.username, [(*e, "") for e in entries])
        report("done", 100)
        return receipt

    def _live(self, plan: ImportPlan, *choices: Choice) -> list[PlanRow]:
        return [r for r in plan.rows if not r.errors and r.choice in choices]

    def _apply_people(self, s, plan, receipt, entries, report) -> None:
        partnership_months = s.scalar(select(PartnershipRow.retention_months)) or 12
        from ...domain.dates import add_months
        review = add_months(self.today(), partnership_months)
        next_no = int(_next_reference(s)[3:])
        used = set(s.execute(select(PersonRow.reference)).scalars())
        new_rows, new_lines = [], []
        stamp = self.utcnow()
        for r in self._live(plan, Choice.NEW):
            v = r.values
            ref = v.get("reference") or ""
            if not ref or ref in used:
                ref = f"FD-{next_no:04d}"
                next_no += 1
            used.add(ref)
            new_rows.append(dict(reference=ref, given_name=v["given_name"], family_name=v["family_name"],
                                 preferred_name=v["preferred_name"], aliases=v["aliases"],
                                 date_of_birth=v["date_of_birth"], address=v["address"],
                                 postcode=v["postcode"],
                                 legal_status=(v["legal_status"] or LegalStatus.NONE).value,
                                 custody_release=v["custody_release"],
                                 risk_level=(v["risk_level"] or RiskLevel.MEDIUM).value,
                                 needs=[], notes=v["notes"], review_date=v["review_date"] or review,
                                 created_at=stamp, updated_at=stamp))
            new_lines.append(r)
        report("writing people", 30)
        ids: list[int] = []
        if new_rows:
            table = PersonRow.__table__          # Core: no ORM bookkeeping for thousands of rows
            ids = list(s.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                 new_rows))
        receipt.created["person"] = ids
        for r, pid, data in zip(new_lines, ids, new_rows):
            r.extra["person_id"] = pid
            entries.append((AuditOperation.COLLECTION, "person", data["reference"], "imported"))
        updated = 0
        for r in self._live(plan, Choice.SAME):
            r.extra["person_id"] = r.match_id
            if not r.take:
                continue
            row = s.get(PersonRow, r.match_id)
            old = {}
            for key in r.take:
                new = r.values.get(key)
                if key == "aliases":
                    new = list(dict.fromkeys([*(row.aliases or []), *new]))
                elif hasattr(new, "value"):
                    new = new.value
                old[key] = getattr(row, key)
                setattr(row, key, new)
            receipt.before.append(("person", row.id, old))
            entries.append((AuditOperation.ALTERATION, "person", row.reference,
                            "imported fields=" + ",".join(sorted(r.take))))
            updated += 1
        s.flush()
        report("writing memberships", 70)
        groups = {fold(n): gid for gid, n in s.execute(select(GroupRow.id, GroupRow.name))}
        current = set(s.execute(select(MembershipRow.person_id, MembershipRow.group_id)
                                .where(MembershipRow.end.is_(None))).all())
        new_groups, members = [], []
        for r in self._live(plan, Choice.NEW, Choice.SAME):
            name = r.extra.get("group")
            if not name:
                continue
            gid = groups.get(fold(name))
            if gid is None:
                gid = s.scalar(insert(GroupRow).returning(GroupRow.id),
                               [dict(name=name[:200], type=GroupType.STREET_GROUP.value, area="",
                                     description="")])
                groups[fold(name)] = gid
                new_groups.append(gid)
                entries.append((AuditOperation.COLLECTION, "group", str(gid), "imported"))
            pid = r.extra["person_id"]
            if (pid, gid) in current:
                continue
            current.add((pid, gid))
            members.append(dict(person_id=pid, group_id=gid, role=r.extra.get("group_role", "member")[:200],
                                start=self.today(), end=None))
        mt = MembershipRow.__table__
        mids = list(s.scalars(insert(mt).returning(mt.c.id, sort_by_parameter_order=True),
                              members)) if members else []
        receipt.created["group_record"] = new_groups
        receipt.created["membership"] = mids
        receipt.counts = {"new people": len(ids), "people updated": updated, "new groups": len(new_groups),
                          "memberships": len(mids)}

    def _apply_groups(self, s, plan, receipt, entries, report) -> None:
        groups = {fold(n): gid for gid, n in s.execute(select(GroupRow.id, GroupRow.name))}
        current = set(s.execute(select(MembershipRow.person_id, MembershipRow.group_id)
                                .where(MembershipRow.end.is_(None))).all())
        new_groups, mids = [], []
        for r in self._live(plan, Choice.NEW, Choice.SAME):
            v = r.values
            gid = groups.get(fold(v["name"]))
            if gid is None:
                Group(name=v["name"], type=v["type"], area=v["area"], description=v["description"]).validate()
                gid = s.scalar(insert(GroupRow).returning(GroupRow.id),
                               [dict(name=v["name"], type=v["type"].value, area=v["area"],
                                     description=v["description"])])
                groups[fold(v["name"])] = gid
                new_groups.append(gid)
                entries.append((AuditOperation.COLLECTION, "group", str(gid), "imported"))
            pid = r.extra.get("person_id")
            if pid and (pid, gid) not in current:
                current.add((pid, gid))
                mid = s.scalar(insert(MembershipRow).returning(MembershipRow.id),
                               [dict(person_id=pid, group_id=gid, role=r.extra["role"][:200],
                                     start=r.extra.get("start"), end=r.extra.get("end"))])
                mids.append(mid)
                entries.append((AuditOperation.COLLECTION, "membership", str(mid), "imported"))
        receipt.created = {"group_record": new_groups, "membership": mids}
        receipt.counts = {"new groups": len(new_groups), "memberships": len(mids)}

    def _apply_actions(self, s, plan, receipt, entries, report) -> None:
        rows = []
        now = self.utcnow()
        for r in self._live(plan, Choice.NEW):
            v = r.values
            rows.append(dict(partner_id=v["partner_id"], kind=v["kind"].value, description=v["description"],
                             person_id=v["person_id"], group_id=v["group_id"], assignee=v["assignee"],
                             due_date=v["due_date"], status=v["status"].value, outcome=v["outcome"],
                             notes=v["notes"], version=1, updated_at=now, created_at=now))
        rows = [{k: val for k, val in row.items() if hasattr(ActionRow, k)} for row in rows]
        report("writing actions", 40)
        table = ActionRow.__table__
        ids = list(s.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                             rows)) if rows else []
        receipt.created = {"action": ids}
        receipt.counts = {"new actions": len(ids)}
        # No entry per action: an action names no one by itself, and the import's own
        # collection entry (file, SHA-256, mapping, count) records them as one collection.

    def _apply_communications(self, s, plan, receipt, entries, report) -> None:
        rows = []
        for r in self._live(plan, Choice.NEW):
            v = r.values
            delivered = v["outcome"] in (CommunicationOutcome.DELIVERED, CommunicationOutcome.ATTENDED)
            rows.append(dict(person_id=v["person_id"], occurred_at=v["occurred_at"], channel=v["channel"].value,
                             outcome=v["outcome"].value, partner_id=v["partner_id"],
                             delivered_by=v["delivered_by"], message=v["message"],
                             deterrence_message=delivered, support_offer=False))
        table = CommunicationRow.__table__
        ids = list(s.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                             rows)) if rows else []
        receipt.created = {"communication": ids}
        receipt.counts = {"communications": len(ids)}
        entries.extend((AuditOperation.COLLECTION, "communication", str(i), "imported") for i in ids)

    def summary_pdf(self, plan: ImportPlan, receipt: ImportReceipt, path: Path) -> Path:
        """The import's summary as a PDF marked OFFICIAL-SENSITIVE (rows by line, no names)."""
        from ...exports.import_summary import write_import_summary
        from .summary import summary_of
        with self.tx() as uow:
            partnership = uow.session.scalar(select(PartnershipRow.name)) or ""
        data = summary_of(plan, receipt, partnership, f"{self.now():%d %b %Y %H:%M}",
                          getattr(self.actor, "display_name", "") or self.actor.username)
        return write_import_summary(path, data)

    def undo(self, receipt: ImportReceipt) -> None:
        """Take an applied import back as one step: what it created is removed and what it
        changed gets its old values, in one transaction, audited."""
        self.require(Role.COORDINATOR, operation=AuditOperation.ERASURE, entity="import")
        if receipt.undone:
            raise DeterrenceError("this import was undone already")
        tables = {"membership": MembershipRow, "action": ActionRow, "communication": CommunicationRow,
                  "person": PersonRow, "group_record": GroupRow}
        entries = []
        with self.tx() as uow:
            s = uow.session
            for name in ("membership", "action", "communication", "person", "group_record"):
                ids = receipt.created.get(name) or []
                table = tables[name]
                for start in range(0, len(ids), 500):
                    chunk = ids[start:start + 500]
                    if name == "person":
                        refs = s.execute(select(PersonRow.reference).where(PersonRow.id.in_(chunk))).scalars()
                        entries.extend((AuditOperation.ERASURE, "person", ref, "import undone") for ref in refs)
                    s.execute(delete(table).where(table.id.in_(chunk)))
            for name, rid, old in receipt.before:
                row = s.get(tables[name], rid)
                if row is None:
                    continue
                for key, value in old.items():
                    setattr(row, key, value)
                entries.append((AuditOperation.ALTERATION, name, getattr(row, "reference", rid),
                                "import undone fields=" + ",".join(sorted(old))))
            uow.audit(AuditOperation.ERASURE, "import", receipt.kind.value,
                      f"undone: file={receipt.file_name} sha256={receipt.sha256}")
            audit.append_many(s, self.actor.username, [(*e, "") for e in entries])
        receipt.undone = True


def enum_choices(table: SourceTable, mapping: Mapping) -> dict[str, list[tuple[str, int, str | None]]]:
    """For each enumeration field mapped: (text in the file, how many rows, the value it
    will become, None if unknown): the table the user edits on the Values page. No
    workspace access."""
    out: dict[str, list[tuple[str, int, str | None]]] = {}
    for i, header in enumerate(table.headers):
        key = mapping.columns.get(header, "")
        if not key:
            continue
        f = field_by_key(mapping.kind, key)
        if f.kind != "enum":
            continue
        counts: dict[str, int] = {}
        for text in table.column(i):
            if text:
                counts[text] = counts.get(text, 0) + 1
        overrides = _folded(mapping.values.get(key, {}))
        out[key] = [(t, n, enum_value(f.enum, t, overrides))
                    for t, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    return out


def _folded(overrides: dict[str, str]) -> dict[str, str]:
    from .values import enum_key
    return {enum_key(k): v for k, v in overrides.items()}


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    if hasattr(value, "value"):
        from ...domain.enums import label
        return label(value)
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)
