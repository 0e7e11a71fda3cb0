"""What the scenarios need in the city, made through govhub's services, and the checks
that follow them. Runs inside the app (the database of GOVHUB_DATABASE_URL):

    python -m bench.fixtures setup OUT.json CHECKINS REDEEMERS STOCK  # a shift, a reward
    python -m bench.fixtures verify-checkin FIXTURE.json
    python -m bench.fixtures verify-redeem FIXTURE.json
    python -m bench.fixtures jobs                  # every scheduled job, a writer beside it
    python -m bench.fixtures writer                # that writer (until stdin closes)
    python -m bench.fixtures analyze               # the planner statistics of a night
    python -m bench.fixtures warm                  # the dashboards the scheduler keeps

Each prints JSON. The demo accounts (which seed-city keeps) are the organizer, the shop
and the oversight admins.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from govhub import create_app
from govhub.accounts import services as accounts
from govhub.accounts.models import User, VolunteerProfile
from govhub.checkin.models import Attendance
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims, posting
from govhub.needs.models import Category, Need, NeedStatus
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from govhub.rewards import catalog
from govhub.rewards.models import Redemption, Reward, RewardArea

PASSWORD = "bench-volunteer-2026"
ORGANIZER = ("13800000002", "demo-jinye-2026")  # 王书记, community admin of 金叶社区
SYSTEM_ADMIN = ("13800000001", "demo-admin-2026")
STREET_ADMIN = ("13800000004", "demo-yongan-2026")
DISTRICT_ADMIN = ("13800000006", "demo-xianan-2026")
SHOP_OWNER = ("13800000020", "demo-business-2026")
TYPICAL_VOLUNTEER = ("13800000010", "demo-volunteer-2026")
DEMO_PASSWORD = "demo-volunteer-2026"
COMMUNITY = "金叶社区"
SHOP = "香城惠民超市"
REWARD_PRICE = 20
GRANT = 100


def bench_phone(kind: int, index: int) -> str:
    """Phones no demo or city account uses: 199 + kind + 7 digits."""
    return f"199{kind}{index:07d}"


def _register(phones: list[str], community: OrgUnit) -> list[int]:
    grid_id = min((c.id for c in community.children), default=None)
    ids = []
    for number, phone in enumerate(phones):
        user = accounts.find_by_phone(phone) or accounts.register(
            phone, f"压测志愿者{number}", PASSWORD, community.id, grid_id
        )
        ids.append(user.id)
    return ids


def setup(checkins: int, redeemers: int, stock: int) -> dict:
    now = utcnow()
    community = db.session.scalars(select(OrgUnit).where(OrgUnit.name == COMMUNITY)).one()
    admin = accounts.find_by_phone(ORGANIZER[0])
    assert admin is not None, "the demo organizer account is missing"

    # The check-in burst: a shift running now with every volunteer claimed.
    checkin_ids = _register([bench_phone(1, i) for i in range(checkins)], community)
    earlier = now - timedelta(hours=1)
    start = now - timedelta(minutes=5)
    need = posting.save_need(
        admin.id,
        community.id,
        posting.NeedInput(
            title="压测活动：扫码签到",
            description="make bench 的签到压测。",
            category_id=db.session.scalar(select(Category.id).order_by(Category.id)),
            place="金叶社区党群服务中心",
            contact_name=admin.name,
            contact_phone=admin.phone,
        ),
        [posting.ShiftInput(start, start + timedelta(hours=3), max(checkins, 1))],
        now=earlier,
    )
    posting.publish(admin.id, need.id, now=earlier)
    shift_id = need.shifts[0].id
    for volunteer_id in checkin_ids:
        claims.claim_shift(volunteer_id, shift_id, now=earlier)

    # The redemption rush: a reward with little stock, volunteers who can afford it.
    shop = db.session.scalars(select(Partner).where(Partner.name == SHOP)).one()
    owner = accounts.find_by_phone(SHOP_OWNER[0])
    assert owner is not None
    reward = catalog.save_reward(
        owner.id,
        shop.id,
        catalog.RewardInput(
            title="压测奖品",
            description="make bench 的兑换压测。",
            price=REWARD_PRICE,
            stock=stock,
            monthly_limit=None,
            available_from=None,
            available_until=None,
            area=RewardArea.community,
        ),
    )
    redeem_phones = [bench_phone(2, i) for i in range(redeemers)]
    for volunteer_id in _register(redeem_phones, community):
        points.post_entry(
            volunteer_id,
            GRANT,
            EntryKind.adjust,
            key=f"bench:grant:{volunteer_id}",
            reason="make bench",
            now=now,
        )

    for table in ("bench_ceiling", "bench_write"):
        identity = "" if db.engine.dialect.name == "sqlite" else " GENERATED BY DEFAULT AS IDENTITY"
        db.session.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {table} "
                f"(id INTEGER PRIMARY KEY{identity}, at VARCHAR(40) NOT NULL)"
            )
        )
    db.session.commit()
    return {
        "password": PASSWORD,
        "organizer": ORGANIZER,
        "shift_id": shift_id,
        "checkin_phones": [bench_phone(1, i) for i in range(checkins)],
        "reward_id": reward.id,
        "reward_stock": stock,
        "redeem_phones": redeem_phones,
        "pages": page_fixture(community, shop),
    }


def page_fixture(community: OrgUnit, shop: Partner) -> dict:
    """Who opens which page: in a generated city (seed-city), one of its communities, its
    admin and a volunteer with a typical history, and its longest history; otherwise the
    demo's."""
    from govhub.accounts.models import RoleAssignment
    from govhub.demo import city

    chosen, admin, typical, longest = community, ORGANIZER, TYPICAL_VOLUNTEER, None
    oversight = {
        OrgLevel.district: DISTRICT_ADMIN,
        OrgLevel.street: STREET_ADMIN,
        OrgLevel.community: ORGANIZER,
    }
    if city.has_city():
        chosen = db.session.scalars(
            select(OrgUnit)
            .where(OrgUnit.code.like(f"{city.CODE_PREFIX}%"), OrgUnit.level == OrgLevel.community)
            .order_by(OrgUnit.code)
        ).first()
        admin_phone = db.session.scalar(
            select(User.phone)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.org_unit_id == chosen.id, RoleAssignment.role == "community_admin"
            )
            .order_by(User.id)
        )
        admin = (admin_phone, city.PASSWORD)
        # A typical volunteer: the one of the community's with the median number of
        # ledger entries.
        counts = db.session.execute(
            select(User.phone, func.count(LedgerEntry.id).label("n"))
            .join(LedgerEntry, LedgerEntry.volunteer_id == User.id)
            .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .where(VolunteerProfile.community_id == chosen.id)
            .group_by(User.phone)
            .order_by(text("n"))
        ).all()
        if counts:
            typical = (counts[len(counts) // 2].phone, city.PASSWORD)
        longest = (city.LONG_HISTORIES[0][0], city.PASSWORD)
        # The system admin opens the generated district, street and community.
        oversight = dict.fromkeys(oversight, SYSTEM_ADMIN)
    ancestors = {
        u.level: u
        for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(chosen.ancestor_ids)))
    }
    root = db.session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.code)
    ).first()
    if longest is None:
        found = db.session.execute(
            select(User.phone, func.count(LedgerEntry.id).label("n"))
            .join(LedgerEntry, LedgerEntry.volunteer_id == User.id)
            .where(User.phone.like("138000%"))
            .group_by(User.phone)
            .order_by(text("n DESC"))
            .limit(1)
        ).first()
        longest = (found.phone, DEMO_PASSWORD) if found else TYPICAL_VOLUNTEER
    longest_entries = db.session.scalar(
        select(func.count(LedgerEntry.id))
        .join(User, User.id == LedgerEntry.volunteer_id)
        .where(User.phone == longest[0])
    )
    need_id = db.session.scalar(
        select(Need.id)
        .where(Need.community_id == chosen.id, Need.status == NeedStatus.open)
        .order_by(Need.id.desc())
    )
    units = {
        "city": (root.id if root else None, SYSTEM_ADMIN),
        **{
            level.value: (ancestors[level].id if level in ancestors else None, who)
            for level, who in oversight.items()
        },
    }
    return {
        "units": units,
        "category": db.session.scalar(select(Category.id).order_by(Category.id)),
        "need": need_id,
        "admin": admin,
        "shop": shop.id,
        "typical": typical,
        "longest": longest,
        "longest_entries": longest_entries,
    }


