"""A whole city for measuring: ``flask seed-city`` (issue 16, "The data").

The demo (``demo.seed``) comes first, so every demo login works; the city is added around
it under the demo's city root: districts, streets, communities with three grids each,
their admins, volunteers with skills and homes, a year of needs and shifts with claims,
attendance and confirmed hours, the ledger and its cached accounts, shops with rewards and
vouchers, stationed units with their reports, reported party members, resources and
projects, and a few named volunteers with very long histories (the worst cases).

Speed: the rows that fan out (claims, attendance, earn entries, accounts) are written by
``INSERT … SELECT`` from a per-shift plan in a temporary table; the rest is built in
Python and written with Core ``executemany`` in large batches. Every id is assigned here
(PostgreSQL's sequences are moved past them at the end), so the fan-out can compute them.

Deterministic: everything random comes from ``random.Random(seed)`` or from arithmetic on
ids salted by it; every timestamp is relative to ``today`` (a local date, the command's
``--today``, default the local date now). Only session tokens (secrets) and the demo's own
rows (stamped with the wall clock) differ between two runs.

Points follow DESIGN.md: an earn entry per confirmed attendance at the need's rate (the
community's 10 points an hour times its category coefficient), quarterly commendations
(adjust, with a reason, an audit event and another person as actor), redemptions only out
of points earned in earlier quarters (so no balance is ever negative, at any moment), and
a refund for every cancelled or expired voucher. ``PointsAccount`` is the sum of the
ledger, written from it.
"""

from __future__ import annotations

import random
import secrets
import time as clock
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any

from flask import current_app
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection

from govhub.accounts.models import RoleAssignment, Skill, User, VolunteerProfile, profile_skill
from govhub.audit.models import AuditEvent
from govhub.checkin.models import Attendance
from govhub.clock import to_utc
from govhub.extensions import db
from govhub.needs.models import Category, CategoryRate, Claim, Need, Shift
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner
from govhub.points.models import LedgerEntry, PointsAccount
from govhub.projects.models import Project, project_need, project_partner
from govhub.reporting.models import MemberReport, UnitReport, unit_report_category
from govhub.reporting.models import unit_report_resource as unit_report_resource_table
from govhub.resources.models import Resource
from govhub.rewards.models import Redemption, Reward
from govhub.rewards.vouchers import CODE_ALPHABET, CODE_LENGTH

PASSWORD = "city-volunteer-2026"  # noqa: S105 - every generated account's password
ROOT_CODE = "4212"  # the demo's city: the city's districts go under it
CODE_PREFIX = "4299"  # every district code of the city starts with it (the marker)
SHIFTS_PER_COMMUNITY = 150  # a year's shifts (and ~14 days ahead) in each community
CLAIMS_PER_VOLUNTEER = 8
COMMUNITIES_PER_STREET = 10
STREETS_PER_DISTRICT = 9
GRIDS_PER_COMMUNITY = 3
UNITS_PER_COMMUNITY = 3
REWARDS_PER_540 = 2000  # rewards scale with the communities: 2,000 for 540
PARTY_SHARE = 0.09  # in-service party members among the volunteers (双报到)
BATCH = 20_000
# (phone, name, claims): volunteers whose histories are the worst cases to measure.
LONG_HISTORIES = [
    ("13799990001", "周永刚", 1800),
    ("13799990002", "吴秀兰", 1200),
    ("13799990003", "郑海峰", 800),
]

ACTIVITIES = [
    ("elderly", "为高龄老人理发、测血压"),
    ("children", "四点半课堂：作业辅导"),
    ("environment", "楼道清洁和绿化带捡拾垃圾"),
    ("patrol", "夜间治安巡逻"),
    ("civility", "文明劝导：电动车规范停放"),
    ("culture", "广场舞和太极拳教学"),
    ("health", "家庭医生签约宣传和义诊"),
    ("disability", "助残服务：陪同复诊"),
]
FIRST = "东西南北中新和平安康福兴华永昌明光阳春长青金银山水"
SECOND = "林园湖桥港湾岭塘苑庄坊里台岗洲城门街路河溪泉田坝岸"
DISTRICT_NAMES = "江汉青山洪山汉阳武昌东湖蔡甸江夏黄陂新洲"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
GIVEN = "建华秀英志强桂兰海燕国平丽娟文博晓燕红梅德明春花玉珍永刚淑芬振国雪梅立新"
REWARD_TITLES = [
    ("5公斤大米", 300),
    ("洗衣液一瓶", 120),
    ("食用油一桶", 260),
    ("爱心早餐券", 30),
    ("理发一次", 80),
    ("抽纸一提", 60),
    ("鸡蛋一盒", 50),
    ("牙膏两支", 40),
    ("电影票一张", 150),
    ("体检套餐", 280),
]


def has_city() -> bool:
    """Whether the city was generated here already (its districts' codes)."""
    return bool(
        db.session.scalar(
            select(func.count()).select_from(OrgUnit).where(OrgUnit.code.like(f"{CODE_PREFIX}%"))
        )
    )


@dataclass
class Result:
    counts: dict[str, int]
    long_histories: list[tuple[str, str, int, int]]  # phone, name, claims, ledger entries
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)


class _Ids:
    """The next free id of each table, handed out in blocks."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.next: dict[str, int] = {}

    def take(self, table: Any, count: int = 1) -> int:
        name = table.name
        if name not in self.next:
            self.next[name] = (self.conn.scalar(select(func.max(table.c.id))) or 0) + 1
        first = self.next[name]
        self.next[name] += count
        return first


def _put(conn: Connection, table: Any, rows: list[dict]) -> int:
    """Write ``rows`` (dicts with the same keys, every column given) in large batches:
    ``COPY`` on PostgreSQL (several times faster than multi-row INSERTs there), Core
    ``executemany`` on SQLite."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        columns = list(rows[0])
        names = ", ".join(f'"{name}"' for name in columns)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
        return len(rows)
    iterator = iter(rows)
    while chunk := list(islice(iterator, BATCH)):
        conn.execute(table.insert(), chunk)
    return len(rows)


