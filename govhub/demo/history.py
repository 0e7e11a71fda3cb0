"""A year of history in the demo, added at the end of ``demo.seed``.

In each of the twelve whole months before this one, 金叶社区, 南昌路社区 and 香城社区
(and, every third month, 华舟社区) post a few needs a month in several categories; demo residents
(138000001xx, registered over the year, so the city grows and "new this period" varies)
claim their shifts, check in (mostly scanning the code, some cards scanned by the
organizer, a few entered by the admin with a reason, some checked out automatically at
the end), and the admin confirms the hours, which credits the points. Some claimants do
not turn up (no-show). Residents redeem points at 香城惠民超市 (fulfilled at the counter,
one given back, one expired unused), submit requests for help (most decided within a day
or two, two left waiting past their time), rate the needs they served, and two more
projects are completed. 南昌路社区 lags: fewer needs, emptier shifts, fewer hours.

Everything goes through the domain services with the clock set back, so balances equal
the ledger, capacities hold and every key is unique. The first resident's phone is the
marker: once it exists, the history is there and seeding again adds nothing. The demo's
own volunteers (张晓明, 陈丽华, 刘建国) take no part, so their pages stay small.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from govhub.accounts import services as accounts
from govhub.accounts.models import RoleAssignment, User
from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.clock import local_date, to_utc
from govhub.database import transactional
from govhub.extensions import db
from govhub.needs import claims as needs_claims
from govhub.needs import posting, resident_requests
from govhub.needs.models import Category, Need, Urgency
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.points import services as points
from govhub.projects import services as projects
from govhub.rewards import vouchers
from govhub.rewards.models import Reward

PASSWORD = "demo-volunteer-2026"  # noqa: S105
MONTHS = 12
FIRST_PHONE = 100  # 13800000100, the marker
# (home, how many residents): grids of 金叶 and 南昌路, 香城 and 华舟 have none.
HOMES = [
    ("金叶一网格", 12),
    ("金叶二网格", 10),
    ("南昌路一网格", 8),
    ("香城社区", 8),
    ("华舟社区", 3),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
GIVEN = [
    "建华",
    "秀英",
    "志强",
    "桂兰",
    "海燕",
    "国平",
    "丽娟",
    "文博",
    "晓燕",
    "红梅",
    "德明",
    "春花",
]
# community: (admin phone, needs a month at the start and at the end, share of the
# places taken, activities)
PLANS = {
    "金叶社区": ("13800000002", (1, 3), 0.9),
    "南昌路社区": ("13800000003", (1, 1), 0.45),
    "香城社区": ("13800000005", (1, 2), 0.8),
    "华舟社区": ("13800000001", (1, 1), 0.7),
}
ACTIVITIES = [
    ("elderly", "五彩夕阳：为高龄老人理发、测血压", "九点"),
    ("children", "四点半课堂：放学后作业辅导", "课堂"),
    ("environment", "楼道清洁和绿化带捡拾垃圾", "环境"),
    ("patrol", "夜间治安巡逻", "巡防"),
    ("civility", "文明劝导：电动车规范停放", "劝导"),
    ("culture", "广场舞和太极拳教学", "文体"),
    ("health", "家庭医生签约宣传和义诊", "义诊"),
    ("disability", "助残服务：陪同残疾人复诊", "助残"),
]
REQUESTS = [
    ("帮忙修一下漏水的水龙头", "厨房水龙头一直滴水，老两口不会修。"),
    ("陪老人去银行办理社保卡", "老人行动不便，需要有人陪同。"),
    ("帮忙搬运旧家具到楼下", "一张旧沙发，需要两个人搬。"),
    ("教老人用手机挂号", "想学会在手机上预约社区医院。"),
    ("孩子周末没人照看", "父母周末加班，需要有人陪伴孩子写作业。"),
    ("楼道灯坏了很久没人修", "3栋2单元楼道灯不亮，晚上出入不便。"),
]


def _residents() -> list[tuple[str, str, str]]:
    """(phone, name, home), the homes interleaved so every community grows over the year."""
    order = sorted(
        ((k + 0.5) / count, position, home)
        for position, (home, count) in enumerate(HOMES)
        for k in range(count)
    )
    rows = []
    for index, (_key, _position, home) in enumerate(order):
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[index % len(GIVEN)]
        rows.append((f"13800000{FIRST_PHONE + index:03d}", name, home))
    return rows


def _month_start(now: datetime, ago: int) -> date:
    """The first day of the local month ``ago`` months before now's."""
    today = local_date(now)
    month = today.year * 12 + today.month - 1 - ago
    return date(month // 12, month % 12 + 1, 1)


@transactional
def seed_history_year(by_name: dict[str, OrgUnit], added: Counter, *, now: datetime) -> None:
    if accounts.find_by_phone(f"13800000{FIRST_PHONE:03d}") is not None:
        return
    rng = random.Random(14)
    users = {u.phone: u for u in db.session.scalars(select(User))}
    categories = {c.code: c.id for c in db.session.scalars(select(Category))}

    # Residents, registered over the year (most in the first months, then a few a month).
    homes: dict[str, list[tuple[User, datetime]]] = {name: [] for name in PLANS}
    residents = _residents()
    for index, (phone, name, home) in enumerate(residents):
        unit = by_name[home]
        grid = unit if unit.level is OrgLevel.grid else None
        community = unit.parent if grid and unit.parent else unit
        user = accounts.register(phone, name, PASSWORD, community.id, grid.id if grid else None)
        share = index / len(residents)
        months_in = int((share**1.5) * (MONTHS - 1))  # months after the first
        joined = to_utc(
            datetime.combine(_month_start(now, MONTHS - months_in), time(10))
            + timedelta(days=index % 20)
        )
        user.created_at = joined
        for assignment in db.session.scalars(
            select(RoleAssignment).where(RoleAssignment.user_id == user.id)
        ):
            assignment.created_at = joined
        homes[community.name].append((user, joined))
        added["users"] += 1

    shop = db.session.scalars(select(Reward).where(Reward.title == "爱心早餐券：包子加豆浆")).one()
    soap = db.session.scalars(select(Reward).where(Reward.title == "洗衣液一瓶")).one()
    cashier = users["13800000020"]
    completed: dict[str, list[Need]] = {name: [] for name in PLANS}
    voucher_no = 0
    for ago in range(MONTHS, 0, -1):  # the twelve whole months before this one
        month = _month_start(now, ago)
        grown = (MONTHS - ago) / (MONTHS - 1)
        for community_name, (admin_phone, (low, high), share) in PLANS.items():
            if community_name == "华舟社区" and ago % 3:
                continue
            community = by_name[community_name]
            admin = users[admin_phone]
            count = low + round((high - low) * grown)
            for number in range(count):
                day = month + timedelta(days=4 + number * 8 + rng.randrange(3))
                begins = to_utc(datetime.combine(day, time(9 if number % 2 else 14)))
                code, title, _tag = ACTIVITIES[(ago * 3 + number + len(community_name)) % 8]
                need = _activity(
                    community,
                    admin,
                    categories[code],
                    f"{title}（{day.month}月）",
                    begins,
                    capacity=6 if community_name == "南昌路社区" else 5,
                )
                people = [
                    u for u, joined in homes[community_name] if joined < begins - timedelta(days=4)
                ]
                rng.shuffle(people)
                taken = people[: max(1, round(need.shifts[0].capacity * share))]
                _run(need, admin, taken, rng, added)
                completed[community_name].append(need)
                added["history needs"] += 1
        # Points spent at the shop of 金叶社区 every other month, fulfilled the next day.
        if ago % 2 == 0 and ago < MONTHS - 2:
            when = to_utc(datetime.combine(month + timedelta(days=25), time(16)))
            for user, joined in homes["金叶社区"][:6]:
                if joined > when:
                    continue
                balance = points.account(user.id).balance
                reward = soap if balance >= soap.price + 40 else shop
                if balance < reward.price:
                    continue
                voucher_no += 1
                voucher = vouchers.redeem(
                    user.id, reward.id, key=f"demo:history:{voucher_no}", now=when
                )
                added["vouchers"] += 1
                if voucher_no == 3:
                    vouchers.cancel(user.id, voucher.id, now=when + timedelta(hours=2))
                elif voucher_no == 5:
                    vouchers.expire_voucher(voucher.id, now=voucher.expires_at)
                else:
                    vouchers.fulfil(cashier.id, voucher.id, now=when + timedelta(days=1))

    _requests(by_name, users, homes, completed, now, added)
    _projects(users, completed, now, added)


def _activity(
    community: OrgUnit,
    admin: User,
    category_id: int,
    title: str,
    begins: datetime,
    *,
    capacity,
    posted: datetime | None = None,
) -> Need:
    """A published need of one 2-hour shift starting ``begins``, posted ``posted`` (six
    days before, by default)."""
    posted = posted or begins - timedelta(days=6)
    need = posting.save_need(
        admin.id,
        community.id,
        posting.NeedInput(
            title=title,
            description="社区志愿服务活动，欢迎邻里参加。",
            category_id=category_id,
            place=f"{community.name}党群服务中心",
            contact_name=admin.name,
            contact_phone=admin.phone,
        ),
        [posting.ShiftInput(begins, begins + timedelta(hours=2), capacity)],
        now=posted,
    )
    need.created_at = posted  # save_need stamps the real time; the figures count by it
    posting.publish(admin.id, need.id, now=posted)
    return need


def _run(need: Need, admin: User, people: list[User], rng: random.Random, added) -> None:
    """Claims, check-ins (a mix of evidence), check-outs, confirmation and completion."""
    shift = need.shifts[0]
    claimed = shift.starts_at - timedelta(days=1)
    for person in people:
        claim = needs_claims.claim_shift(person.id, shift.id, now=claimed)
        claim.created_at = claim.queued_at = claimed  # stamped with the real time
    ends = shift.ends_at
    for person in people:
        roll = rng.random()
        arrived = shift.starts_at + timedelta(minutes=rng.randrange(0, 10))
        if roll < 0.08:
            checkin.mark_no_show(
                admin.id, shift.id, person.id, "未到场，也未请假", now=ends + timedelta(hours=1)
            )
            added["no-shows"] += 1
            continue
        if roll < 0.13:
            evidence, actor, reason = Evidence.manual, admin.id, "手机没电，工作人员代为登记"
        elif roll < 0.28:
            evidence, actor, reason = Evidence.card_scan, admin.id, None
        else:
            evidence, actor, reason = Evidence.code_scan, None, None
        checkin.check_in(
            person.id, shift.id, now=arrived, evidence=evidence, actor_id=actor, reason=reason
        )
        if rng.random() < 0.15:
            continue  # forgot to check out: the system does at the end
        left = ends - timedelta(minutes=rng.randrange(0, 20))
        checkin.check_out(
            person.id, shift.id, now=left, evidence=evidence, actor_id=actor, reason=reason
        )
    checkin.auto_check_out(now=ends)
    added["confirmed attendances"] += checkin.confirm_shift(
        admin.id, shift.id, {}, now=ends + timedelta(hours=3)
    )
    posting.complete(admin.id, need.id, now=ends + timedelta(hours=4))
    for person in people[:2]:
        _rate(person, need, 5 if rng.random() < 0.7 else 4, "组织有序，很有意义。", ends)
        added["ratings"] += 1


def _rate(person: User, need: Need, stars: int, comment: str, ended: datetime) -> None:
    """A rating the day after; ``rate`` stamps the real time, the figures count by it."""
    when = ended + timedelta(days=1)
    rating = resident_requests.rate(person.id, need.id, stars, comment, now=when)
    rating.created_at = when


def _requests(by_name, users, homes, completed, now: datetime, added: Counter) -> None:
    """Residents' requests: most made into needs or declined within a day or two, two of
    香城社区 and 南昌路社区 still waiting, past the time they should have been answered."""
    number = 0
    for community_name in ("金叶社区", "南昌路社区", "香城社区"):
        admin = users[PLANS[community_name][0]]
        people = [u for u, _joined in homes[community_name]]
        for ago in (10, 7, 4, 2):
            what, details = REQUESTS[number % len(REQUESTS)]
            requester = people[number % len(people)]
            asked = to_utc(datetime.combine(_month_start(now, ago) + timedelta(days=12), time(9)))
            if asked < requester.created_at:
                asked = requester.created_at + timedelta(days=1)
            number += 1
            request = resident_requests.submit(
                requester.id,
                what=what,
                details=details,
                when_text="本周内",
                place=f"{community_name}居民楼",
                urgency=Urgency.normal,
                now=asked,
            )
            added["history requests"] += 1
            decided = asked + timedelta(hours=6 + 18 * (number % 3))
            if number % 4 == 2:
                resident_requests.decline(
                    admin.id, request.id, "已转物业公司处理，请联系物业。", now=decided
                )
                continue
            begins = to_utc(datetime.combine(local_date(decided) + timedelta(days=2), time(15)))
            need = posting.save_need(
                admin.id,
                by_name[community_name].id,
                posting.NeedInput(
                    title=what,
                    description=details,
                    category_id=db.session.scalar(
                        select(Category.id).where(Category.code == "other")
                    ),
                    place=f"{community_name}居民楼",
                    contact_name=admin.name,
                    contact_phone=admin.phone,
                ),
                [posting.ShiftInput(begins, begins + timedelta(hours=1), 2)],
                now=decided,
                request_id=request.id,
            )
            need.created_at = decided
            posting.publish(admin.id, need.id, now=decided)
            helpers = [u for u in people if u.id != requester.id and u.created_at < decided][:2]
            _run(need, admin, helpers, random.Random(number), added)
            _rate(requester, need, 5, "志愿者很热心，谢谢！", need.shifts[0].ends_at)
            added["ratings"] += 1
        # One request lately, not yet answered (overdue), in the lagging and the far one.
        if community_name != "金叶社区":
            resident_requests.submit(
                people[-1].id,
                what="小区健身器材损坏",
                details="单杠松动，存在安全隐患，请尽快处理。",
                when_text="尽快",
                place=f"{community_name}小广场",
                urgency=Urgency.high,
                now=now - timedelta(days=5),
            )
            added["history requests"] += 1


def _projects(users, completed, now: datetime, added: Counter) -> None:
    """Two more completed projects, from a quarter's activities of 香城 and 金叶."""
    for community_name, title, served in (
        ("香城社区", "香城社区关爱老人行动", 180),
        ("金叶社区", "金叶社区四点半课堂", 60),
    ):
        needs = completed[community_name][-6:-3]
        if not needs:
            continue
        admin = users[PLANS[community_name][0]]
        ended = max(s.ends_at for n in needs for s in n.shifts)
        project = projects.record(
            admin.id,
            needs[0].community_id,
            projects.ProjectInput(
                title=title,
                summary="把一个季度的志愿服务活动连成一个项目。",
                starts_on=local_date(min(s.starts_at for n in needs for s in n.shifts)),
                ends_on=local_date(ended),
            ),
            [n.id for n in needs],
            [],
            now=ended,
        )
        projects.complete(
            admin.id,
            project.id,
            people_served=served,
            outcome=f"一个季度组织志愿服务{len(needs)}次，服务居民约{served}人次。",
            photos=[],
            published=True,
            now=ended + timedelta(days=2),
        )
        added["projects"] += 1