def verify_checkin(fixture: dict) -> dict:
    """Every volunteer recorded exactly once, checked in, and no one else."""
    ids = set(db.session.scalars(select(User.id).where(User.phone.in_(fixture["checkin_phones"]))))
    rows = db.session.execute(
        select(Attendance.volunteer_id, func.count(), func.count(Attendance.checked_in_at))
        .where(Attendance.shift_id == fixture["shift_id"])
        .group_by(Attendance.volunteer_id)
    ).all()
    counts = {row[0]: (row[1], row[2]) for row in rows}
    once = sum(1 for v in ids if counts.get(v) == (1, 1))
    return {
        "volunteers": len(ids),
        "recorded_once": once,
        "missing": sum(1 for v in ids if v not in counts),
        "duplicated": sum(1 for n, _ in counts.values() if n > 1),
        "not_checked_in": sum(1 for n, c in counts.values() if c < n),
        "strangers": sum(1 for v in counts if v not in ids),
        "exactly_once": once == len(ids) and len(counts) == len(ids),
    }


def verify_redeem(fixture: dict) -> dict:
    """Stock, vouchers, and every balance against the ledger, exactly."""
    reward = db.session.get_one(Reward, fixture["reward_id"])
    vouchers = db.session.execute(
        select(Redemption.volunteer_id, func.count())
        .where(Redemption.reward_id == reward.id)
        .group_by(Redemption.volunteer_id)
    ).all()
    per_volunteer = dict(vouchers)
    issued = sum(per_volunteer.values())
    stock = fixture["reward_stock"]
    users = db.session.execute(
        select(User.id, PointsAccount.balance)
        .join(PointsAccount, PointsAccount.volunteer_id == User.id)
        .where(User.phone.in_(fixture["redeem_phones"]))
    ).all()
    wrong = negative = 0
    for user_id, balance in users:
        expected = GRANT - REWARD_PRICE * per_volunteer.get(user_id, 0)
        if balance != points.ledger_sum(user_id) or balance != expected:
            wrong += 1
        negative += balance < 0
    return {
        "stock_left": reward.stock,
        "vouchers": issued,
        "oversold": issued > stock or reward.stock < 0,
        "stock_consistent": reward.stock + issued == stock,
        "balances_checked": len(users),
        "balances_wrong": wrong,
        "negative_balances": negative,
        "exact": (
            not wrong
            and not negative
            and reward.stock + issued == stock
            and issued == min(stock, len(users))
        ),
    }


