"""The demo's 双报到 and resources list (资源清单), added at the end of ``demo.seed``.

Two stationed units report to their communities with a liaison each (one more report
waits for confirmation); in-service party members report to their home communities and
are placed in grids, one with confirmed hours above the yearly target and two below; the
units, a business and a unit without an account (recorded by the community) offer
resources, one committed to a need; and a unit holds places of a shift for its members,
one already taken (一键认领).

Built through the services (accounts, unit and member reports, resources, needs posting
and claims, check-in for the hours, the unit hold, the service cards) with the clock set
back where the story happened earlier: the reports were made and confirmed early in the
last quarter that has ended, the members served in its last days, and the quarter's
service cards are issued, so the liaison has cards to receive and print. (In the first
quarter of a year that quarter is last year's, so this year's hours start at zero.)
Every record is found by a natural key first, so seeding twice changes nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from govhub.accounts import services as accounts
from govhub.accounts.models import Role, RoleAssignment, User
from govhub.clock import local_date, to_utc
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims as needs_claims
from govhub.needs import posting, unit_holds
from govhub.needs.models import Category, Need, Shift, UnitHold, Visibility
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner
from govhub.reporting import cards, members, units
from govhub.reporting.figures import quarter_days
from govhub.reporting.models import MemberReport, ReportChannel, ReportStatus, UnitReport
from govhub.resources import services as resources
from govhub.resources.models import Resource, ResourceCommitment, ResourceKind

# Demo logins, printed by ``flask seed-demo`` like city.json's.
LIAISON_PASSWORD = "demo-liaison-2026"  # noqa: S105
MEMBER_PASSWORD = "demo-volunteer-2026"  # noqa: S105
# (phone, name, home grid, unit): each liaison is also the unit's staff, so the unit's
# workbench (our resources, offer one) is theirs.
LIAISONS = [
    ("13800000040", "何晓东", "金叶一网格", "咸安区税务局"),
    ("13800000041", "冯磊", "南昌路一网格", "国网咸宁供电公司"),
]
# An in-service party member not in city.json: the one who takes the unit's held place.
NEW_MEMBERS = [("13800000042", "黄志强", "金叶一网格", "咸安区税务局")]
# The in-service party members each unit declares (the base of its reporting completion):
# 税务局 has 2 of 3 reported (below the 95 % line), 供电公司 1 of 1.
DECLARED_MEMBERS = {"咸安区税务局": 3, "国网咸宁供电公司": 1}
# (unit, community, status, the community admin's phone, categories it takes on)
UNIT_REPORTS = [
    ("咸安区税务局", "金叶社区", ReportStatus.confirmed, "13800000002", ["elderly", "civility"]),
    ("国网咸宁供电公司", "南昌路社区", ReportStatus.confirmed, "13800000003", ["emergency"]),
    ("国网咸宁供电公司", "金叶社区", ReportStatus.pending, "13800000002", ["environment"]),
]
# (member phone, community, grid, unit, channel)
MEMBER_REPORTS = [
    ("13800000011", "金叶社区", "金叶二网格", "咸安区税务局", ReportChannel.profile),
    ("13800000012", "南昌路社区", "南昌路一网格", "国网咸宁供电公司", ReportChannel.qr),
    ("13800000042", "金叶社区", "金叶一网格", "咸安区税务局", ReportChannel.qr),
]
# The members' service this year: shifts of the 党员先锋岗 need (8 hours each), so that
# 陈丽华 is above the yearly target (56 h ≥ 50 h) and 刘建国 below it (16 h).
SERVICE_TITLE = "党员先锋岗：社区服务站值守"
SERVICE_SHIFTS = 7
SERVICE_HOURS = 8
SERVICE_CLAIMS = {"13800000011": SERVICE_SHIFTS, "13800000012": 2}
# (actor phone, partner or None for on behalf, kind, title, description, quantity, unit,
#  area, weekly windows as (weekday, "HH:MM", "HH:MM"), provider name when on behalf)
RESOURCES = [
    (
        "13800000040",
        "咸安区税务局",
        ResourceKind.service,
        "个税申报咨询",
        "每月一次社区个税咨询服务，税务干部到社区党群服务中心现场解答。",
        12,
        "次",
        "金叶社区",
        [(2, "14:00", "17:00")],
        "",
    ),
    (
        "13800000041",
        "国网咸宁供电公司",
        ResourceKind.service,
        "老旧线路安全检查",
        "为老旧小区住户免费检查用电线路。",
        40,
        "户",
        "永安街道",
        [(5, "09:00", "12:00")],
        "",
    ),
    (
        "13800000020",
        "香城惠民超市",
        ResourceKind.goods,
        "爱心粮油",
        "每季度捐赠粮油20份。",
        20,
        "份",
        "金叶社区",
        [],
        "",
    ),
    (
        "13800000002",
        None,
        ResourceKind.venue,
        "物业二楼会议室",
        "可容纳30人，有投影仪，晚间可借用。",
        1,
        "间",
        "金叶一网格",
        [(1, "19:00", "21:00"), (3, "19:00", "21:00")],
        "金叶小区物业服务中心",
    ),
]
# The meeting room lent to the evening homework class (a commitment to a need).
ROOM_COMMITMENT = ("物业二楼会议室", "九点伴课堂：晚间作业辅导", 1, "demo:room-homework")
# 咸安区税务局 holds places of the second 五彩夕阳 visit for its members; 黄志强 took one.
HELD_NEED = "五彩夕阳：独居老人上门探访"
HELD_PLACES = 3
HELD_BY = "咸安区税务局"
HELD_CLAIMANT = "13800000042"


def logins_lines() -> list[str]:
    """The liaisons' and the new member's demo logins, for ``demo.logins_table``."""
    lines = [
        f"  {phone}  {LIAISON_PASSWORD:<22} {name} - liaison of {unit} (双报到)"
        for phone, name, _grid, unit in LIAISONS
    ]
    lines += [
        f"  {phone}  {MEMBER_PASSWORD:<22} {name} - in-service party member of {unit}"
        for phone, name, _grid, unit in NEW_MEMBERS
    ]
    return lines


def seed_reporting(by_name: dict[str, OrgUnit], partners: dict[str, Partner], added: Counter):
    """Add what is missing; called inside ``demo.seed``'s transaction."""
    now = utcnow()
    year, quarter = cards.last_ended_quarter(local_date(now))
    first, last = quarter_days(year, quarter)
    reported = to_utc(datetime.combine(first + timedelta(days=2), time(9, 0)))
    users = _people(by_name, partners, added)
    offered = _resources(by_name, partners, users, added, reported)
    _unit_reports(by_name, partners, users, offered, added, reported)
    _member_reports(by_name, partners, users, added, reported + timedelta(days=2))
    _service_hours(by_name, users, added, last)
    _commit_room(offered, users, added, now)
    _cards(by_name, users, year, quarter, added, now)
    _unit_hold(partners, users, added, now)


