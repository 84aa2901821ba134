"""Fictional outcome events for the demo (and the benchmark's bulk).

For each person in a cohort: outcomes in the year before their inclusion at one set of
rates, and after it at another (less violence and fewer arrests, more treatment and
housing), so that the demo's evaluation page shows a change. One person dies after
inclusion (drug-related) and one leaves their cohort, so the windows' stopping rules
show too. Deterministic (its own random generator) and on the services' clock.
"""
from __future__ import annotations

import math
import random
from datetime import date, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..domain.enums import PartnerType
from ..domain.outcomes import CpsDecision, DeathCause, OutcomeKind
from ..store.tables import CohortMemberRow, PartnerRow, PersonRow
from ..store.tables_outcomes import OutcomeEventRow

K = OutcomeKind
# Events per person-year: (before inclusion, after inclusion), and the reporting partner.
RATES: dict[OutcomeKind, tuple[float, float, PartnerType]] = {
    K.ARREST: (1.6, 0.8, PartnerType.POLICE),
    K.VIOLENCE_SUSPECT: (0.9, 0.35, PartnerType.POLICE),
    K.VIOLENCE_VICTIM: (0.5, 0.25, PartnerType.POLICE),
    K.BREACH_RECALL: (0.3, 0.2, PartnerType.PROBATION),
    K.CONVICTION: (0.4, 0.3, PartnerType.CPS),
    K.OUT_OF_COURT_DISPOSAL: (0.1, 0.25, PartnerType.POLICE),
    K.NONFATAL_OVERDOSE: (0.3, 0.15, PartnerType.DRUG_TREATMENT),
    K.TREATMENT_ENTRY: (0.15, 0.9, PartnerType.DRUG_TREATMENT),
    K.OST_STARTED: (0.05, 0.3, PartnerType.DRUG_TREATMENT),
    K.HOUSING_SECURED: (0.05, 0.5, PartnerType.HOUSING),
    K.ETE_STARTED: (0.1, 0.6, PartnerType.COUNCIL),
    K.NALOXONE_SUPPLIED: (0.05, 0.3, PartnerType.DRUG_TREATMENT),
}
DISPOSALS = ("Community order (fictional)", "Suspended sentence (fictional)",
             "Custodial sentence (fictional)")


def _poisson(rnd: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means here."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rnd.random()
        if p <= limit:
            return k
        k += 1


def add_demo_outcomes(s: Session, today: date, seed: int = 15) -> int:
    """Add fictional outcomes for the people in cohorts; returns how many were added."""
    rnd = random.Random(seed)
    partners = {t: i for t, i in s.execute(select(PartnerRow.type, PartnerRow.id))}
    fallback = next(iter(partners.values()), None)
    yesterday = today - timedelta(days=1)
    members = s.execute(select(CohortMemberRow.id, CohortMemberRow.person_id,
                               CohortMemberRow.added_on)
                        .where(CohortMemberRow.added_on.is_not(None))
                        .order_by(CohortMemberRow.id)).all()
    seen: set[int] = set()
    rows: list[dict] = []
    serial = [0]

    def event(person_id: int, kind: OutcomeKind, day: date, **extra) -> dict:
        serial[0] += 1
        partner = partners.get(RATES[kind][2].value if kind in RATES else PartnerType.POLICE.value,
                               fallback)
        return dict(person_id=person_id, kind=kind.value, occurred_on=day, partner_id=partner,
                    source_reference=f"DEMO-{serial[0]:06d}", cps_decision=None, arrested_on=None,
                    disposal="", incident_id=None, death_cause=None,
                    notes="Fictional outcome for demonstration.") | extra

    died = left = None
    for member_id, person_id, added_on in members:
        if person_id in seen:
            continue
        seen.add(person_id)
        spans = ((added_on - timedelta(days=365), added_on - timedelta(days=1), 0),
                 (added_on, min(yesterday, added_on + timedelta(days=364)), 1))
        for first, last, which in spans:
            days = (last - first).days + 1
            if days <= 0:
                continue
            for kind, rates in RATES.items():
                for _ in range(_poisson(rnd, rates[which] * days / 365.25)):
                    day = first + timedelta(days=rnd.randrange(days))
                    extra = {}
                    if kind == K.CONVICTION:
                        extra = dict(disposal=rnd.choice(DISPOSALS))
                    rows.append(event(person_id, kind, day, **extra))
                    if kind == K.ARREST and rnd.random() < 0.55:
                        delay = rnd.choice((1, 2, 3, 7, 14, 21, 35, 56, 90))
                        charged = day + timedelta(days=delay)
                        if charged <= yesterday:
                            rows.append(event(person_id, K.CHARGE, charged, arrested_on=day,
                                              cps_decision=rnd.choice(
                                                  [CpsDecision.CHARGE.value] * 4
                                                  + [CpsDecision.NO_FURTHER_ACTION.value])))
        if died is None and (yesterday - added_on).days > 60:
            died = person_id
            rows.append(event(person_id, K.DEATH, added_on + timedelta(days=45),
                              death_cause=DeathCause.DRUG_RELATED.value))
        elif left is None and died is not None and (yesterday - added_on).days > 90:
            left = member_id
            s.execute(update(CohortMemberRow).where(CohortMemberRow.id == member_id)
                      .values(left_on=added_on + timedelta(days=75)))
    if died is not None:
        # Nothing happens to a person after their death.
        death_day = next(r["occurred_on"] for r in rows
                         if r["person_id"] == died and r["kind"] == K.DEATH.value)
        rows = [r for r in rows if r["person_id"] != died or r["occurred_on"] <= death_day]
    _insert(s, rows)
    return len(rows)


def add_bulk_outcomes(s: Session, today: date, count: int, seed: int = 16) -> int:
    """``count`` fictional outcomes spread evenly over everyone and the last three years
    (the benchmark's bulk)."""
    rnd = random.Random(seed)
    everyone = list(s.scalars(select(PersonRow.id)))
    partner = s.scalar(select(PartnerRow.id).limit(1))
    kinds = [k.value for k in RATES]
    rows = [dict(person_id=rnd.choice(everyone), kind=rnd.choice(kinds),
                 occurred_on=today - timedelta(days=rnd.randint(1, 3 * 365)), partner_id=partner,
                 source_reference=f"BULK-{i:07d}", cps_decision=None, arrested_on=None,
                 disposal="", incident_id=None, death_cause=None, notes="")
            for i in range(count)]
    _insert(s, rows)
    return len(rows)


def _insert(s: Session, rows: list[dict]) -> None:
    for start in range(0, len(rows), 20_000):
        s.execute(insert(OutcomeEventRow), rows[start:start + 20_000])
