"""A generator of plainly fictional partnerships, from the demo size to bench sizes.

Every name, street and group is invented; every postcode is in the ZZ99
pseudo-area, and the partnership is called a demo. The same seed always
gives the same workspace.
"""
from __future__ import annotations

import io
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert

from ..domain.enums import (
    ActionKind, ActionStatus, AttendanceStatus, AuditOperation, CommunicationChannel,
    CommunicationOutcome, GroupRelationKind, GroupType, InfluencerKind, InterventionKind,
    LegalStatus, Need, PartnerType, RiskLevel, Role,
)
from ..domain.model import Partnership, User
from ..store.tables import (
    ActionRow, AssetRow, CallInRow, CohortMemberRow, CohortRow, CommunicationRow,
    GroupRelationRow, GroupRow, InfluencerRow, InterventionRow, InvitationRow, MeetingRow,
    MembershipRow, PartnerRow, PersonRow, SettingRow, SignatoryRow, UserRow,
)
from .app import WorkspaceServices
from .outcome_demo import add_demo_outcomes
from .custody_demo import add_custody_demo

DEMO_PASSPHRASE = "demo workspace - fictional people only"
AREA = "Fictionbury"

GIVEN = ["Alex", "Jordan", "Tyler", "Kai", "Reece", "Mason", "Zoë", "Łukasz", "Chloé", "Aoife",
         "Nguyễn Văn", "Dáire", "Siôn", "Jamal", "Malik", "Tomás", "Dev", "Callum", "Liam",
         "Ríona", "Kofi", "Leon", "Bartosz", "Emre", "Nathan", "Olu", "Rhys", "Luca", "Marek",
         "Owain", "Jayden", "Theo", "Ayo", "Connor", "Idris", "Kian", "Noah", "Shay", "Ellis",
         "Zane"]
FAMILY = ["Ashcombe", "Brackenridge", "Quillfeather", "Marbleton", "Ó Súilleabháin", "Nguyễn",
          "Fenwhistle", "Harrowgate", "Pemberwick", "Dunmorrow", "Kestrelford", "Larkspur",
          "Mossgrove", "Nettlebury", "Oakhollow", "Pendlecott", "Ravensworth", "Saltmarsh",
          "Thistlewood", "Underhay", "Wrenfield", "Yarrowby", "Żelazny-Fictus", "Coldharbour",
          "Elmstead", "Glenrothy", "Hollowmere", "Inchbrook", "Juniperfield", "Kingsmoor"]
ALIASES = ["Sparks", "Lefty", "Ghost", "Tiny", "Shadow", "Ace", "Blaze", "Chip", "Dex", "Flash",
           "Jinx", "Moth", "Nitro", "Pip", "Rook", "Slim", "Tank", "Vex", "Wisp", "Zed"]
STREETS = ["Example Street", "Sample Road", "Placeholder Lane", "Testbed Avenue", "Mockingbird Close",
           "Fable Row", "Invented Way", "Makebelieve Crescent", "Storybook Terrace", "Dummy Drive"]
GROUP_NAMES = [("Copperfield Crew", GroupType.STREET_GROUP), ("Bluebell Line", GroupType.DRUG_LINE),
               ("Riverside Runners", GroupType.STREET_GROUP), ("Northgate Firm", GroupType.ORGANISED_CRIME_GROUP),
               ("Eastmoor Boys", GroupType.STREET_GROUP), ("Kestrel Line", GroupType.DRUG_LINE),
               ("Saltmarsh Set", GroupType.STREET_GROUP), ("Glasshouse Network", GroupType.ORGANISED_CRIME_GROUP)]