def _people(by_name, partners, added: Counter) -> dict[str, User]:
    users = {u.phone: u for u in db.session.scalars(select(User))}
    for phone, name, grid_name, unit in LIAISONS + NEW_MEMBERS:
        if phone in users:
            continue
        grid = by_name[grid_name]
        password = (
            LIAISON_PASSWORD if (phone, name, grid_name, unit) in LIAISONS else MEMBER_PASSWORD
        )
        users[phone] = accounts.register(phone, name, password, grid.parent_id, grid.id)
        added["users"] += 1
    for phone, _name, _grid, unit in LIAISONS:
        partner, user = partners[unit], users[phone]
        if not any(a.role is Role.partner_staff and a.partner_id == partner.id for a in user.roles):
            db.session.add(RoleAssignment(user=user, role=Role.partner_staff, partner=partner))
            added["roles"] += 1
        if partner.owner_id is None:
            partner.owner_id = user.id
    db.session.flush()
    return users


def _liaison_of(unit: str, users: dict[str, User]) -> User:
    phone = next(phone for phone, _n, _g, name in LIAISONS if name == unit)
    return users[phone]


def _unit_reports(by_name, partners, users, offered, added: Counter, now: datetime) -> None:
    """Each unit's liaison (also its staff) reports; the community's admin confirms a day
    later, or has not yet."""
    categories = {c.code: c.id for c in db.session.scalars(select(Category))}
    for unit, community_name, status, admin_phone, codes in UNIT_REPORTS:
        partner, community = partners[unit], by_name[community_name]
        if db.session.scalar(
            select(UnitReport.id).where(
                UnitReport.partner_id == partner.id, UnitReport.community_id == community.id
            )
        ):
            continue
        liaison = _liaison_of(unit, users)
        report = units.submit(
            liaison.id,
            partner.id,
            units.ReportInput(
                community_id=community.id,
                liaison_phone=liaison.phone,
                party_members=DECLARED_MEMBERS[unit],
                # The unit's resources serving the community go with its report.
                resource_ids=[
                    r.id
                    for r in offered.values()
                    if r.partner_id == partner.id
                    and (community.contains(r.area) or r.area.contains(community))
                ],
                category_ids=[categories[code] for code in codes],
                note="愿意认领助老、文明创建类需求，周末可组织党员参加。",
            ),
            now=now,
        )
        if status is ReportStatus.confirmed:
            units.confirm(users[admin_phone].id, report.id, now=now + timedelta(days=1))
        added["unit reports"] += 1