def _h(column: str, multiplier: int, salt: int) -> str:
    """A deterministic pseudo-random percentile 0–99 of an integer column, in SQL."""
    return f"((CAST({column} AS BIGINT) * {multiplier} + {salt}) % 100)"


def _json_data(dialect: str) -> str:
    """The audit event's data of a commendation, built in SQL (the one dialect branch)."""
    function = "json_build_object" if dialect == "postgresql" else "json_object"
    return f"{function}('amount', e.amount, 'entry_id', e.id)"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2])


def seed_city(*, volunteers: int, communities: int, seed: int, today: date) -> Result:
    """Generate the city (see the module's docstring); the demo is seeded first."""
    from govhub import demo
    from govhub.accounts.services import hash_password, one_hash_per_password

    started = clock.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = round(clock.monotonic() - started, 1)

    with one_hash_per_password():  # the demo's accounts share a few passwords
        demo.seed()
    phase("demo")
    rng = random.Random(seed)
    salt = [rng.randrange(1000) for _ in range(8)]
    password_hash = hash_password(PASSWORD)  # one hash for every account: scrypt is slow
    day0 = to_utc(datetime.combine(today, time(0)))  # local midnight starting today, UTC
    year_start = day0 - timedelta(days=365)
    now = day0 - timedelta(minutes=1)  # "now" for the rows written: the end of yesterday
    counts: Counter = Counter()

    engine = db.engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # 1 GB of page cache: the big tables' indexes stay in memory while they grow.
            conn.exec_driver_sql("PRAGMA cache_size = -1048576")
        ids = _Ids(conn)
        tables = {t.name: t for t in db.metadata.sorted_tables}
        t_user, t_profile = User.__table__, VolunteerProfile.__table__
        t_role = RoleAssignment.__table__
        t_org = OrgUnit.__table__

        # --- The org tree -----------------------------------------------------------
        root = conn.execute(select(t_org.c.id, t_org.c.path).where(t_org.c.code == ROOT_CODE)).one()
        streets_n = -(-communities // COMMUNITIES_PER_STREET)
        districts_n = -(-streets_n // STREETS_PER_DISTRICT)
        org_rows: list[dict] = []

        def unit(code: str, name: str, level: str, parent_path: str, parent_id: int) -> dict:
            uid = ids.take(t_org)
            row = {
                "id": uid,
                "code": code,
                "name": name,
                "level": level,
                "parent_id": parent_id,
                "path": f"{parent_path}{uid}/",
            }
            org_rows.append(row)
            return row

        districts = []
        for d in range(districts_n):
            pair = DISTRICT_NAMES[(2 * d) % len(DISTRICT_NAMES) :][:2]
            suffix = "" if d < len(DISTRICT_NAMES) // 2 else str(d // (len(DISTRICT_NAMES) // 2))
            districts.append(
                unit(f"{CODE_PREFIX}{d:02d}", f"{pair}{suffix}区", "district", root.path, root.id)
            )
        streets = []
        for s in range(streets_n):
            parent = districts[s // STREETS_PER_DISTRICT]
            name = SECOND[s % len(SECOND)] + FIRST[(s // len(SECOND)) % len(FIRST)]
            streets.append(
                unit(
                    f"{parent['code']}{s:03d}",
                    f"{name}{s // (len(FIRST) * len(SECOND)) or ''}街道",
                    "street",
                    parent["path"],
                    parent["id"],
                )
            )
        comms = []
        grids: dict[int, list[int]] = {}
        for c in range(communities):
            parent = streets[c // COMMUNITIES_PER_STREET]
            name = FIRST[c % len(FIRST)] + SECOND[(c // len(FIRST)) % len(SECOND)]
            extra = c // (len(FIRST) * len(SECOND)) or ""
            row = unit(
                f"{parent['code']}{c:04d}",
                f"{name}{extra}社区",
                "community",
                parent["path"],
                parent["id"],
            )
            comms.append(row)
            grids[row["id"]] = [
                unit(
                    f"{row['code']}-{g + 1:02d}",
                    f"{name}{extra}{'一二三四五'[g]}网格",
                    "grid",
                    row["path"],
                    row["id"],
                )["id"]
                for g in range(GRIDS_PER_COMMUNITY)
            ]
        counts["org units"] += _put(conn, t_org, org_rows)
        comm_ids = [c["id"] for c in comms]
        street_of = {c["id"]: c["parent_id"] for c in comms}

        categories = dict(conn.execute(select(Category.code, Category.id)).all())
        skills = list(conn.scalars(select(Skill.id).order_by(Skill.id)))
        rates = {}
        rate_rows = []
        for index, cid in enumerate(comm_ids):
            if index % 3 == 0:  # a third of the communities reward care of the elderly more
                for code, percent in (("elderly", 150), ("patrol", 120)):
                    rates[cid, categories[code]] = percent
                    rate_rows.append(
                        {"community_id": cid, "category_id": categories[code], "percent": percent}
                    )
        counts["category rates"] += _put(conn, CategoryRate.__table__, rate_rows)
        phase("org tree")

        # --- People -----------------------------------------------------------------
        users: list[dict] = []
        roles: list[dict] = []
        profiles: list[dict] = []
        profile_skills: list[dict] = []
        three_years = year_start - timedelta(days=3 * 365)

        def person(phone: str, name: str, created: datetime) -> int:
            uid = ids.take(t_user)
            users.append(
                {
                    "id": uid,
                    "phone": phone,
                    "name": name,
                    "password_hash": password_hash,
                    "locale": None,
                    "elder_mode": False,
                    "active": True,
                    "session_token": secrets.token_urlsafe(24),
                    "created_at": created,
                    "updated_at": created,
                }
            )
            return uid

        def role(uid: int, name: str, org_id: int | None, partner_id=None, when=None) -> None:
            roles.append(
                {
                    "id": ids.take(t_role),
                    "user_id": uid,
                    "role": name,
                    "org_unit_id": org_id,
                    "partner_id": partner_id,
                    "granted_by_id": None,
                    "created_at": when or three_years,
                }
            )

        staff_no = 0

        def staff_phone() -> str:
            nonlocal staff_no
            staff_no += 1
            return f"136{staff_no:08d}"

        admin_of: dict[int, int] = {}
        admin_phone: dict[int, str] = {}
        for row in districts + streets:
            uid = person(staff_phone(), _name(rng), three_years)
            role(uid, "oversight_admin", row["id"])
        for cid in comm_ids:
            phone = staff_phone()
            uid = person(phone, _name(rng), three_years)
            role(uid, "community_admin", cid)
            admin_of[cid], admin_phone[cid] = uid, phone

        # Volunteers: each community's are consecutive ids (the claims' fan-out uses it).
        per_comm = [
            volunteers // communities + (i < volunteers % communities) for i in range(communities)
        ]
        vbase: dict[int, int] = {}
        first_volunteer = ids.take(t_user, 0)
        home_grid: dict[int, int] = {}
        party: list[int] = []
        number = 0
        for cid, n in zip(comm_ids, per_comm, strict=True):
            vbase[cid] = ids.take(t_user, 0)
            for _ in range(n):
                number += 1
                created = year_start - timedelta(days=rng.randrange(1, 1000), minutes=number % 600)
                uid = person(f"139{number:08d}", _name(rng), created)
                grid = rng.choice(grids[cid])
                home_grid[uid] = grid
                is_party = rng.random() < PARTY_SHARE
                if is_party:
                    party.append(uid)
                weekly = rng.getrandbits(21) if rng.random() < 0.6 else None
                profiles.append(
                    {
                        "user_id": uid,
                        "community_id": cid,
                        "grid_id": grid,
                        "is_party_member": is_party,
                        "employer_unit": None,
                        "availability": None,
                        "weekly_availability": weekly,
                    }
                )
                for skill in rng.sample(skills, rng.choice((0, 1, 1, 2, 2, 3))):
                    profile_skills.append({"profile_id": uid, "skill_id": skill})
        long_ids = []
        home = comm_ids[0]
        for phone, name, _claims in LONG_HISTORIES:
            uid = person(phone, name, three_years)
            long_ids.append(uid)
            home_grid[uid] = grids[home][0]
            profiles.append(
                {
                    "user_id": uid,
                    "community_id": home,
                    "grid_id": grids[home][0],
                    "is_party_member": False,
                    "employer_unit": None,
                    "availability": None,
                    "weekly_availability": None,
                }
            )
            profile_skills.append({"profile_id": uid, "skill_id": skills[0]})
        volunteers_end = ids.take(t_user, 0)  # volunteers' ids: [first_volunteer, this)
        community_of = {p["user_id"]: p["community_id"] for p in profiles}

        # Partners: a shop in every community (its staff member an account), and units.
        t_partner = Partner.__table__
        partners: list[dict] = []
        shop_of: dict[int, int] = {}
        shop_staff: dict[int, int] = {}
        units_of: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for index, cid in enumerate(comm_ids):
            pid = ids.take(t_partner)
            uid = person(staff_phone(), _name(rng), three_years)
            shop_of[cid], shop_staff[pid] = pid, uid
            role(uid, "partner_staff", None, partner_id=pid)
            partners.append(
                {
                    "id": pid,
                    "kind": "business",
                    "name": f"{comms[index]['name'][:-2]}惠民超市",
                    "community_id": cid,
                    "address": f"{comms[index]['name'][:-2]}路{index % 200 + 1}号",
                    "contact_name": "",
                    "contact_phone": "",
                    "description": "",
                    "status": "approved",
                    "owner_id": uid,
                    "decided_by_id": admin_of[cid],
                    "decided_at": three_years,
                    "decision_reason": None,
                    "created_at": three_years,
                }
            )
            for u in range(UNITS_PER_COMMUNITY):
                pid = ids.take(t_partner)
                kind_name = ("小学", "卫生院", "供电所", "派出所", "税务所")[(index + u) % 5]
                name = f"{comms[index]['name'][:-2]}{kind_name}"
                units_of[cid].append((pid, name))
                partners.append(
                    {
                        "id": pid,
                        "kind": "unit",
                        "name": name,
                        "community_id": cid,
                        "address": "",
                        "contact_name": "",
                        "contact_phone": "",
                        "description": "",
                        "status": "approved",
                        "owner_id": None,
                        "decided_by_id": admin_of[cid],
                        "decided_at": three_years,
                        "decision_reason": None,
                        "created_at": three_years,
                    }
                )
        employer: dict[int, tuple[int, str]] = {}
        for uid in party:
            employer[uid] = rng.choice(units_of[community_of[uid]])
        for p in profiles:
            if p["user_id"] in employer:
                p["employer_unit"] = employer[p["user_id"]][1]

        counts["users"] += _put(conn, t_user, users)
        counts["volunteer profiles"] += _put(conn, t_profile, profiles)
        counts["profile skills"] += _put(conn, profile_skill, profile_skills)
        counts["partners"] += _put(conn, t_partner, partners)
        _put(conn, t_role, roles)
        # Every volunteer's volunteer role on their home community, from the profiles.
        role_offset = ids.take(t_role, volunteers_end - first_volunteer) - first_volunteer
        conn.execute(
            text(
                "INSERT INTO role_assignment (id, user_id, role, org_unit_id, created_at) "
                "SELECT p.user_id + :offset, p.user_id, 'volunteer', p.community_id,"
                " u.created_at FROM volunteer_profile p JOIN user_account u ON u.id = p.user_id"
                " WHERE p.user_id >= :first"
            ),
            {"offset": role_offset, "first": first_volunteer},
        )
        for written in (users, profiles, profile_skills, roles):
            written.clear()  # memory back before the big phases
        conn.commit()
        phase("people")

        # --- Needs and shifts ---------------------------------------------------------
        t_need, t_shift = Need.__table__, Shift.__table__
        needs: list[dict] = []
        shifts: list[dict] = []
        plan: list[dict] = []
        span_days = 365 + 14
        quarter_len = timedelta(days=365 / 4)
        needs_of: dict[int, list[tuple[int, datetime, datetime]]] = defaultdict(list)
        for ci, cid in enumerate(comm_ids):
            admin = admin_of[cid]
            n_vol = per_comm[ci]
            k = 0
            while k < SHIFTS_PER_COMMUNITY:
                size = min(rng.choice((1, 1, 2)), SHIFTS_PER_COMMUNITY - k)
                code, title = ACTIVITIES[(ci + k) % len(ACTIVITIES)]
                category = categories[code]
                pph = 10 * rates.get((cid, category), 100) // 100
                need_id = ids.take(t_need)
                slots = []
                for j in range(size):
                    # Each community on its own days, so the city has shifts every day.
                    day = ((k + j) * span_days // SHIFTS_PER_COMMUNITY + ci) % span_days
                    hour = 8 + 2 * ((ci + k + j) % 6)
                    starts = to_utc(
                        datetime.combine(year_start.date() + timedelta(days=day + 1), time(hour))
                    )
                    length = 180 if (k + j) % 5 == 0 else 120
                    slots.append((starts, starts + timedelta(minutes=length), length))
                slots.sort()
                posted = slots[0][0] - timedelta(days=6)
                last_end = slots[-1][1]
                past = last_end + timedelta(hours=4) < now
                needs.append(
                    {
                        "id": need_id,
                        "community_id": cid,
                        "grid_id": None,
                        "title": f"{title}（{(slots[0][0] + timedelta(hours=8)).month}月）",
                        "description": "社区志愿服务活动，欢迎邻里参加。",
                        "category_id": category,
                        "place": f"{comms[ci]['name']}党群服务中心",
                        "contact_name": "社区工作人员",
                        "contact_phone": admin_phone[cid],
                        "points_mode": "per_hour",
                        "points_per_hour": pph,
                        "fixed_points": None,
                        "max_minutes_per_shift": None,
                        "visibility": "community",
                        "status": "completed" if past else "open",
                        "party_task": code == "patrol" and k % 4 == 0,
                        "cancel_reason": None,
                        "created_by_id": admin,
                        "created_at": posted,
                        "updated_at": last_end + timedelta(hours=4) if past else posted,
                    }
                )
                if past:
                    needs_of[cid].append((need_id, slots[0][0], last_end))
                for starts, ends, length in slots:
                    sid = ids.take(t_shift)
                    wanted = CLAIMS_PER_VOLUNTEER * n_vol / SHIFTS_PER_COMMUNITY
                    q = max(1, min(n_vol, 480, round(wanted * rng.uniform(0.5, 1.5))))
                    shifts.append(
                        {
                            "id": sid,
                            "need_id": need_id,
                            "starts_at": starts,
                            "ends_at": ends,
                            "capacity": q,  # raised below by the long histories and free places
                            "claimed": 0,
                            "walk_ins": False,
                        }
                    )
                    plan.append(
                        {
                            "shift_id": sid,
                            "vbase": vbase[cid],
                            "nvol": n_vol,
                            "offset": rng.randrange(n_vol),
                            "q": q,
                            "claim_base": 0,
                            "past": 1 if ends + timedelta(hours=3) < now else 0,
                            "minutes": length,
                            "pph": pph,
                            "admin_id": admin,
                            "claimed_at": starts - timedelta(days=2),
                            "in_at": starts - timedelta(minutes=5),
                            "out_at": ends,
                            "out_early": ends - timedelta(minutes=40),
                            "confirmed_at": ends + timedelta(hours=3),
                            "quarter": min(
                                3, int((ends + timedelta(hours=3) - year_start) / quarter_len)
                            ),
                        }
                    )
                k += size

        # The long histories: non-overlapping shifts across the city, oldest first.
        by_start = sorted(
            range(len(shifts)), key=lambda i: (shifts[i]["starts_at"], shifts[i]["id"])
        )
        long_claims: list[tuple[int, int]] = []  # (plan index, volunteer)
        for uid, (*_who, wanted) in zip(long_ids, LONG_HISTORIES, strict=True):
            free_from = datetime.min
            chosen = []
            share = min(1.0, wanted / 1900)
            for i in by_start:
                slot = shifts[i]
                if slot["starts_at"] >= free_from and rng.random() < share:
                    chosen.append(i)
                    free_from = slot["ends_at"]
                    if len(chosen) == wanted:
                        break
            long_claims += [(i, uid) for i in chosen]
        extra_on: Counter = Counter(i for i, _uid in long_claims)
        claim_first = ids.take(Claim.__table__, 0)
        cursor = claim_first
        for i, (slot, row) in enumerate(zip(shifts, plan, strict=True)):
            row["claim_base"] = cursor
            cursor += row["q"]
            slot["capacity"] = min(Shift.MAX_CAPACITY, row["q"] + extra_on[i] + rng.randrange(6))
        ids.take(Claim.__table__, cursor - claim_first)
        counts["needs"] += _put(conn, t_need, needs)
        counts["shifts"] += _put(conn, t_shift, shifts)
        phase("needs")

        # --- Claims, attendance and earned points: fanned out in SQL ----------------------
        meta = MetaData()
        t_plan = Table(
            "city_plan",
            meta,
            Column("shift_id", Integer, primary_key=True),
            *(Column(n, Integer) for n in ("vbase", "nvol", "offset", "q", "claim_base")),
            *(Column(n, Integer) for n in ("past", "minutes", "pph", "admin_id", "quarter")),
            *(
                Column(n, DateTime)
                for n in ("claimed_at", "in_at", "out_at", "out_early", "confirmed_at")
            ),
            prefixes=["TEMPORARY"],
        )
        t_n = Table("city_n", meta, Column("n", Integer, primary_key=True), prefixes=["TEMPORARY"])
        meta.create_all(conn)
        _put(conn, t_plan, plan)
        _put(conn, t_n, [{"n": n} for n in range(max(p["q"] for p in plan))])
        claim_id = "(p.claim_base + n.n)"
        conn.execute(
            text(
                "INSERT INTO claim (id, shift_id, volunteer_id, status, queued_at, created_at,"  # noqa: S608 - built from constants
                " updated_at) "
                f'SELECT {claim_id}, p.shift_id, p.vbase + ((p."offset" + n.n) % p.nvol),'
                f" CASE WHEN {_h(claim_id, 7919, salt[0])} < 3 THEN 'cancelled'"
                " ELSE 'confirmed' END, p.claimed_at, p.claimed_at, p.claimed_at "
                "FROM city_plan p JOIN city_n n ON n.n < p.q"
            )
        )
        long_rows = []
        for i, uid in long_claims:
            when = plan[i]["claimed_at"]
            long_rows.append(
                {
                    "id": ids.take(Claim.__table__),
                    "shift_id": plan[i]["shift_id"],
                    "volunteer_id": uid,
                    "status": "confirmed",
                    "queued_at": when,
                    "created_at": when,
                    "updated_at": when,
                }
            )
        _put(conn, Claim.__table__, long_rows)
        conn.execute(
            text(
                "UPDATE shift SET claimed = (SELECT count(*) FROM claim"
                " WHERE claim.shift_id = shift.id AND claim.status = 'confirmed')"
                " WHERE shift.id >= :first"
            ),
            {"first": shifts[0]["id"]},
        )
        conn.commit()
        phase("claims")

        attendance_offset = ids.take(Attendance.__table__, 0) - claim_first
        ids.take(Attendance.__table__, ids.next["claim"] - claim_first)
        no_show = f"{_h('c.id', 104729, salt[1])} < 6"
        early = f"{_h('c.id', 1299709, salt[2])} < 10"
        card = f"{_h('c.id', 15485863, salt[3])} < 12"
        auto = f"{_h('c.id', 7907, salt[4])} < 15"
        evidence = f"CASE WHEN {card} THEN 'card_scan' ELSE 'code_scan' END"
        conn.execute(
            text(
                "INSERT INTO attendance (id, shift_id, volunteer_id, checked_in_at,"  # noqa: S608 - built from constants
                " checked_out_at, check_in_evidence, check_out_evidence, status, minutes,"
                " confirmed_at, confirmed_by_id, note, needs_review, created_at) "
                f"SELECT c.id + :offset, c.shift_id, c.volunteer_id,"
                f" CASE WHEN {no_show} THEN NULL ELSE p.in_at END,"
                f" CASE WHEN {no_show} THEN NULL WHEN {early} THEN p.out_early"
                " ELSE p.out_at END,"
                f" CASE WHEN {no_show} THEN NULL ELSE {evidence} END,"
                f" CASE WHEN {no_show} THEN NULL WHEN {early} THEN {evidence}"
                f" WHEN {auto} THEN 'auto' ELSE {evidence} END,"
                f" CASE WHEN {no_show} THEN 'no_show' ELSE 'confirmed' END,"
                f" CASE WHEN {no_show} THEN 0 WHEN {early} THEN p.minutes - 60"
                " ELSE p.minutes END,"
                " p.confirmed_at, p.admin_id,"
                f" CASE WHEN {no_show} THEN '未到场，也未请假' ELSE NULL END,"
                " :no, COALESCE(p.in_at, p.claimed_at) "
                "FROM claim c JOIN city_plan p ON p.shift_id = c.shift_id "
                "WHERE c.id >= :first AND c.status = 'confirmed' AND p.past = 1"
            ).bindparams(bindparam("no", False)),
            {"offset": attendance_offset, "first": claim_first},
        )
        phase("attendance")

        t_ledger = LedgerEntry.__table__
        ledger_first = ids.take(t_ledger, 0)
        attendance_first = claim_first + attendance_offset
        earn_offset = ledger_first - attendance_first
        conn.execute(
            text(
                "INSERT INTO ledger_entry (id, volunteer_id, amount, kind, ref_type, ref_id,"
                " actor_id, reason, minutes, idempotency_key, created_at) "
                "SELECT a.id + :offset, a.volunteer_id, p.pph * a.minutes / 60, 'earn',"
                " 'attendance', a.id, p.admin_id, NULL, a.minutes,"
                " 'attendance:' || CAST(a.id AS VARCHAR(20)) || '\\:earn', p.confirmed_at "
                "FROM attendance a JOIN city_plan p ON p.shift_id = a.shift_id "
                "WHERE a.id >= :first AND a.status = 'confirmed'"
            ),
            {"offset": earn_offset, "first": attendance_first},
        )
        ids.take(t_ledger, ids.next["attendance"] - attendance_first)
        conn.commit()
        phase("earned points")

        # Points earned in each quarter, the budget of later redemptions.
        earned: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for vid, quarter, amount in conn.execute(
            text(
                "SELECT a.volunteer_id, p.quarter, SUM(p.pph * a.minutes / 60) "
                "FROM attendance a JOIN city_plan p ON p.shift_id = a.shift_id "
                "WHERE a.id >= :first AND a.status = 'confirmed' "
                "GROUP BY a.volunteer_id, p.quarter"
            ),
            {"first": attendance_first},
        ):
            earned[vid][quarter] += int(amount)

        # --- Quarterly commendations (adjust, audited) ---------------------------------
        # A ledger entry for three in ten volunteers a quarter, by the community's admin,
        # and its audit event (as ``points.adjust`` writes), both fanned out in SQL.
        t_audit = AuditEvent.__table__
        reason = "季度优秀志愿者表彰"
        span = volunteers_end - first_volunteer
        quarters = [
            {"q": q, "at": year_start + quarter_len * (q + 1) - timedelta(days=3)}
            for q in range(4)
            if year_start + quarter_len * (q + 1) - timedelta(days=3) < now
        ]
        t_quarter = Table(
            "city_quarter",
            meta,
            Column("q", Integer, primary_key=True),
            Column("at", DateTime),
            prefixes=["TEMPORARY"],
        )
        t_admin = Table(
            "city_admin",
            meta,
            Column("community_id", Integer, primary_key=True),
            Column("admin_id", Integer),
            prefixes=["TEMPORARY"],
        )
        meta.create_all(conn)
        _put(conn, t_quarter, quarters)
        _put(conn, t_admin, [{"community_id": c, "admin_id": a} for c, a in admin_of.items()])
        adjust_first = ids.take(t_ledger, 4 * span)
        key = "q.q * 4 + p.user_id * 16"
        conn.execute(
            text(
                "INSERT INTO ledger_entry (id, volunteer_id, amount, kind, actor_id, reason,"  # noqa: S608 - built from constants
                " minutes, idempotency_key, created_at) "
                "SELECT :base + q.q * :span + p.user_id - :first, p.user_id,"
                f" CASE {_h(key, 31, salt[5])} % 3 WHEN 0 THEN 20 WHEN 1 THEN 30 ELSE 50 END,"
                " 'adjust', a.admin_id, :reason, 0, 'adjust' || '\\:city-'"
                " || CAST(q.q AS VARCHAR(2)) || '-' || CAST(p.user_id AS VARCHAR(20)), q.at "
                "FROM volunteer_profile p JOIN city_admin a ON a.community_id = p.community_id"
                f" CROSS JOIN city_quarter q WHERE p.user_id >= :first AND {_h(key, 7883, salt[6])}"
                " < 30"
            ),
            {"base": adjust_first, "span": span, "first": first_volunteer, "reason": reason},
        )
        audit_offset = ids.take(t_audit, 4 * span) - adjust_first
        conn.execute(
            text(
                "INSERT INTO audit_event (id, created_at, actor_id, action, target_type,"  # noqa: S608 - built from constants
                " target_id, reason, data, org_unit_id) "
                "SELECT e.id + :offset, e.created_at, e.actor_id, 'points.adjusted', 'user',"
                f" e.volunteer_id, e.reason, {_json_data(engine.dialect.name)}, p.community_id "
                "FROM ledger_entry e JOIN volunteer_profile p ON p.user_id = e.volunteer_id "
                "WHERE e.id >= :first AND e.id < :end"
            ),
            {"offset": audit_offset, "first": adjust_first, "end": adjust_first + 4 * span},
        )
        counts["commendations"] = (
            conn.scalar(
                select(func.count())
                .select_from(t_audit)
                .where(t_audit.c.id >= adjust_first + audit_offset)
            )
            or 0
        )
        conn.commit()
        phase("commendations")

        # --- Rewards and vouchers ---------------------------------------------------------
        t_reward, t_redemption = Reward.__table__, Redemption.__table__
        rewards_n = max(communities, round(REWARDS_PER_540 * communities / 540))
        rewards: list[dict] = []
        offered: dict[int, list[dict]] = defaultdict(list)  # community -> rewards it may redeem
        for r in range(rewards_n):
            cid = comm_ids[r % communities]
            title, price = REWARD_TITLES[(r // communities * 3 + r) % len(REWARD_TITLES)]
            street = r % 5 == 4
            reward = {
                "id": ids.take(t_reward),
                "partner_id": shop_of[cid],
                "title": title,
                "description": "",
                "photo_id": None,
                "price": price,
                "stock": 0,
                "monthly_limit": None,
                "available_from": None,
                "available_until": None,
                "area": "street" if street else "community",
                "area_unit_id": street_of[cid] if street else cid,
                "status": "active",
                "created_by_id": shop_staff[shop_of[cid]],
                "created_at": three_years,
                "updated_at": three_years,
            }
            rewards.append(reward)
            offered[cid].append(reward)
        by_street: dict[int, list[dict]] = defaultdict(list)
        for reward in rewards:
            if reward["area"] == "street":
                by_street[reward["area_unit_id"]].append(reward)
        for cid in comm_ids:
            offered[cid] = [r for r in offered[cid] if r["area"] == "community"] + by_street[
                street_of[cid]
            ]
            offered[cid].sort(key=lambda r: (r["price"], r["id"]))
        valid = timedelta(days=current_app.config["VOUCHER_VALID_DAYS"])
        codes: set[str] = set(conn.scalars(select(t_redemption.c.code)))
        vouchers: list[dict] = []
        entries = []
        taken: Counter = Counter()
        wanted_per = (0, 0, 0, 1, 1, 1, 2, 2, 2, 3)  # some find nothing they can afford
        quarter_starts = [year_start + quarter_len * q for q in range(4)]
        for vid in sorted(community_of):
            budget = 0
            spent = 0
            plans = sorted(rng.randrange(1, 4) for _ in range(rng.choice(wanted_per)))
            if vid in long_ids:
                plans = sorted(rng.randrange(1, 4) for _ in range(400))
            gains = earned.get(vid, [0, 0, 0, 0])
            choices = offered[community_of[vid]]
            for quarter in plans:
                budget = sum(gains[:quarter]) - spent
                affordable = [r for r in choices if r["price"] <= budget]
                if not affordable:
                    continue
                reward = rng.choice(affordable)
                spent += reward["price"]
                start = quarter_starts[quarter]
                end = min(now - timedelta(hours=3), start + quarter_len)
                issued = start + timedelta(
                    seconds=rng.randrange(int((end - start).total_seconds()))
                )
                rid = ids.take(t_redemption)
                while True:
                    code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                    if code not in codes:
                        codes.add(code)
                        break
                roll = rng.random()
                expires = issued + valid
                status, fulfilled_at, closed_at, closed_by = "fulfilled", None, None, None
                if roll < 0.05:
                    status, closed_at, closed_by = "cancelled", issued + timedelta(hours=2), vid
                elif expires >= now:
                    status = "issued" if roll < 0.6 else "fulfilled"
                elif roll < 0.15:
                    status, closed_at = "expired", expires
                if status == "fulfilled":
                    fulfilled_at = min(issued + timedelta(days=rng.randrange(1, 10)), now)
                if status in ("issued", "fulfilled"):
                    taken[reward["id"]] += 1
                vouchers.append(
                    {
                        "id": rid,
                        "reward_id": reward["id"],
                        "partner_id": reward["partner_id"],
                        "volunteer_id": vid,
                        "title": reward["title"],
                        "price": reward["price"],
                        "code": code,
                        "request_key": f"redeem:city-{rid}",
                        "status": status,
                        "issued_at": issued,
                        "expires_at": expires,
                        "fulfilled_at": fulfilled_at,
                        "fulfilled_by_id": shop_staff[reward["partner_id"]]
                        if fulfilled_at
                        else None,
                        "closed_at": closed_at,
                        "closed_by_id": closed_by,
                        "close_reason": None,
                    }
                )
                entries.append(
                    {
                        "id": ids.take(t_ledger),
                        "volunteer_id": vid,
                        "amount": -reward["price"],
                        "kind": "redeem",
                        "ref_type": "redemption",
                        "ref_id": rid,
                        "actor_id": vid,
                        "reason": None,
                        "minutes": 0,
                        "idempotency_key": f"redeem:{rid}",
                        "created_at": issued,
                    }
                )
                if closed_at is not None:
                    entries.append(
                        {
                            "id": ids.take(t_ledger),
                            "volunteer_id": vid,
                            "amount": reward["price"],
                            "kind": "refund",
                            "ref_type": "redemption",
                            "ref_id": rid,
                            "actor_id": closed_by,
                            "reason": None,
                            "minutes": 0,
                            "idempotency_key": f"refund:{rid}",
                            "created_at": closed_at,
                        }
                    )
        for reward in rewards:
            # What is left on the shelf; about one in eight is sold out.
            reward["stock"] = 0 if rng.random() < 0.12 else rng.randrange(1, 60)
        counts["rewards"] += _put(conn, t_reward, rewards)
        counts["vouchers"] += _put(conn, t_redemption, vouchers)
        _put(conn, t_ledger, entries)
        del vouchers, entries
        phase("vouchers")

        # --- Accounts: the sum of the ledger -------------------------------------------
        conn.execute(
            text(
                "INSERT INTO points_account (volunteer_id, balance, total_minutes, updated_at) "
                "SELECT volunteer_id, SUM(amount), SUM(minutes), :now FROM ledger_entry "
                "WHERE id >= :first GROUP BY volunteer_id"
            ),
            {"now": now, "first": ledger_first},
        )
        conn.commit()
        phase("accounts")

        # --- 双报到, resources and projects --------------------------------------------
        unit_reports, report_categories, resources, report_resources = [], [], [], []
        t_resource = Resource.__table__
        category_ids = sorted(categories.values())
        volunteers_of = {cid: (vbase[cid], n) for cid, n in zip(comm_ids, per_comm, strict=True)}
        for cid in comm_ids:
            first, n = volunteers_of[cid]
            for index, (pid, name) in enumerate(units_of[cid]):
                report_id = ids.take(UnitReport.__table__)
                submitted = year_start + timedelta(days=rng.randrange(0, 90))
                unit_reports.append(
                    {
                        "id": report_id,
                        "partner_id": pid,
                        "community_id": cid,
                        "liaison_id": first + (index * 7) % n,
                        "party_members": rng.randrange(5, 60),
                        "note": "",
                        "status": "confirmed",
                        "submitted_by_id": first + (index * 7) % n,
                        "submitted_at": submitted,
                        "decided_by_id": admin_of[cid],
                        "decided_at": submitted + timedelta(days=2),
                        "reason": None,
                        "valid_until": (submitted + timedelta(days=2 + 365)).date(),
                        "renewal_of_id": None,
                        "reminded_at": None,
                    }
                )
                for category in rng.sample(category_ids, 2):
                    report_categories.append({"report_id": report_id, "category_id": category})
                kind, label, title = (
                    ("venue", "间", "会议室借用"),
                    ("goods", "箱", "慰问物资"),
                    ("service", "小时", "专业志愿服务"),
                )[index % 3]
                resource_id = ids.take(t_resource)
                quantity = rng.randrange(2, 40)
                resources.append(
                    {
                        "id": resource_id,
                        "kind": kind,
                        "title": f"{name}{title}",
                        "description": "",
                        "quantity": quantity,
                        "remaining": quantity,
                        "unit_label": label,
                        "available_from": None,
                        "available_until": None,
                        "area_id": cid,
                        "partner_id": pid,
                        "volunteer_id": None,
                        "provider_name": "",
                        "contact_name": "",
                        "contact_phone": "",
                        "status": "offered",
                        "created_by_id": first + (index * 7) % n,
                        "created_at": submitted,
                        "updated_at": submitted,
                    }
                )
                report_resources.append({"report_id": report_id, "resource_id": resource_id})
        member_reports = []
        for uid in party:
            cid = community_of[uid]
            submitted = year_start + timedelta(days=rng.randrange(0, 200))
            member_reports.append(
                {
                    "id": ids.take(MemberReport.__table__),
                    "user_id": uid,
                    "community_id": cid,
                    "partner_id": employer[uid][0],
                    "employer_name": "",
                    "channel": "profile" if rng.random() < 0.7 else "qr",
                    "status": "confirmed",
                    "grid_id": home_grid[uid],
                    "submitted_at": submitted,
                    "decided_by_id": admin_of[cid],
                    "decided_at": submitted + timedelta(days=1),
                    "reason": None,
                    "valid_until": (submitted + timedelta(days=366)).date(),
                    "renewal_of_id": None,
                    "reminded_at": None,
                }
            )
        projects, links, project_partners = [], [], []
        for cid in comm_ids:
            done = needs_of[cid]
            for number in range(3):
                group = done[number * 10 : number * 10 + 3]
                if not group:
                    continue
                pid = ids.take(Project.__table__)
                ended = max(end for _n, _s, end in group)
                projects.append(
                    {
                        "id": pid,
                        "community_id": cid,
                        "title": ("关爱老人行动", "四点半课堂", "清洁家园")[number],
                        "summary": "把社区一季度的志愿服务活动连成一个项目。",
                        "status": "completed",
                        "origin": "need",
                        "proposed_by_partner_id": None,
                        "offer": "",
                        "starts_on": (min(s for _n, s, _e in group) + timedelta(hours=8)).date(),
                        "ends_on": (ended + timedelta(hours=8)).date(),
                        "people_served": rng.randrange(20, 200),
                        "outcome": "组织志愿服务3次，服务居民百余人次。",
                        "published": True,
                        "reason": None,
                        "created_by_id": admin_of[cid],
                        "created_at": ended,
                        "updated_at": ended + timedelta(days=2),
                        "decided_by_id": None,
                        "decided_at": None,
                        "completed_by_id": admin_of[cid],
                        "completed_at": ended + timedelta(days=2),
                    }
                )
                links += [{"project_id": pid, "need_id": n} for n, _s, _e in group]
                project_partners.append(
                    {"project_id": pid, "partner_id": units_of[cid][number % 3][0]}
                )
        counts["unit reports"] += _put(conn, UnitReport.__table__, unit_reports)
        _put(conn, unit_report_category, report_categories)
        counts["resources"] += _put(conn, t_resource, resources)
        _put(conn, unit_report_resource_table, report_resources)
        counts["member reports"] += _put(conn, MemberReport.__table__, member_reports)
        counts["projects"] += _put(conn, Project.__table__, projects)
        _put(conn, project_need, links)
        _put(conn, project_partner, project_partners)
        meta.drop_all(conn)
        conn.commit()
        phase("reporting")

        if engine.dialect.name == "postgresql":
            # Explicit ids: move each sequence past them, so the app's next row fits.
            for name in ids.next:
                table = tables[name]
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"  # noqa: S608
                        f" (SELECT max(id) FROM {name}))"
                    )
                )
            conn.commit()
        phase("sequences")

        counted: tuple[tuple[str, Any], ...] = (
            ("claims", Claim.__table__),
            ("attendances", Attendance.__table__),
            ("ledger entries", t_ledger),
            ("points accounts", PointsAccount.__table__),
        )
        for label, table in counted:
            counts[label] = conn.scalar(select(func.count()).select_from(table)) or 0
        long_rows_out = []
        for uid, (phone, name, _wanted) in zip(long_ids, LONG_HISTORIES, strict=True):
            claims = conn.scalar(
                select(func.count()).select_from(Claim.__table__).where(Claim.volunteer_id == uid)
            )
            entries_n = conn.scalar(
                select(func.count()).select_from(t_ledger).where(LedgerEntry.volunteer_id == uid)
            )
            long_rows_out.append((phone, name, claims or 0, entries_n or 0))

    # Fresh planner statistics for the new tables (outside a transaction on both).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit = 1000")  # sampled, as the nightly job
        conn.exec_driver_sql("ANALYZE")
    phase("analyze")
    return Result(dict(counts), long_rows_out, clock.monotonic() - started, phases)


def totals(conn_or_session=None) -> dict[str, int]:
    """Rows per table, for the summary."""
    session = conn_or_session or db.session
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }


__all__ = ["LONG_HISTORIES", "PASSWORD", "Result", "has_city", "seed_city", "totals"]
