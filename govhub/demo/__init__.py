"""The demo city from ``demo/city.json``, loaded idempotently by ``flask seed-demo``.

Each record is found by its natural key (org code, skill name, phone, partner name) and
only added when missing, so running the seed twice changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import suppress
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from govhub.accounts import services as accounts
from govhub.accounts.models import Role, RoleAssignment, Skill, User, VolunteerProfile
from govhub.clock import to_local, to_utc
from govhub.database import transactional, utcnow
from govhub.extensions import db
from govhub.needs import claims as needs_claims
from govhub.needs import posting, resident_requests
from govhub.needs.models import Category, Need, NeedStatus, ResidentRequest, Shift, Urgency
from govhub.orgs import services as orgs
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner, PartnerKind, PartnerStatus

DATA_FILE = Path(__file__).with_name("city.json")


@cache
def load() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def has_data() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(OrgUnit)))


def _walk(node: dict, parent_code: str | None):
    yield node, parent_code
    for child in node.get("children", []):
        yield from _walk(child, node["code"])


@transactional
def seed() -> Counter:
    data = load()
    added: Counter = Counter()

    units: dict[str, OrgUnit] = {}
    for node, parent_code in _walk(data["org_tree"], None):
        unit = orgs.find_by_code(node["code"])
        if unit is None:
            parent = units[parent_code] if parent_code else None
            unit = orgs._insert(node["code"], node["name"], OrgLevel(node["level"]), parent)
            added["org units"] += 1
        units[node["code"]] = unit
    by_name = {unit.name: unit for unit in units.values()}

    skills = {s.name: s for s in db.session.scalars(select(Skill))}
    for name in data["skills"]:
        if name not in skills:
            skills[name] = Skill(name=name)
            db.session.add(skills[name])
            added["skills"] += 1

    partners = {p.name: p for p in db.session.scalars(select(Partner))}
    for item in data["partners"]:
        if item["name"] not in partners:
            partners[item["name"]] = Partner(
                kind=PartnerKind(item["kind"]),
                name=item["name"],
                community=by_name[item["community"]],
                address=item.get("address", ""),
                status=PartnerStatus.approved,
            )
            db.session.add(partners[item["name"]])
            added["partners"] += 1
    db.session.flush()

    for item in data["users"]:
        user = accounts.find_by_phone(item["phone"])
        if user is None:
            user = User(
                phone=item["phone"],
                name=item["name"],
                password_hash=accounts.hash_password(item["password"]),
            )
            db.session.add(user)
            added["users"] += 1
        if "home" in item and user.profile is None:
            grid = by_name[item["home"]]
            user.profile = VolunteerProfile(
                community=grid.parent if grid.level is OrgLevel.grid else grid,
                grid=grid if grid.level is OrgLevel.grid else None,
                is_party_member=item.get("party_member", False),
                employer_unit=item.get("employer_unit"),
                skills=[skills[name] for name in item.get("skills", [])],
            )
        db.session.flush()
        wanted = [tuple(pair) for pair in item.get("roles", [])]
        if user.profile is not None:
            wanted.append((Role.volunteer.value, user.profile.community.name))
        for role_name, scope in wanted:
            role = Role(role_name)
            partner = partners.get(scope) if role is Role.partner_staff else None
            unit = None if partner else by_name[scope]
            exists = any(
                a.role is role
                and a.org_unit_id == (unit.id if unit else None)
                and a.partner_id == (partner.id if partner else None)
                for a in user.roles
            )
            if not exists:
                db.session.add(RoleAssignment(user=user, role=role, org_unit=unit, partner=partner))
                added["roles"] += 1
                if partner is not None and partner.owner_id is None:
                    partner.owner_id = user.id
    _seed_rewards(data, partners, added)
    _seed_needs(data, by_name, added)
    _seed_history(by_name, added)
    from govhub.demo.reporting import seed_reporting  # it imports the reporting domain

    seed_reporting(by_name, partners, added)
    from govhub.demo.matching import seed_matching  # matching and the projects list

    seed_matching(by_name, added)
    from govhub.demo.history import seed_history_year  # a year of needs, hours and points

    seed_history_year(by_name, added, now=utcnow())
    from govhub.demo.integrity import seed_integrity  # faked-looking entries to review

    seed_integrity(by_name, added, now=utcnow())
    return added


def _seed_rewards(data: dict, partners: dict[str, Partner], added: Counter) -> None:
    """The points supermarket's shelves, offered to the partner's community."""
    from govhub.rewards.models import Reward, RewardArea, RewardStatus

    existing = set(db.session.execute(select(Reward.partner_id, Reward.title)).all())
    for item in data["rewards"]:
        partner = partners[item["partner"]]
        if (partner.id, item["title"]) in existing:
            continue
        db.session.add(
            Reward(
                partner_id=partner.id,
                title=item["title"],
                description=item.get("description", ""),
                price=item["points"],
                stock=item["stock"],
                monthly_limit=item.get("per_person_per_month"),
                area=RewardArea.community,
                area_unit_id=partner.community_id,
                status=RewardStatus.active,
                created_by_id=partner.owner_id,
            )
        )
        added["rewards"] += 1
    db.session.flush()


# A finished activity two weeks ago, so points, hours and leaderboards have something
# to show: (volunteer phone, minutes served). Built through the real services with
# the clock set back.
HISTORY_TITLE = "社区环境大扫除"
HISTORY = [("13800000010", 180), ("13800000011", 150)]


def _seed_history(by_name: dict[str, OrgUnit], added: Counter) -> None:
    from govhub.checkin import services as checkin
    from govhub.checkin.models import Evidence

    community = by_name["金叶社区"]
    if db.session.scalar(select(Need.id).where(Need.title == HISTORY_TITLE)):
        return
    admin = db.session.scalars(select(User).where(User.phone == "13800000002")).one()
    then = utcnow() - timedelta(days=14)
    start = then.replace(hour=1, minute=0, second=0, microsecond=0) + timedelta(days=1)
    need = posting.save_need(
        admin.id,
        community.id,
        posting.NeedInput(
            title=HISTORY_TITLE,
            description="清理楼道杂物、绿化带垃圾。",
            category_id=db.session.scalar(
                select(Category.id).where(Category.code == "environment")
            ),
            place="金叶社区各楼栋",
            contact_name=admin.name,
            contact_phone=admin.phone,
            skill_ids=[],
        ),
        [posting.ShiftInput(start, start + timedelta(hours=3), 10, walk_ins=True)],
        now=then,
    )
    posting.publish(admin.id, need.id, now=then)
    shift = need.shifts[0]
    users = {u.phone: u for u in db.session.scalars(select(User))}
    for phone, minutes in HISTORY:
        volunteer = users[phone]
        if volunteer.profile and volunteer.profile.community_id == community.id:
            needs_claims.claim_shift(volunteer.id, shift.id, now=then)
            checkin.check_in(volunteer.id, shift.id, now=start, evidence=Evidence.code_scan)
            checkin.check_out(
                volunteer.id,
                shift.id,
                now=start + timedelta(minutes=minutes),
                evidence=Evidence.code_scan,
            )
    checkin.confirm_shift(admin.id, shift.id, {}, now=start + timedelta(hours=4))
    posting.complete(admin.id, need.id, now=start + timedelta(hours=4))
    added["confirmed attendances"] += len(
        [p for p, _ in HISTORY if (home := users[p].profile) and home.community_id == community.id]
    )


# Extra residents (not in city.json) so that one demo shift is full with a waiting list.
EXTRA_RESIDENTS = [
    ("13800000031", "孙阿姨"),
    ("13800000032", "周大爷"),
    ("13800000033", "吴师傅"),
    ("13800000034", "郑老师"),
]


def _upcoming(weekday: int, start: str, end: str, weeks: int, now: datetime):
    """Local (start, end) slots on ``weekday`` (0 = Monday) for the next ``weeks`` weeks."""
    first = to_local(now).date() + timedelta(days=1)
    first += timedelta(days=(weekday - first.weekday()) % 7)
    return posting.recurring_slots(
        {weekday}, time.fromisoformat(start), time.fromisoformat(end), first, weeks
    )


def _seed_needs(data: dict, by_name: dict[str, OrgUnit], added: Counter) -> None:
    now = utcnow()
    known = {c.code for c in db.session.scalars(select(Category))}
    for item in data["need_categories"]:
        if item["code"] not in known:
            db.session.add(Category(code=item["code"], name_zh=item["zh"], name_en=item["en"]))
            added["need categories"] += 1
    db.session.flush()
    categories = {c.code: c.id for c in db.session.scalars(select(Category))}
    skills = {s.name: s.id for s in db.session.scalars(select(Skill))}
    users = {u.phone: u for u in db.session.scalars(select(User))}
    grid = by_name["南昌路一网格"]
    for phone, name in EXTRA_RESIDENTS:
        if phone not in users:
            users[phone] = accounts.register(
                phone, name, "demo-volunteer-2026", grid.parent_id, grid.id
            )
            added["users"] += 1

    admins = {"金叶社区": users["13800000002"], "南昌路社区": users["13800000003"]}
    for item in data["needs"]:
        community = by_name[item["community"]]
        exists_already = db.session.scalar(
            select(Need.id).where(Need.community_id == community.id, Need.title == item["title"])
        )
        if exists_already:
            continue
        admin = admins.get(item["community"])
        shifts = [
            posting.ShiftInput(to_utc(start), to_utc(end), spec["capacity"])
            for spec in item["shifts"]
            for start, end in _upcoming(spec["weekday"], spec["start"], spec["end"], 4, now)
        ]
        need = posting.save_need(
            admin.id if admin else None,
            community.id,
            posting.NeedInput(
                title=item["title"],
                description=item["description"],
                category_id=categories[item["category"]],
                place=f"{community.name}党群服务中心",
                contact_name=admin.name if admin else "社区工作人员",
                contact_phone=admin.phone if admin else "13800000099",
                skill_ids=[skills[name] for name in item["skills"]],
            ),
            sorted(shifts, key=lambda s: s.starts_at or now),
            now=now,
        )
        posting.publish(admin.id if admin else None, need.id, now=now)
        added["needs"] += 1
        first = min(need.shifts, key=lambda s: s.starts_at)
        for phone in DEMO_CLAIMS.get(item["title"], []):
            needs_claims.claim_shift(users[phone].id, first.id, now=now, waitlist=True)
            added["claims"] += 1

    for phone, what, kwargs in DEMO_REQUESTS:
        requester = users[phone]
        if db.session.scalar(
            select(ResidentRequest.id).where(
                ResidentRequest.requester_id == requester.id, ResidentRequest.what == what
            )
        ):
            continue
        kwargs = dict(kwargs)
        if "community" in kwargs:
            kwargs["community_id"] = by_name[kwargs.pop("community")].id
        resident_requests.submit(requester.id, what=what, now=now, **kwargs)
        added["resident requests"] += 1


# Who claims the first shift of which demo need (the environment shift has 3 places:
# the fourth claimant waits on the list).
DEMO_CLAIMS = {
    "九点伴课堂：晚间作业辅导": ["13800000010"],
    "五彩夕阳：独居老人上门探访": ["13800000011"],
    "红袖标治安巡防": ["13800000012"],
    "楼栋益管家：垃圾分类引导": ["13800000031", "13800000032", "13800000033", "13800000034"],
}
DEMO_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "13800000011",
        "帮忙把一袋米扛上五楼",
        {
            "details": "腿脚不便，超市送到楼下，需要有人帮忙搬上楼。",
            "when_text": "本周六上午",
            "place": "金叶小区5栋",
            "urgency": Urgency.high,
        },
    ),
    (
        "13800000002",
        "独居老人需要陪同去社区医院复诊",
        {
            "details": "老人不会用智能手机，需要陪同挂号取药。",
            "when_text": "下周二上午",
            "place": "金叶社区卫生服务站",
            "urgency": Urgency.normal,
            "community": "金叶社区",
            "resident_name": "李奶奶",
            "resident_building": "3栋2单元101室",
        },
    ),
]


def logins_table() -> str:
    lines = ["", "Demo logins (phone / password / what they do):"]
    extra = [{"phone": p, "name": n, "password": "demo-volunteer-2026"} for p, n in EXTRA_RESIDENTS]
    for item in load()["users"] + extra:
        roles = (
            ", ".join(f"{role} @ {scope}" for role, scope in item.get("roles", [])) or "volunteer"
        )
        lines.append(f"  {item['phone']}  {item['password']:<22} {item['name']} - {roles}")
    from govhub.demo.reporting import logins_lines

    lines += logins_lines()
    return "\n".join(lines)


@transactional
def start_activity(*, now: datetime) -> tuple[Need, int]:
    """A demo shift of 金叶社区 running now (2 hours long, walk-ins welcome) with 张晓明
    and 陈丽华 claimed, for trying check-in live. Reuses one that is still running."""
    running = db.session.scalar(
        select(Shift)
        .join(Shift.need)
        .where(
            Need.title.startswith("演示活动"),
            Need.status == NeedStatus.open,
            Shift.starts_at <= now,
            Shift.ends_at > now + timedelta(minutes=30),
        )
        .order_by(Shift.starts_at.desc())
    )
    if running is not None:
        return running.need, running.id
    community = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "金叶社区")).one()
    admin = db.session.scalars(select(User).where(User.phone == "13800000002")).one()
    earlier = now - timedelta(hours=1)
    start = now - timedelta(minutes=5)
    local = to_local(now)
    need = posting.save_need(
        admin.id,
        community.id,
        posting.NeedInput(
            title=f"演示活动（{local.month}月{local.day}日 {local:%H:%M}）",
            description="用来现场体验扫码签到。",
            category_id=db.session.scalar(select(Category.id).where(Category.code == "other")),
            place="金叶社区党群服务中心",
            contact_name=admin.name,
            contact_phone=admin.phone,
            skill_ids=[],
        ),
        [posting.ShiftInput(start, start + timedelta(hours=2), 20, walk_ins=True)],
        now=earlier,
    )
    posting.publish(admin.id, need.id, now=earlier)
    shift = need.shifts[0]
    for phone in ("13800000010", "13800000011"):
        volunteer = db.session.scalars(select(User).where(User.phone == phone)).one()
        # Someone busy in another shift at this time can still walk in.
        with suppress(needs_claims.ClaimRefused):
            needs_claims.claim_shift(volunteer.id, shift.id, now=earlier)
    return need, shift.id