def _member_reports(by_name, partners, users, added: Counter, now: datetime) -> None:
    admins = {"金叶社区": users["13800000002"], "南昌路社区": users["13800000003"]}
    for phone, community_name, grid_name, unit, channel in MEMBER_REPORTS:
        member, community = users[phone], by_name[community_name]
        if db.session.scalar(
            select(MemberReport.id).where(
                MemberReport.user_id == member.id, MemberReport.community_id == community.id
            )
        ):
            continue
        report = members.submit(
            member.id,
            community_id=community.id,
            partner_id=partners[unit].id,
            channel=channel,
            now=now,
        )
        members.confirm(
            admins[community_name].id,
            report.id,
            grid_id=by_name[grid_name].id,
            now=now + timedelta(days=1),
        )
        added["member reports"] += 1


def _service_hours(by_name, users, added: Counter, quarter_end: date) -> None:
    """Confirmed hours through the real services, with the clock set back: one 8-hour shift
    a day on the last days of the quarter that ended last."""
    from govhub.checkin import services as checkin
    from govhub.checkin.models import Evidence

    if db.session.scalar(select(Need.id).where(Need.title == SERVICE_TITLE)):
        return
    admin = users["13800000002"]
    first_day = quarter_end - timedelta(days=SERVICE_SHIFTS)
    slots = [
        (
            to_utc(datetime.combine(first_day + timedelta(days=n), time(8, 0))),
            to_utc(datetime.combine(first_day + timedelta(days=n), time(8 + SERVICE_HOURS, 0))),
        )
        for n in range(SERVICE_SHIFTS)
    ]
    posted = slots[0][0] - timedelta(days=1)
    need = posting.save_need(
        admin.id,
        by_name["金叶社区"].id,
        posting.NeedInput(
            title=SERVICE_TITLE,
            description="在职党员到社区党群服务中心值守，接待群众、代办事务。",
            category_id=db.session.scalar(select(Category.id).where(Category.code == "civility")),
            place="金叶社区党群服务中心",
            contact_name=admin.name,
            contact_phone=admin.phone,
            skill_ids=[],
            visibility=Visibility.street,
        ),
        [posting.ShiftInput(start, end, 5) for start, end in slots],
        now=posted,
    )
    posting.publish(admin.id, need.id, now=posted)
    shifts = sorted(need.shifts, key=lambda s: s.starts_at)
    for phone, count in SERVICE_CLAIMS.items():
        for shift in shifts[:count]:
            needs_claims.claim_shift(users[phone].id, shift.id, now=posted)
    for shift in shifts:
        for phone, count in SERVICE_CLAIMS.items():
            if shift in shifts[:count]:
                volunteer_id = users[phone].id
                checkin.check_in(
                    volunteer_id, shift.id, now=shift.starts_at, evidence=Evidence.code_scan
                )
                checkin.check_out(
                    volunteer_id, shift.id, now=shift.ends_at, evidence=Evidence.code_scan
                )
                added["confirmed attendances"] += 1
        checkin.confirm_shift(admin.id, shift.id, {}, now=shift.ends_at + timedelta(hours=1))
    posting.complete(admin.id, need.id, now=shifts[-1].ends_at + timedelta(hours=1))
    added["needs"] += 1


