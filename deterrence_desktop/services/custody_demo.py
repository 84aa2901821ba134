"""The demo's custody episodes, closures, continuity template and plan (plainly fictional).

Everyone the demo has in custody or on remand gets an episode at HMP Fictionbury. Then,
so the release planner shows what it is for: one person remanded three days ago with no
date, one on remand whose date moved twice, one sentenced person (12 months or more) leaving
on this week's Friday with the example continuity plan applied and still incomplete, one
leaving the day before the next bank holiday; a local closure; and the custody channel's
contacts are drug workers' custody suite referrals. The prison's contact details hold its
postal address, where letters to the people it holds go.
"""
from __future__ import annotations

import random
from collections import namedtuple
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..domain.custody import CustodyKind, SentenceBand, is_working_day
from ..domain.enums import (
    CommunicationChannel, CommunicationOutcome, LegalStatus, PartnerType,
)
from ..store.tables import CommunicationRow, PartnerRow, PersonRow
from ..store.tables_custody import (
    CustodyEpisodeRow, LocalClosureRow, ReleaseDateChangeRow,
)
from .base import Actor, UnitOfWork
from .continuity import apply_in, create_example_template
from .release_planner import bank_holidays

Held = namedtuple("Held", "id legal_status custody_release")
FIRST_FEATURED = 30       # people changed here come after the call-ins' invitees (the first 30)
PRISON_ADDRESS = "HMP Fictionbury (fictional)\n1 Example Gate Road\nFictionbury\nZZ99 9ZZ"


def band_for(started: date, release: date) -> SentenceBand:
    months = (release - started).days / 30.4
    if months < 12:
        return SentenceBand.UNDER_12_MONTHS
    return SentenceBand.MONTHS_12_TO_4_YEARS if months < 48 else SentenceBand.YEARS_4_OR_MORE


def next_friday(after: date) -> date:
    return after + timedelta(days=(4 - after.weekday()) % 7 or 7)


