"""``flask seed-city``: a small city, on both databases, as the benchmark's full one.

It must be consistent the way the app keeps data (the ledger audit is clean, balances are
ledger sums, vouchers agree with their entries, capacities hold), usable (demo and long-
history logins, a city volunteer's main pages), deterministic for a seed, and run once.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select, text

from govhub import create_app
from govhub.accounts.models import User
from govhub.clock import to_utc
from govhub.database import utcnow
from govhub.demo import city
from govhub.extensions import db
from govhub.points import services as points
from govhub.points.models import LedgerEntry, PointsAccount
from tests.conftest import TEST_CONFIG

TODAY = "2026-06-15"
ARGS = ["seed-city", "--volunteers", "2000", "--communities", "6", "--seed", "3"]


def _count(sql: str, **params) -> int:
    return db.session.scalar(text(sql), params)


def test_a_small_city_is_consistent_usable_and_made_once(app, runner, client, auth):
    result = runner.invoke(args=[*ARGS, "--today", TODAY])
    assert result.exit_code == 0, result.output
    assert "13799990001" in result.output and city.PASSWORD in result.output
    assert "Done in" in result.output

    # The counts scale as documented: 6 communities of 3 grids under 1 street (of ≤10
    # communities) and 1 district; 2,000 volunteers and the 3 long histories.
    assert _count("SELECT count(*) FROM org_unit WHERE code LIKE '4299%'") == 1 + 1 + 6 + 18
    assert _count("SELECT count(*) FROM user_account WHERE phone LIKE '139%'") == 2000
    assert _count("SELECT count(*) FROM volunteer_profile") == 2000 + 3 + 51  # and the demo's
    shifts = _count(
        "SELECT count(*) FROM shift JOIN need ON need.id = shift.need_id"
        " JOIN org_unit o ON o.id = need.community_id WHERE o.code LIKE '4299%'"
    )
    assert shifts == 6 * city.SHIFTS_PER_COMMUNITY
    claims = _count(
        "SELECT count(*) FROM claim c JOIN user_account u ON u.id = c.volunteer_id"
        " WHERE u.phone LIKE '139%'"
    )
    # About 8 claims a volunteer (each shift takes ±50 % of its share).
    assert 0.8 * 8 * 2000 < claims < 1.2 * 8 * 2000
    assert _count("SELECT count(*) FROM attendance") > 0.85 * claims
    # 2,000 rewards for 540 communities, scaled: 22 for 6 (and the demo's 4).
    assert _count("SELECT count(*) FROM reward") == 4 + round(city.REWARDS_PER_540 * 6 / 540)
    assert _count("SELECT count(*) FROM partner") == 4 + 6 * 4
    assert _count("SELECT count(*) FROM unit_report WHERE status = 'confirmed'") >= 6 * 3
    assert _count("SELECT count(*) FROM member_report") > 100  # ~9 % of the volunteers

    # The long histories are long, in claims and in ledger entries.
    longest = db.session.scalar(select(User).where(User.phone == "13799990001"))
    assert _count("SELECT count(*) FROM claim WHERE volunteer_id = :v", v=longest.id) > 200
    assert _count("SELECT count(*) FROM ledger_entry WHERE volunteer_id = :v", v=longest.id) > 200

    # The ledger: the audit finds nothing; every balance is its sum; none is negative.
    run = points.audit_ledger(now=utcnow())
    assert run.mismatches == [] and run.accounts_checked > 2000
    db.session.rollback()
    sums = dict(
        db.session.execute(
            select(LedgerEntry.volunteer_id, func.sum(LedgerEntry.amount)).group_by(
                LedgerEntry.volunteer_id
            )
        ).all()
    )
    balances = dict(
        db.session.execute(select(PointsAccount.volunteer_id, PointsAccount.balance)).all()
    )
    assert set(sums) <= set(balances)
    assert balances == {vid: int(sums.get(vid, 0)) for vid in balances}
    assert min(balances.values()) >= 0
    # Never negative at any moment either: the running sum in time order stays >= 0.
    running: dict[int, int] = {}
    for vid, amount in db.session.execute(
        select(LedgerEntry.volunteer_id, LedgerEntry.amount).order_by(
            LedgerEntry.created_at, LedgerEntry.id
        )
    ):
        running[vid] = running.get(vid, 0) + amount
        assert running[vid] >= 0, vid
    # Each earn entry is its attendance's minutes at its need's rate.
    assert not _count(
        "SELECT count(*) FROM ledger_entry e JOIN attendance a ON a.id = e.ref_id"
        " JOIN shift s ON s.id = a.shift_id JOIN need n ON n.id = s.need_id"
        " WHERE e.kind = 'earn' AND (e.amount <> n.points_per_hour * a.minutes / 60"
        " OR e.minutes <> a.minutes OR a.status <> 'confirmed')"
    )
    # Vouchers and the ledger agree: one debit of the price each, a refund exactly for
    # those given back; stock never negative; capacities hold.
    assert not _count(
        "SELECT count(*) FROM redemption r WHERE (SELECT count(*) FROM ledger_entry e"
        " WHERE e.ref_type = 'redemption' AND e.ref_id = r.id AND e.kind = 'redeem'"
        " AND e.amount = -r.price) <> 1"
    )
    assert not _count(
        "SELECT count(*) FROM redemption r WHERE (SELECT count(*) FROM ledger_entry e"
        " WHERE e.ref_type = 'redemption' AND e.ref_id = r.id AND e.kind = 'refund'"
        " AND e.amount = r.price) <> CASE WHEN r.status IN ('issued', 'fulfilled')"
        " THEN 0 ELSE 1 END"
    )
    statuses = dict(
        db.session.execute(text("SELECT status, count(*) FROM redemption GROUP BY 1")).all()
    )
    assert {"issued", "fulfilled", "expired", "cancelled"} <= set(statuses)
    assert not _count(
        "SELECT count(*) FROM redemption WHERE status = 'issued' AND expires_at < :today",
        today=to_utc(datetime.fromisoformat(TODAY)),  # local midnight: the city's "now"
    )
    assert not _count("SELECT count(*) FROM reward WHERE stock < 0")
    assert not _count(
        "SELECT count(*) FROM shift WHERE claimed <> (SELECT count(*) FROM claim"
        " WHERE claim.shift_id = shift.id AND claim.status = 'confirmed'"
        " AND claim.unit_hold_id IS NULL) + COALESCE((SELECT sum(places) FROM"
        " unit_hold WHERE unit_hold.shift_id = shift.id), 0) OR claimed > capacity"
    )
    db.session.rollback()

    # A demo login and a long history log in through the real form; a city volunteer's
    # main pages open.
    assert auth.login("13800000002", "demo-jinye-2026").status_code == 303
    auth.logout()
    assert auth.login("13799990001", city.PASSWORD).status_code == 303
    for page in ("/needs", "/my/points", "/my/tasks"):
        assert client.get(page).status_code == 200, page
    auth.logout()
    volunteer = db.session.scalar(select(User.phone).where(User.phone == "13900000042"))
    assert auth.login(volunteer, city.PASSWORD).status_code == 303
    for page in ("/needs", "/my/points", "/my/tasks"):
        response = client.get(page)
        assert response.status_code == 200, page
    assert "社区" in client.get("/needs").get_data(as_text=True)

    # Run again: refused, and nothing added.
    before = _count("SELECT count(*) FROM ledger_entry")
    again = runner.invoke(args=[*ARGS, "--today", TODAY])
    assert again.exit_code != 0 and "already has the generated city" in again.output
    assert _count("SELECT count(*) FROM ledger_entry") == before


DIGESTED = {
    # Each table's city rows, every column but the random session token and password salt.
    "org_unit": "SELECT * FROM org_unit WHERE code LIKE '4299%' ORDER BY id",
    "user_account": "SELECT id, phone, name, created_at FROM user_account"
    " WHERE phone LIKE '13[679]%' ORDER BY id",
    "volunteer_profile": "SELECT p.* FROM volunteer_profile p JOIN org_unit o"
    " ON o.id = p.community_id WHERE o.code LIKE '4299%' ORDER BY user_id",
    "need": "SELECT n.* FROM need n JOIN org_unit o ON o.id = n.community_id"
    " WHERE o.code LIKE '4299%' ORDER BY n.id",
    "shift": "SELECT s.* FROM shift s JOIN need n ON n.id = s.need_id JOIN org_unit o"
    " ON o.id = n.community_id WHERE o.code LIKE '4299%' ORDER BY s.id",
    "claim": "SELECT c.* FROM claim c JOIN user_account u ON u.id = c.volunteer_id"
    " WHERE u.phone LIKE '13[79]%' ORDER BY c.id",
    "attendance": "SELECT a.* FROM attendance a JOIN user_account u ON u.id = a.volunteer_id"
    " WHERE u.phone LIKE '13[79]%' ORDER BY a.id",
    "ledger_entry": "SELECT e.* FROM ledger_entry e JOIN user_account u"
    " ON u.id = e.volunteer_id WHERE u.phone LIKE '13[79]%' ORDER BY e.id",
    "points_account": "SELECT a.volunteer_id, a.balance, a.total_minutes FROM points_account a"
    " JOIN user_account u ON u.id = a.volunteer_id WHERE u.phone LIKE '13[79]%'"
    " ORDER BY a.volunteer_id",
    "redemption": "SELECT r.* FROM redemption r JOIN user_account u ON u.id = r.volunteer_id"
    " WHERE u.phone LIKE '13[79]%' ORDER BY r.id",
    "reward": "SELECT * FROM reward ORDER BY id LIMIT 1000 OFFSET 4",
    "member_report": "SELECT * FROM member_report ORDER BY id LIMIT 100000 OFFSET 3",
}


def _digest(url: str, seed: int) -> dict[str, str]:
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        db.create_all()
        args = ["seed-city", "--volunteers", "600", "--communities", "3", "--seed", str(seed)]
        result = app.test_cli_runner().invoke(args=[*args, "--today", TODAY])
        assert result.exit_code == 0, result.output
        digests = {}
        for name, sql in DIGESTED.items():
            if db.engine.dialect.name == "postgresql":
                sql = sql.replace("LIKE '13[679]%'", "SIMILAR TO '13(6|7|9)%'")
                sql = sql.replace("LIKE '13[79]%'", "SIMILAR TO '13(7|9)%'")
            else:
                sql = sql.replace("LIKE '13[679]%'", "GLOB '13[679]*'")
                sql = sql.replace("LIKE '13[79]%'", "GLOB '13[79]*'")
            rows = db.session.execute(text(sql)).all()
            assert rows, name
            digests[name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
        db.session.remove()
        db.engine.dispose()
    return digests


def test_the_same_seed_makes_the_same_city(backend, tmp_path, request):
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")
        urls = [server.create_database(f"city_{n}") for n in ("a", "b", "c")]
    else:
        urls = [f"sqlite:///{tmp_path / f'city_{n}.sqlite3'}" for n in ("a", "b", "c")]
    first, second = _digest(urls[0], seed=5), _digest(urls[1], seed=5)
    assert first == second
    other = _digest(urls[2], seed=6)
    assert other["ledger_entry"] != first["ledger_entry"]
    assert other["claim"] != first["claim"]