PARTNERS = [
    ("Fictionbury Police", PartnerType.POLICE, "Insp. Avery Demo"),
    ("Fictionbury Probation Service", PartnerType.PROBATION, "Sam Sampleton"),
    ("HMP Fictionbury", PartnerType.PRISON, "Gov. Pat Placeholder"),
    ("Crown Prosecution Service (Fictionbury)", PartnerType.CPS, "Robin Exampleby"),
    ("Fictionbury Council", PartnerType.COUNCIL, "Morgan Mockford"),
    ("Fictionbury Homes", PartnerType.HOUSING, "Jess Testwell"),
    ("Open Door Drug Treatment", PartnerType.DRUG_TREATMENT, "Dr Lee Fabricant"),
    ("Fictionbury Mothers' Voice", PartnerType.COMMUNITY, "Ruth Storyteller"),
    ("Fictionbury Youth Justice", PartnerType.YOUTH_JUSTICE, "Kim Notreal"),
    ("Fictionbury Health", PartnerType.HEALTH, "Dr Ada Invented"),
]
LEVERS = [
    ("Licence recall", PartnerType.PROBATION, "Breach of licence conditions leads to recall to prison."),
    ("Fast-tracked charging decision", PartnerType.CPS, "Cases against group members are charged quickly."),
    ("Gang injunction", PartnerType.COUNCIL, "A civil injunction restricts where the group meets."),
    ("Banked case reactivated", PartnerType.POLICE, "A prepared case is taken forward if violence continues."),
    ("Targeted stop and search operation", PartnerType.POLICE, "Focused patrols where the group gathers."),
    ("Tenancy enforcement", PartnerType.HOUSING, "Anti-social behaviour clauses of the tenancy are enforced."),
]
OFFERS = [
    ("Drug treatment assessment within 48 hours", PartnerType.DRUG_TREATMENT, "Call 0000 000 0001 (fictional)"),
    ("Emergency housing referral", PartnerType.HOUSING, "Call 0000 000 0002 (fictional)"),
    ("Employment and training mentor", PartnerType.COUNCIL, "Call 0000 000 0003 (fictional)"),
    ("Mental health drop-in", PartnerType.HEALTH, "Call 0000 000 0004 (fictional)"),
    ("Family support worker", PartnerType.COUNCIL, "Call 0000 000 0005 (fictional)"),
    ("Relocation support", PartnerType.HOUSING, "Call 0000 000 0006 (fictional)"),
]
# Who signs the demo's letters (name, title, partner type), and the letterhead's contact details.
SIGNATORIES = [
    ("Ch. Insp. Gwenllïan Ŵyn-Prŷs", "Chief Inspector, Neighbourhood Policing", PartnerType.POLICE),
    ("Morgan Mockford", "Director of Community Safety", PartnerType.COUNCIL),
]
LETTERHEAD = {
    "letterhead_address": f"{AREA} Civic Centre (fictional)\n1 Example Square\n{AREA}\nZZ99 1AA",
    "letterhead_phone": "0000 000 0000 (fictional)",
    "letterhead_email": "partnership@fictionbury.example",
}
ACTION_TEXT = {
    ActionKind.ENFORCEMENT: ["Check licence conditions are being met", "Prepare banked case file",
                             "Warrant check and arrest if outstanding", "Review for injunction application"],
    ActionKind.SUPPORT: ["Refer to drug treatment assessment", "Arrange housing needs assessment",
                         "Introduce employment mentor", "Book mental health appointment"],
    ActionKind.DIVERSION: ["Offer out-of-court disposal with treatment condition",
                           "Refer to youth diversion programme"],
    ActionKind.COMMUNICATION: ["Deliver custom notification with mother present",
                               "Home visit to repeat the call-in message", "Send follow-up letter"],
    ActionKind.ANALYSIS: ["Update group network map", "Review recent incidents for group links"],
}


@dataclass(frozen=True)
class DemoSize:
    people: int = 40
    groups: int = 5
    partners: int = 8
    actions: int = 150
    communications: int = 200
    call_ins: int = 2
    cohorts: int = 2
    meetings: int = 2


DEMO = DemoSize()


