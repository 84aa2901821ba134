"""The release planner: who leaves custody in the next weeks, who is on remand, and the
calendar of closed days (UK bank holidays of the partnership's nation, local closures).

The date rules themselves are pure (``domain.custody``); this module gives them the
closed days: :func:`bank_holidays` reads the ``holidays`` package's UK calendar for a
nation, :func:`closed_days` adds the workspace's local closures.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..domain.custody import (
    CustodyKind, LocalClosure, ReleaseFlags, Shift, due_date_for, flags_for, is_working_day,
    shift_off_closed,
)
from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.model import display_name
from ..store.mapping import to_record
from ..store.tables import PartnerRow, PersonRow
from ..store.tables_custody import CustodyEpisodeRow, LocalClosureRow
from .base import Service
from .settings import SettingsService

__all__ = [
    "NATIONS", "PlannerRow", "ReleasePlannerService", "bank_holidays", "closed_days",
    "is_working_day", "shift_off_closed", "due_date_for", "flags_for", "ReleaseFlags", "Shift",
]

# The partnership's nation: the UK bank holidays differ between them.
NATIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}
NATION_LABELS = {"england": "England", "wales": "Wales", "scotland": "Scotland",
                 "northern_ireland": "Northern Ireland"}
NATION_SETTING = "partnership_nation"


@functools.lru_cache(maxsize=64)
def _bank_holidays_of_year(nation: str, year: int) -> frozenset[date]:
    import holidays     # loads its country modules on first use
    return frozenset(holidays.country_holidays("GB", subdiv=NATIONS[nation], years=year).keys())


def bank_holidays(nation: str, years: Iterable[int]) -> frozenset[date]:
    """The UK bank holidays of ``nation`` (england, wales, scotland, northern_ireland)."""
    if nation not in NATIONS:
        raise ValidationError("nation", "must be one of: " + ", ".join(NATIONS))
    out: set[date] = set()
    for year in years:
        out |= _bank_holidays_of_year(nation, year)
    return frozenset(out)


def nation_of(session: Session) -> str:
    nation = SettingsService.read(session, NATION_SETTING)
    return nation if nation in NATIONS else "england"


def closed_days(session: Session, first: date, last: date) -> frozenset[date]:
    """Bank holidays of the partnership's nation and local closures from ``first`` to
    ``last`` (widened by a fortnight each side, so a shift across the edge still sees them)."""
    first, last = first - timedelta(days=14), last + timedelta(days=14)
    holidays = bank_holidays(nation_of(session), range(first.year, last.year + 1))
    local = session.scalars(select(LocalClosureRow.on).where(
        LocalClosureRow.on >= first, LocalClosureRow.on <= last))
    return holidays | frozenset(local)


@dataclass(frozen=True)
class PlannerRow:
    person_id: int
    reference: str
    person_name: str
    episode_id: int
    kind: str                      # remand, sentenced
    establishment: str
    prison_number: str
    release: date | None
    days_to_go: int | None
    flags: ReleaseFlags
    sentence_band: str
    plan_status: str               # none, incomplete, complete

    @property
    def flag_text(self) -> str:
        return str(self.flags)


class ReleasePlannerService(Service):
    # -- the planner ---------------------------------------------------------------
    def rows(self, weeks: int = 6) -> list[PlannerRow]:
        """Everyone with a release in the next ``weeks`` weeks (and any expected release
        already past but not recorded), and everyone on remand, sorted by date (no date last)."""
        from .continuity import plan_statuses
        if not 1 <= int(weeks) <= 104:
            raise ValidationError("weeks", "must be between 1 and 104")
        today = self.today()
        horizon = today + timedelta(weeks=int(weeks))
        with self.tx() as uow:
            s = uow.session
            q = (select(CustodyEpisodeRow.id, CustodyEpisodeRow.person_id, CustodyEpisodeRow.kind,
                        CustodyEpisodeRow.prison_number, CustodyEpisodeRow.expected_release,
                        CustodyEpisodeRow.sentence_band, PartnerRow.name, PersonRow.reference,
                        PersonRow.given_name, PersonRow.preferred_name, PersonRow.family_name)
                 .join(PersonRow, PersonRow.id == CustodyEpisodeRow.person_id)
                 .outerjoin(PartnerRow, PartnerRow.id == CustodyEpisodeRow.establishment_id)
                 .where(CustodyEpisodeRow.actual_release.is_(None),
                        or_(CustodyEpisodeRow.kind == CustodyKind.REMAND.value,
                            CustodyEpisodeRow.expected_release <= horizon)))
            visible = self.officer_people()
            if visible is not None:
                q = q.where(CustodyEpisodeRow.person_id.in_(visible))
            found = s.execute(q).all()
            dates = [r.expected_release for r in found if r.expected_release is not None]
            closed = closed_days(s, min(dates, default=today), max(dates, default=today))
            statuses = plan_statuses(s, [r.id for r in found])
            out = [PlannerRow(
                person_id=r.person_id, reference=r.reference,
                person_name=display_name(r.given_name, r.preferred_name, r.family_name),
                episode_id=r.id, kind=r.kind, establishment=r.name or "",
                prison_number=r.prison_number, release=r.expected_release,
                days_to_go=None if r.expected_release is None else (r.expected_release - today).days,
                flags=flags_for(r.expected_release, r.kind, r.sentence_band, closed),
                sentence_band=r.sentence_band, plan_status=statuses.get(r.id, "none"))
                for r in found]
            uow.audit(AuditOperation.CONSULTATION, "release_planner", "",
                      f"rows={len(out)}; weeks={int(weeks)}")
        out.sort(key=lambda r: (r.release is None, r.release or today, r.reference))
        return out

    # -- the calendar --------------------------------------------------------------
    def nation(self) -> str:
        with self.tx() as uow:
            return nation_of(uow.session)

    def set_nation(self, nation: str) -> str:
        """The partnership's nation, whose bank holidays the planner and plans keep."""
        if nation not in NATIONS:
            raise ValidationError("nation", "choose England, Wales, Scotland or Northern Ireland")
        return self.app.settings.set(NATION_SETTING, nation)

    def closed_days(self, first: date, last: date) -> frozenset[date]:
        with self.tx() as uow:
            return frozenset(d for d in closed_days(uow.session, first, last) if first <= d <= last)

    def bank_holidays(self, first: date, last: date) -> list[tuple[date, str]]:
        """The bank holidays between two dates, with their names (for a calendar list)."""
        import holidays
        with self.tx() as uow:
            nation = nation_of(uow.session)
        cal = holidays.country_holidays("GB", subdiv=NATIONS[nation],
                                        years=range(first.year, last.year + 1))
        return sorted((d, name) for d, name in cal.items() if first <= d <= last)

    def closures(self) -> list[LocalClosure]:
        with self.tx() as uow:
            return [to_record(r, LocalClosure) for r in uow.session.scalars(
                select(LocalClosureRow).order_by(LocalClosureRow.on))]

    def add_closure(self, closure: LocalClosure) -> LocalClosure:
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="local_closure")
        closure.validate()
        with self.tx() as uow:
            if uow.session.scalar(select(LocalClosureRow.id).where(
                    LocalClosureRow.on == closure.on)) is not None:
                raise ValidationError("on", f"{closure.on:%d %b %Y} is already a local closure")
            row = uow.add(LocalClosureRow, closure)
            uow.audit(AuditOperation.COLLECTION, "local_closure", row.id, f"on={row.on.isoformat()}")
            return to_record(row, LocalClosure)

    def remove_closure(self, closure_id: int) -> LocalClosure:
        self.require(Role.COORDINATOR, operation=AuditOperation.ERASURE, entity="local_closure",
                     ref=closure_id)
        with self.tx() as uow:
            row = uow.get(LocalClosureRow, closure_id, "local closure")
            removed = uow.remove(row, LocalClosure)
            uow.audit(AuditOperation.ERASURE, "local_closure", closure_id,
                      f"on={removed.on.isoformat()}")
            return removed