def add_custody_demo(s: Session, actor: Actor, today: date, now: datetime, seed: int = 42) -> int:
    """Fill the custody part of the demo in ``s``'s transaction; returns the episodes made."""
    rnd = random.Random(seed + 16)
    prison = s.scalar(select(PartnerRow.id).where(PartnerRow.type == PartnerType.PRISON.value)
                      .order_by(PartnerRow.id).limit(1))
    held = s.execute(select(PersonRow.id, PersonRow.legal_status, PersonRow.custody_release)
                     .where(PersonRow.legal_status.in_([LegalStatus.CUSTODY.value,
                                                        LegalStatus.REMAND.value]))
                     .order_by(PersonRow.id)).all()
    held = [Held(*r) for r in held]
    if not held:
        return 0
    if prison is not None:      # letters to people in custody go to the establishment's address
        s.execute(PartnerRow.__table__.update().where(PartnerRow.id == prison).values(
            contact_details=PRISON_ADDRESS))
    first_id = s.scalar(select(PersonRow.id).order_by(PersonRow.id).limit(1))
    remands = [r.id for r in held if r.legal_status == LegalStatus.REMAND.value]
    sentenced = sorted((r.id for r in held if r.legal_status == LegalStatus.CUSTODY.value),
                       key=lambda pid: (pid - first_id < FIRST_FEATURED, pid))
    # Someone not in custody until three days ago: remanded, no release date yet.
    newly = s.scalar(select(PersonRow.id).where(
        PersonRow.legal_status == LegalStatus.NONE.value,
        PersonRow.id >= first_id + FIRST_FEATURED).order_by(PersonRow.id).limit(1))
    if newly is not None:
        s.execute(PersonRow.__table__.update().where(PersonRow.id == newly)
                  .values(legal_status=LegalStatus.REMAND.value, custody_release=None))
        held.append(Held(newly, LegalStatus.REMAND.value, None))

    holidays = sorted(d for d in bank_holidays("england", (today.year, today.year + 1))
                      if d > today + timedelta(days=7))
    before_holiday = holidays[0] - timedelta(days=1) if holidays else today + timedelta(days=20)
    friday = next_friday(today)      # within the week: its plan shows on the board's strip
    # person id -> (expected release, [earlier dates learned], band, started days ago)
    special: dict[int, tuple] = {}
    if newly is not None:
        special[newly] = (None, [], SentenceBand.NOT_KNOWN, 3)
    if remands:     # a remand whose date moved twice: short notice, then none, then the trial's
        first = next(r for r in held if r.id == remands[0])
        special[remands[0]] = (first.custody_release, [today + timedelta(days=10), None],
                               SentenceBand.NOT_KNOWN, 40)
    if sentenced:
        special[sentenced[0]] = (friday, [], SentenceBand.MONTHS_12_TO_4_YEARS, None)
    if len(sentenced) > 1:
        special[sentenced[1]] = (before_holiday, [], SentenceBand.UNDER_12_MONTHS, None)

    episodes, changes = [], []
    for n, r in enumerate(held):
        kind = CustodyKind.REMAND if r.legal_status == LegalStatus.REMAND.value else CustodyKind.SENTENCED
        release, history, band, ago = special.get(r.id, (r.custody_release, [], None, None))
        started = today - timedelta(days=ago or (rnd.randint(20, 60) if kind is CustodyKind.REMAND
                                                 else rnd.randint(90, 900)))
        if band is None:
            band = (SentenceBand.NOT_KNOWN if kind is CustodyKind.REMAND or release is None
                    else band_for(started, release))
        episodes.append(dict(person_id=r.id, kind=kind.value, establishment_id=prison,
                             prison_number=f"A{1000 + n:04d}ZZ", started_on=started,
                             expected_release=release, actual_release=None,
                             sentence_band=band.value))
        if release != r.custody_release:
            s.execute(PersonRow.__table__.update().where(PersonRow.id == r.id)
                      .values(custody_release=release))
        learned = [*history, release] if release is not None or history else []
        changes.append((len(episodes) - 1, started, learned))
    s.execute(insert(CustodyEpisodeRow), episodes)
    ids = {row.person_id: row.id for row in s.scalars(select(CustodyEpisodeRow))}
    rows = []
    for index, started, learned in changes:
        eid = ids[episodes[index]["person_id"]]
        previous = None
        for i, when in enumerate(learned):
            if i == 0 and when is None:
                continue
            rows.append(dict(episode_id=eid, expected_release=when, previous=previous,
                             learned_on=min(today, started + timedelta(days=14 * i))))
            previous = when
    if rows:
        s.execute(insert(ReleaseDateChangeRow), rows)

    # A local closure (fictional): the council's staff training day, a working day.
    closure = today + timedelta(days=17)
    while not is_working_day(closure):
        closure += timedelta(days=1)
    s.add(LocalClosureRow(on=closure, description="Fictionbury Council offices closed: staff "
                          "training day (fictional)"))

    uow = UnitOfWork(s, actor)
    template_id = create_example_template(uow)
    if sentenced:
        apply_in(uow, template_id, [ids[sentenced[0]]], today, now)

    # The demo's contacts on the custody channel are drug workers' custody suite contacts,
    # with the referral they led to.
    outcomes = [CommunicationOutcome.REFERRAL_MADE] * 3 + [CommunicationOutcome.REFERRAL_ACCEPTED] * 2 \
        + [CommunicationOutcome.REFERRAL_DECLINED]
    treatment = s.scalar(select(PartnerRow.id).where(PartnerRow.type == PartnerType.DRUG_TREATMENT.value)
                         .order_by(PartnerRow.id).limit(1))
    for cid in s.scalars(select(CommunicationRow.id).where(
            CommunicationRow.channel == CommunicationChannel.CUSTODY.value).order_by(CommunicationRow.id)):
        s.execute(CommunicationRow.__table__.update().where(CommunicationRow.id == cid).values(
            outcome=rnd.choice(outcomes).value, partner_id=treatment, deterrence_message=False,
            support_offer=True, delivered_by="Custody suite drug worker (fictional)",
            message="Seen in the custody suite; offered a drug treatment assessment."))
    return len(episodes)