def bench_size(people: int = 10_000, actions: int = 200_000) -> DemoSize:
    return DemoSize(people=people, groups=max(5, people // 40), partners=10, actions=actions,
                    communications=people * 4, call_ins=max(2, people // 500),
                    cohorts=max(2, people // 1000), meetings=max(2, people // 1000))


DEMO_USERS = ("demo.coordinator", "demo.analyst", "demo.officer")


def demo_partnership() -> Partnership:
    return Partnership(name=f"DEMO {AREA} Violence Reduction Partnership",
                       area=f"{AREA} (fictional)")


def demo_coordinator() -> User:
    return User(username="demo.coordinator", display_name="Casey Demo (coordinator)")


def create_demo_workspace(path, passphrase: str = DEMO_PASSPHRASE, size: DemoSize = DEMO,
                          seed: int = 42, today: date | None = None,
                          progress: Callable[[str, int], None] | None = None) -> WorkspaceServices:
    app = WorkspaceServices.create_workspace(path, passphrase, demo_partnership(),
                                             demo_coordinator())
    try:
        generate(app, size, seed=seed, today=today, progress=progress)
    except BaseException:
        app.close()
        raise
    return app


def generate(app: WorkspaceServices, size: DemoSize = DEMO, seed: int = 42,
             today: date | None = None, progress: Callable[[str, int], None] | None = None) -> None:
    """Fill ``app``'s workspace with a coherent fictional partnership, in one transaction."""
    rnd = random.Random(seed)
    extra = random.Random(seed + 1)   # what was added later draws on its own, so the rest stays as it was
    today = today or app.today()
    report = progress or (lambda stage, percent: None)

    def day(lo: int, hi: int) -> date:
        return today + timedelta(days=rnd.randint(lo, hi))

    with app.workspace.session() as s:
        # Partners and their information-sharing agreements (one ended, one ending soon).
        partner_rows = []
        for i, (name, ptype, lead) in enumerate((PARTNERS * 3)[:size.partners]):
            if i >= len(PARTNERS):
                name = f"{name} {i // len(PARTNERS) + 1}"
            isa_end = today + timedelta(days=365)
            if i == 5:
                isa_end = today - timedelta(days=20)
            elif i == 6:
                isa_end = today + timedelta(days=14)
            partner_rows.append(dict(
                name=name, type=ptype.value, lead_contact=lead,
                contact_details=f"{lead}, {AREA} Civic Centre (fictional)",
                isa_reference=f"ISA-{AREA[:3].upper()}-{i + 1:03d}",
                isa_start=today - timedelta(days=400), isa_end=isa_end))
        s.execute(insert(PartnerRow), partner_rows)
        partners = {r.type: r.id for r in s.query(PartnerRow.type, PartnerRow.id)}
        partner_ids = [pid for (pid,) in s.query(PartnerRow.id).order_by(PartnerRow.id)]
        probation = partners.get(PartnerType.PROBATION.value, partner_ids[0])
        report("partners", 5)

        s.execute(insert(UserRow), [
            dict(username="demo.analyst", display_name="Riley Demo (analyst)",
                 role=Role.ANALYST.value, active=True),
            dict(username="demo.officer", display_name="Drew Demo (police officer)",
                 role=Role.PARTNER_OFFICER.value,
                 partner_id=partners.get(PartnerType.POLICE.value, partner_ids[0]), active=True),
        ])

        s.execute(insert(InterventionRow), [
            dict(name=n, kind=InterventionKind.LEVER.value, partner_type=t.value, description=d, contact="")
            for n, t, d in LEVERS] + [
            dict(name=n, kind=InterventionKind.OFFER.value, partner_type=t.value, description="", contact=c)
            for n, t, c in OFFERS])

        # Groups and their relations.
        group_rows = []
        for i in range(size.groups):
            name, gtype = GROUP_NAMES[i % len(GROUP_NAMES)]
            if i >= len(GROUP_NAMES):
                name = f"{name} {i // len(GROUP_NAMES) + 1}"
            group_rows.append(dict(name=name, type=gtype.value, area=f"{AREA} {rnd.choice(['North', 'South', 'East', 'West', 'Centre'])}",
                                   description="Fictional group for demonstration."))
        s.execute(insert(GroupRow), group_rows)
        group_ids = [gid for (gid,) in s.query(GroupRow.id).order_by(GroupRow.id)]
        relations = set()
        for i in range(len(group_ids) - 1):
            a, b = group_ids[i], group_ids[i + 1]
            relations.add((a, b, GroupRelationKind.RIVALRY.value if i % 2 == 0 else GroupRelationKind.ALLIANCE.value))
        if relations:
            s.execute(insert(GroupRelationRow), [
                dict(group_id=a, other_group_id=b, kind=k, since=day(-900, -30), notes="")
                for a, b, k in sorted(relations)])
        report("groups", 10)

        # People, with legal status drawn to be coherent.
        people = []
        statuses = [LegalStatus.NONE] * 4 + [LegalStatus.LICENCE] * 2 + [LegalStatus.PROBATION] * 2 + \
                   [LegalStatus.BAIL, LegalStatus.CUSTODY, LegalStatus.REMAND]
        for i in range(size.people):
            status = rnd.choice(statuses)
            end = release = supervising = None
            if status in (LegalStatus.LICENCE, LegalStatus.PROBATION):
                end, supervising = day(30, 720), probation
            elif status is LegalStatus.BAIL:
                end = day(7, 90)
            elif status in (LegalStatus.CUSTODY, LegalStatus.REMAND):
                release = day(1, 400)
            dob = date(today.year - rnd.randint(16, 34), rnd.randint(1, 12), rnd.randint(1, 28))
            aliases = rnd.sample(ALIASES, rnd.choice([0, 1, 1, 2]))
            people.append(dict(
                reference=f"FD-{i + 1:04d}", given_name=rnd.choice(GIVEN), family_name=rnd.choice(FAMILY),
                preferred_name="", aliases=aliases, date_of_birth=dob,
                address=f"{rnd.randint(1, 240)} {rnd.choice(STREETS)}\n{AREA}",
                postcode=f"ZZ99 {rnd.randint(1, 9)}{rnd.choice('ABDEFGHJ')}{rnd.choice('LNPQRSTU')}",
                legal_status=status.value, legal_status_end=end, custody_release=release,
                supervising_partner_id=supervising, risk_level=rnd.choice(list(RiskLevel)).value,
                needs=sorted(n.value for n in rnd.sample(list(Need), rnd.randint(0, 3))),
                review_date=day(-20, 365), notes=""))
        for start in range(0, len(people), 5000):
            s.execute(insert(PersonRow), people[start:start + 5000])
        person_ids = [pid for (pid,) in s.query(PersonRow.id).order_by(PersonRow.id)]
        report("people", 30)

        influencers = []
        for pid in person_ids:
            if rnd.random() < 0.6:
                influencers.append(dict(person_id=pid, name=f"{rnd.choice(['Mrs', 'Mr', 'Ms'])} {rnd.choice(FAMILY)}",
                                        kind=rnd.choice([InfluencerKind.FAMILY, InfluencerKind.FAMILY, InfluencerKind.COMMUNITY,
                                                         InfluencerKind.FAITH]).value,
                                        relationship=rnd.choice(["mother", "grandmother", "older brother", "youth worker", "pastor", "aunt"]),
                                        contact="0000 000 0000 (fictional)", notes=""))
        if influencers:
            s.execute(insert(InfluencerRow), influencers)

        memberships = []
        for i, pid in enumerate(person_ids):
            if group_ids and rnd.random() < 0.85:
                memberships.append(dict(person_id=pid, group_id=group_ids[i % len(group_ids)],
                                        role=rnd.choice(["member", "member", "member", "leader", "associate", "runner"]),
                                        start=day(-1000, -60), end=None))
        if memberships:
            s.execute(insert(MembershipRow), memberships)
        report("memberships", 35)

        cohort_ids = []
        for c in range(size.cohorts):
            row = CohortRow(name="Call-in cohort " + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c % 26] + ("" if c < 26 else str(c)),
                            description="People selected for the call-in programme (fictional).")
            s.add(row)
            s.flush()
            cohort_ids.append(row.id)
        cohort_members = []
        for i, pid in enumerate(person_ids):
            if cohort_ids and rnd.random() < 0.7:
                cohort_members.append(dict(cohort_id=cohort_ids[i % len(cohort_ids)], person_id=pid,
                                           reason=rnd.choice(["Group member linked to recent serious violence",
                                                              "On licence; supervising officer referral",
                                                              "Named in incident review"]),
                                           added_on=day(-200, -1)))
        if cohort_members:
            s.execute(insert(CohortMemberRow), cohort_members)

        meeting_ids = []
        for m in range(size.meetings):
            row = MeetingRow(title=f"Partnership meeting {m + 1}", held_on=today - timedelta(days=14 * (size.meetings - m)),
                             attendees=partner_ids[:6], agenda=person_ids[:min(12, len(person_ids))],
                             cohort_id=cohort_ids[0] if cohort_ids else None, notes="")
            s.add(row)
            s.flush()
            meeting_ids.append(row.id)

        call_in_ids = []
        for c in range(size.call_ins):
            held = c < size.call_ins - 1
            row = CallInRow(title=f"Call-in {c + 1}: {AREA} groups",
                            starts_at=datetime.combine(today + timedelta(days=(-30 if held else 21) - 7 * c), time(18, 30)),
                            venue=f"{AREA} Magistrates' Court, Court Room 2 (fictional)",
                            venue_notes="Step-free access from Example Street; separate entrances for rival groups.",
                            status="held" if held else "planned", details={})
            s.add(row)
            s.flush()
            call_in_ids.append((row.id, held))
        invitations = []
        for n, (cid, held) in enumerate(call_in_ids):
            invitees = person_ids[n * 15:(n + 1) * 15] or person_ids[:15]
            for pid in invitees:
                attendance = rnd.choice([AttendanceStatus.ATTENDED] * 3 + [AttendanceStatus.NO_SHOW, AttendanceStatus.LATE]) \
                    if held else AttendanceStatus.INVITED
                invitations.append(dict(call_in_id=cid, person_id=pid, required=rnd.random() < 0.4,
                                        delivered_by="Fictionbury Police", attendance=attendance.value,
                                        asked_for_help=held and rnd.random() < 0.4))
        if invitations:
            s.execute(insert(InvitationRow), invitations)
        report("call-ins", 40)

        kinds = list(ActionKind)
        status_weights = [ActionStatus.PLANNED] * 4 + [ActionStatus.IN_PROGRESS] * 3 + \
                         [ActionStatus.BLOCKED] + [ActionStatus.DONE] * 3 + [ActionStatus.CANCELLED]
        batch = []
        now = app.now()
        for i in range(size.actions):
            kind = kinds[i % len(kinds)]
            on_group = group_ids and rnd.random() < 0.1
            status = rnd.choice(status_weights)
            batch.append(dict(
                partner_id=rnd.choice(partner_ids), kind=kind.value,
                description=rnd.choice(ACTION_TEXT[kind]),
                person_id=None if on_group else rnd.choice(person_ids),
                group_id=rnd.choice(group_ids) if on_group else None,
                assignee=rnd.choice(["A. Officer", "B. Worker", "C. Keyworker", "D. Analyst", ""]),
                due_date=day(-45, 60), status=status.value,
                outcome="Completed as agreed (fictional)" if status is ActionStatus.DONE else
                ("Waiting for a partner's decision" if status is ActionStatus.BLOCKED else ""),
                notes="", intervention_id=None,
                meeting_id=rnd.choice(meeting_ids) if meeting_ids and rnd.random() < 0.5 else None,
                call_in_id=None, updated_at=now, version=1))
            if len(batch) == 20_000:
                s.execute(insert(ActionRow), batch)
                batch.clear()
                report("actions", 40 + int(40 * i / max(1, size.actions)))
        if batch:
            s.execute(insert(ActionRow), batch)
        report("actions", 80)

        chosen = {m["person_id"] for m in cohort_members} | {i["person_id"] for i in invitations}
        recorded = _levers_and_offers(s, extra, today, now, people, person_ids, chosen, partners,
                                      partner_ids[0])
        _letters(s, extra, partners)
        add_demo_outcomes(s, today)           # issue 15: outcomes before and after inclusion
        report("letters", 82)

        channels = list(CommunicationChannel)
        outcomes = {CommunicationChannel.CALL_IN: CommunicationOutcome.ATTENDED,
                    CommunicationChannel.LETTER: CommunicationOutcome.SENT}
        comms = []
        for i in range(size.communications):
            channel = rnd.choice(channels)
            comms.append(dict(
                person_id=rnd.choice(person_ids),
                occurred_at=datetime.combine(day(-300, -1), time(rnd.randint(9, 20), rnd.choice([0, 15, 30, 45]))),
                channel=channel.value, delivered_by=rnd.choice(["PC Demo One", "PO Sample Two", "Mothers' Voice volunteer", "Youth worker"]),
                partner_id=rnd.choice(partner_ids), influencer_id=None,
                deterrence_message=rnd.random() < 0.8, support_offer=rnd.random() < 0.6,
                message="The partnership's message was repeated: violence brings consequences for the whole group; help is available.",
                outcome=outcomes.get(channel, rnd.choice([CommunicationOutcome.DELIVERED] * 4 + [CommunicationOutcome.NOT_FOUND, CommunicationOutcome.REFUSED])).value,
                call_in_id=None, document_sha256="", template=""))
            if len(comms) == 20_000:
                s.execute(insert(CommunicationRow), comms)
                comms.clear()
        if comms:
            s.execute(insert(CommunicationRow), comms)

        from . import audit, network_demo
        network_demo.add(s, random.Random(seed + 2), today, app.actor.username)   # issue 14
        add_custody_demo(s, app.actor, today, now, seed)    # episodes, closures, a continuity plan

        audit.append(s, app.actor.username, AuditOperation.COLLECTION, "workspace", "demo",
                     f"fictional demo data: {size.people} people, {size.groups} groups, "
                     f"{size.actions + recorded} actions ({recorded} recording levers and offers), "
                     f"{size.communications} communications, {len(SIGNATORIES)} signatories")
        report("done", 100)


def _levers_and_offers(s, rnd: random.Random, today: date, now: datetime, people: list[dict],
                       person_ids: list[int], chosen: set[int], partners: dict[str, int],
                       fallback_partner: int) -> int:
    """Record, for everyone in a cohort or invited to a call-in, a lever that applies to them
    and a support offer, as partners' actions, so custom notifications and letters have what
    they need."""
    catalogue = {(k, n): (iid, ptype) for iid, k, n, ptype in s.query(
        InterventionRow.id, InterventionRow.kind, InterventionRow.name, InterventionRow.partner_type)}
    lever_names = [n for n, _t, _d in LEVERS]
    general = [n for n, t, _d in LEVERS if t is not PartnerType.PROBATION]
    status = {pid: p["legal_status"] for pid, p in zip(person_ids, people)}
    rows = []
    for pid in (p for p in person_ids if p in chosen):
        supervised = status[pid] in (LegalStatus.LICENCE.value, LegalStatus.PROBATION.value)
        names = [lever_names[0]] if supervised else []
        names += rnd.sample(general, rnd.choice([1, 1, 2]))
        offer = rnd.choice(OFFERS)[0]
        for kind, text, name in ([(InterventionKind.LEVER, "Prepare the lever: ", n) for n in names]
                                 + [(InterventionKind.OFFER, "Hold a place: ", offer)]):
            iid, ptype = catalogue[(kind.value, name)]
            rows.append(dict(
                partner_id=partners.get(ptype, fallback_partner),
                kind=(ActionKind.ENFORCEMENT if kind is InterventionKind.LEVER else ActionKind.SUPPORT).value,
                description=text + name, person_id=pid, group_id=None,
                assignee=rnd.choice(["A. Officer", "B. Worker", "C. Keyworker"]),
                due_date=today + timedelta(days=rnd.randint(3, 45)),
                status=rnd.choice([ActionStatus.PLANNED, ActionStatus.IN_PROGRESS]).value,
                outcome="", notes="", intervention_id=iid, meeting_id=None, call_in_id=None,
                updated_at=now, version=1))
    if rows:
        s.execute(insert(ActionRow), rows)
    return len(rows)


def _letters(s, rnd: random.Random, partners: dict[str, int]) -> None:
    """Signatories with a (plainly fictional) signature, and the letterhead's contact details."""
    for name, title, ptype in SIGNATORIES:
        asset = AssetRow(kind="signature", name="fictional demo signature", mime="image/png",
                         data=scribble_png(rnd))
        s.add(asset)
        s.flush()
        s.add(SignatoryRow(name=name, title=title, partner_id=partners.get(ptype.value),
                           signature_asset_id=asset.id))
    for key, value in LETTERHEAD.items():
        s.merge(SettingRow(key=key, value=json.dumps(value)))
    s.flush()


def scribble_png(rnd: random.Random, width: int = 360, height: int = 110) -> bytes:
    """A made-up signature: a looping scribble in dark blue ink on a transparent ground.
    The same random state draws the same scribble (and the same PNG bytes)."""
    from PIL import Image, ImageDraw   # Pillow comes with reportlab

    img = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    points = []
    loops = rnd.randint(4, 7)
    phase = rnd.uniform(0, math.pi)
    for i in range(240):
        t = i / 239
        x = 14 + t * (width - 40) + 16 * math.sin(t * loops * 2 * math.pi + phase)
        y = height * 0.55 - 26 * math.cos(t * loops * 2 * math.pi) * (1 - 0.6 * t) - 10 * t
        points.append((x, y))
    draw.line(points, fill=(20, 30, 110, 255), width=4, joint="curve")
    tail = rnd.uniform(0.15, 0.35)
    draw.line([(width * tail, height * 0.85), (width - 12, height * 0.72)], fill=(20, 30, 110, 255), width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