def _resources(by_name, partners, users, added: Counter, now: datetime) -> dict[str, Resource]:
    """The resources on offer, by title (offered when the units reported)."""
    existing = {r.title: r for r in db.session.scalars(select(Resource))}
    for (
        actor_phone,
        unit,
        kind,
        title,
        description,
        quantity,
        label,
        area,
        windows,
        name,
    ) in RESOURCES:
        if title in existing:
            continue
        partner = partners[unit] if unit else None
        actor = users[actor_phone]
        resource = resources.offer(
            actor.id,
            resources.Provider(partner_id=partner.id if partner else None, on_behalf=not unit),
            resources.ResourceInput(
                kind=kind,
                title=title,
                description=description,
                quantity=quantity,
                unit_label=label,
                area_id=by_name[area].id,
                contact_name=actor.name,
                contact_phone=actor.phone,
                provider_name=name,
                windows=[
                    resources.WindowInput(day, time.fromisoformat(start), time.fromisoformat(end))
                    for day, start, end in windows
                ],
            ),
            now=now,
        )
        existing[title] = resource
        added["resources"] += 1
    return existing


def _commit_room(offered: dict[str, Resource], users, added: Counter, now: datetime) -> None:
    title, need_title, quantity, key = ROOM_COMMITMENT
    if not db.session.scalar(select(ResourceCommitment.id).where(ResourceCommitment.key == key)):
        need_id = db.session.scalar(select(Need.id).where(Need.title == need_title))
        resources.commit(
            users["13800000002"].id, offered[title].id, quantity, need_id=need_id, key=key, now=now
        )
        added["resource commitments"] += 1


def _cards(by_name, users, year: int, quarter: int, added: Counter, now: datetime) -> None:
    """The quarter's service cards, issued by each community's admin (issuing again adds
    nothing)."""
    for community_name, admin_phone in (("金叶社区", "13800000002"), ("南昌路社区", "13800000003")):
        issued = cards.issue_quarter(
            users[admin_phone].id, by_name[community_name].id, year, quarter, now=now
        )
        if issued.issued:
            added["service cards"] += issued.issued


def _unit_hold(partners, users, added: Counter, now: datetime) -> None:
    """咸安区税务局's liaison holds places of the second 五彩夕阳 visit for its members, and
    黄志强 takes one (一键认领)."""
    partner = partners[HELD_BY]
    shifts = db.session.scalars(
        select(Shift).join(Shift.need).where(Need.title == HELD_NEED).order_by(Shift.starts_at)
    ).all()
    if len(shifts) < 2:
        return
    shift = shifts[1]
    if db.session.scalar(
        select(UnitHold.id).where(UnitHold.shift_id == shift.id, UnitHold.partner_id == partner.id)
    ):
        return
    hold = unit_holds.hold_places(
        _liaison_of(HELD_BY, users).id, shift.id, partner.id, HELD_PLACES, now=now
    )
    unit_holds.claim_held_place(users[HELD_CLAIMANT].id, hold.id, now=now)
    added["unit holds"] += 1