def writer() -> list[list[float]]:
    """Small write transactions, one every 20 ms, until stdin closes (a process of its
    own, so that it waits for the database and not for the jobs' share of the GIL).
    Returns [wall-clock start, seconds] of each."""
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    writes: list[list[float]] = []
    with db.engine.connect() as connection:  # opened before the first measured write
        connection.execute(text("SELECT 1"))
        connection.commit()
        print("ready", file=sys.stderr, flush=True)
        while not stop.is_set():
            at, started = time.time(), time.perf_counter()
            try:
                with connection.begin():
                    connection.execute(
                        text("INSERT INTO bench_write (at) VALUES (CURRENT_TIMESTAMP)")
                    )
            except OperationalError:
                # SQLite's busy timeout ran out ("database is locked"): the write was
                # refused after waiting that long; it counts as a wait, and a failure.
                writes.append([at, time.perf_counter() - started, 1])
            else:
                writes.append([at, time.perf_counter() - started, 0])
            stop.wait(0.02)
    return writes


def jobs() -> dict:
    """Each scheduled job once over the city, the ledger audit first, while a writer
    process commits one small transaction every 20 ms; each job is charged with the
    slowest write that overlapped it."""
    import subprocess

    from govhub.jobs import JOBS

    process = subprocess.Popen(
        [sys.executable, "-m", "bench.fixtures", "writer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None and process.stdin is not None
    process.stderr.readline()  # "ready"
    time.sleep(0.1)
    spans = {}
    order = ["audit_ledger", *[name for name in JOBS if name != "audit_ledger"]]
    try:
        for name in order:
            started = time.time()
            result = JOBS[name].func(now=utcnow())  # type: ignore[operator]
            db.session.remove()
            spans[name] = (started, time.time(), result)
            time.sleep(0.1)  # a gap, so a write is charged to the job it overlapped
    finally:
        process.stdin.close()
        out = process.stdout.read() if process.stdout else ""
        errors = process.stderr.read()
        process.wait(60)
    if not out.strip():
        raise RuntimeError(f"the writer failed: {errors[-2000:]}")
    writes = json.loads(out.strip().splitlines()[-1])
    timings = {}
    for name, (started, ended, result) in spans.items():
        overlapping = [w for w in writes if w[0] < ended and w[0] + w[1] > started]
        during = [w[1] for w in overlapping]
        timings[name] = {
            "seconds": round(ended - started, 3),
            "result": result if isinstance(result, int) else str(result),
            "writer_max_wait_ms": round(max(during, default=0) * 1000, 1),
            "writer_writes": len(during),
            "writer_refused": sum(w[2] for w in overlapping),
        }
    return {
        "jobs": timings,
        "writer_max_wait_ms": round(max((w[1] for w in writes), default=0) * 1000, 1),
        "writer_writes": len(writes),
        "writer_refused": sum(w[2] for w in writes),
    }


def analyze() -> dict:
    """The planner statistics a deployment has after its first night: SQLite's nightly
    job (a sampled ANALYZE), or PostgreSQL's ANALYZE (autovacuum would get there in its
    own time; a freshly loaded city has none)."""
    from govhub.jobs import refresh_statistics

    started = time.perf_counter()
    if db.engine.dialect.name == "sqlite":
        refresh_statistics(now=utcnow())
    else:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    return {"analyze_s": round(time.perf_counter() - started, 1)}


def warm() -> dict:
    """What the scheduler does when it starts: the dashboards job, timed."""
    from govhub.jobs import JOBS

    started = time.perf_counter()
    counted = JOBS["refresh_dashboards"].func(now=utcnow())  # type: ignore[operator]
    return {"dashboards": counted, "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    command = sys.argv[1]
    app = create_app()
    # Cheap password hashes for the benchmark's own volunteers: logging 700 of them in
    # is preparation, not what is measured.
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    with app.app_context():
        if command == "setup":
            fixture = setup(int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
            with open(sys.argv[2], "w", encoding="utf-8") as handle:
                json.dump(fixture, handle, ensure_ascii=False)
            result = {"shift_id": fixture["shift_id"], "reward_id": fixture["reward_id"]}
        elif command == "jobs":
            result = jobs()
        elif command == "warm":
            result = warm()
        elif command == "analyze":
            result = analyze()
        elif command == "writer":
            result = writer()
        else:
            with open(sys.argv[2], encoding="utf-8") as handle:
                fixture = json.load(handle)
            result = {"verify-checkin": verify_checkin, "verify-redeem": verify_redeem}[command](
                fixture
            )
    json.dump(result, sys.stdout, ensure_ascii=False, default=str)


if __name__ == "__main__":
    main()
