"""The points supermarket under load, on SQLite and PostgreSQL.

Redemptions and verifications go through the whole stack: each client is a logged-in
browser session (a Flask test client) in its own thread, all released at one moment. The
expiry job races verifications through the services, each thread in its own app context
(its own session and connection). Results are read after ``db.session.rollback()``, so
the test sees what the threads committed.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from govhub.database import utcnow
from govhub.extensions import db
from govhub.notifications.models import Notification
from govhub.partners import services as partners
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from govhub.rewards import vouchers
from govhub.rewards.models import Redemption, Reward, VoucherStatus
from govhub.tokens import voucher_token
from tests.concurrency import run_at_once
from tests.factories import PASSWORD, make_tree
from tests.rewards.helpers import give_points, make_reward, make_shop, make_volunteer

PRICE = 100


def login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 303
    return client


def new_key() -> str:
    return uuid.uuid4().hex


def voucher_ids(response) -> int | None:
    match = re.fullmatch(r"/my/vouchers/(\d+)", response.headers.get("Location", ""))
    return int(match.group(1)) if match else None


def assert_ledger_consistent(*volunteer_ids: int) -> None:
    """No balance below zero, every cached balance equal to its entries, and the ledger
    audit finds nothing."""
    db.session.rollback()  # read what the threads committed
    accounts = db.session.scalars(select(PointsAccount)).all()
    assert all(account.balance >= 0 for account in accounts)
    for account in accounts:
        assert account.balance == points.ledger_sum(account.volunteer_id), account.volunteer_id
    for volunteer_id in volunteer_ids:
        assert db.session.get(PointsAccount, volunteer_id) is not None
    assert points.audit_ledger(now=utcnow()).mismatches == []


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- Redeeming -----------------------------------------------------------------------

VOLUNTEERS = 200
STOCK = 10


@pytest.mark.app_config(DATABASE_POOL_SIZE=VOLUNTEERS + 20)
def test_two_hundred_volunteers_race_for_ten_rewards(app):
    tree = make_tree()
    shop, owner = make_shop(tree)
    reward = make_reward(shop, owner, price=PRICE, stock=STOCK)
    clients, volunteer_ids = [], []
    for n in range(VOLUNTEERS):
        volunteer = make_volunteer(tree, name=f"V{n}")
        give_points(volunteer.id, 3 * PRICE)
        volunteer_ids.append(volunteer.id)
        clients.append(login(app, volunteer))  # before the barrier: logins are slow

    url = f"/rewards/{reward.id}/redeem"  # read ORM attributes here, not in the threads

    def redeem(client):
        return lambda: client.post(url, data={"key": new_key()})

    responses = run_at_once([redeem(c) for c in clients])

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = [r.status_code for r in responses]
    assert statuses.count(303) == STOCK, sorted(set(statuses))
    assert statuses.count(422) == VOLUNTEERS - STOCK
    issued = {voucher_ids(r) for r in responses if r.status_code == 303}
    db.session.rollback()
    vouchers = db.session.scalars(select(Redemption)).all()
    assert {v.id for v in vouchers} == issued and len(vouchers) == STOCK
    assert len({v.volunteer_id for v in vouchers}) == STOCK
    assert len({v.code for v in vouchers}) == STOCK
    assert db.session.get(Reward, reward.id).stock == 0
    winners = {v.volunteer_id for v in vouchers}
    for volunteer_id in volunteer_ids:
        expected = 2 * PRICE if volunteer_id in winners else 3 * PRICE
        assert db.session.get(PointsAccount, volunteer_id).balance == expected
    assert count(LedgerEntry, LedgerEntry.kind == EntryKind.redeem) == STOCK
    assert_ledger_consistent(*volunteer_ids)


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_twenty_requests_of_one_volunteer_spend_only_what_they_have(app):
    tree = make_tree()
    shop, owner = make_shop(tree)
    reward = make_reward(shop, owner, price=PRICE, stock=50, monthly_limit=10)
    volunteer = make_volunteer(tree, name="Eager")
    give_points(volunteer.id, 2 * PRICE)
    clients = [login(app, volunteer) for _ in range(20)]

    url = f"/rewards/{reward.id}/redeem"  # read ORM attributes here, not in the threads

    def redeem(client):
        return lambda: client.post(url, data={"key": new_key()})

    responses = run_at_once([redeem(c) for c in clients])

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = [r.status_code for r in responses]
    assert statuses.count(303) == 2, statuses
    assert statuses.count(422) == 18, statuses
    db.session.rollback()
    assert count(Redemption, Redemption.volunteer_id == volunteer.id) == 2
    assert db.session.get(PointsAccount, volunteer.id).balance == 0
    assert db.session.get(Reward, reward.id).stock == 48
    assert_ledger_consistent(volunteer.id)


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_one_key_sent_ten_times_at_once_issues_one_voucher(app):
    tree = make_tree()
    shop, owner = make_shop(tree)
    reward = make_reward(shop, owner, price=PRICE, stock=10)
    volunteer = make_volunteer(tree, name="Double clicker")
    give_points(volunteer.id, 10 * PRICE)
    clients = [login(app, volunteer) for _ in range(10)]
    key = new_key()

    url = f"/rewards/{reward.id}/redeem"

    def redeem(client):
        return lambda: client.post(url, data={"key": key})

    responses = run_at_once([redeem(c) for c in clients])

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert [r.status_code for r in responses] == [303] * 10
    assert len({voucher_ids(r) for r in responses}) == 1
    db.session.rollback()
    assert count(Redemption) == 1
    assert db.session.get(Reward, reward.id).stock == 9
    assert db.session.get(PointsAccount, volunteer.id).balance == 9 * PRICE
    assert count(LedgerEntry, LedgerEntry.kind == EntryKind.redeem) == 1
    assert_ledger_consistent(volunteer.id)


# --- At the counter ------------------------------------------------------------------

ROUNDS = 5


@pytest.mark.app_config(DATABASE_POOL_SIZE=20)
def test_two_staff_verifying_one_voucher_at_once_fulfil_it_once(app):
    tree = make_tree()
    owner = make_volunteer(tree, name="Owner Wang")
    shop, owner = make_shop(tree, owner=owner)
    clerk = make_volunteer(tree, name="Clerk Zhou")
    partners.invite_staff(owner.id, shop.id, clerk.phone)
    reward = make_reward(shop, owner, price=PRICE, stock=ROUNDS)
    volunteer = make_volunteer(tree, name="Holder")
    give_points(volunteer.id, ROUNDS * PRICE)
    staff = {owner.id: login(app, owner), clerk.id: login(app, clerk)}
    names = {owner.id: "Owner Wang", clerk.id: "Clerk Zhou"}

    for _ in range(ROUNDS):
        voucher = vouchers.redeem(volunteer.id, reward.id, key=new_key(), now=utcnow())
        token = voucher_token(voucher.id)

        def fulfil(client, token=token):
            return lambda: client.post(f"/v/{token}/fulfil")

        order = list(staff)
        responses = run_at_once([fulfil(staff[user_id]) for user_id in order])

        assert not [r for r in responses if isinstance(r, Exception)], responses
        assert sorted(r.status_code for r in responses) == [200, 409]
        db.session.rollback()
        done = db.session.get(Redemption, voucher.id)
        assert done.status is VoucherStatus.fulfilled
        winner = order[[r.status_code for r in responses].index(200)]
        assert done.fulfilled_by_id == winner
        loser_page = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
        result = re.search(r'id="counter-result">(.*?)</p>', loser_page, re.S).group(1)
        assert names[winner] in result
        assert (done.fulfilled_at + timedelta(hours=8)).strftime("%H:%M") in loser_page

    db.session.rollback()
    assert count(Notification, Notification.kind == "voucher_fulfilled") == ROUNDS
    assert count(LedgerEntry, LedgerEntry.kind == EntryKind.refund) == 0
    assert db.session.get(PointsAccount, volunteer.id).balance == 0
    assert_ledger_consistent(volunteer.id)


EXPIRY_ROUNDS = 20


@pytest.mark.app_config(DATABASE_POOL_SIZE=20)
def test_the_expiry_job_racing_a_verification_settles_each_voucher_once(app):
    tree = make_tree()
    shop, owner = make_shop(tree)
    reward = make_reward(shop, owner, price=PRICE, stock=EXPIRY_ROUNDS)
    volunteer = make_volunteer(tree, name="Late comer")
    give_points(volunteer.id, EXPIRY_ROUNDS * PRICE)
    owner_id, volunteer_id = owner.id, volunteer.id
    issued_at = utcnow() - timedelta(days=40)
    outcomes = []

    for n in range(EXPIRY_ROUNDS):
        voucher = vouchers.redeem(volunteer_id, reward.id, key=new_key(), now=issued_at)
        voucher_id, expires_at = voucher.id, voucher.expires_at

        def expire(n=n, voucher_id=voucher_id, expires_at=expires_at):
            with app.app_context():
                try:
                    after = expires_at + timedelta(seconds=1)
                    if n % 2:
                        return vouchers.expire_voucher(voucher_id, now=after)
                    return vouchers.expire_vouchers(now=after) == 1
                finally:
                    db.session.remove()

        def verify(voucher_id=voucher_id, expires_at=expires_at):
            with app.app_context():
                try:
                    just_before = expires_at - timedelta(seconds=1)
                    return vouchers.fulfil(owner_id, voucher_id, now=just_before).done
                finally:
                    db.session.remove()

        expired, fulfilled = run_at_once([expire, verify])

        assert isinstance(expired, bool) and isinstance(fulfilled, bool), (expired, fulfilled)
        assert expired != fulfilled  # exactly one of them won
        db.session.rollback()
        settled = db.session.get(Redemption, voucher_id)
        refunds = count(
            LedgerEntry,
            LedgerEntry.kind == EntryKind.refund,
            LedgerEntry.ref_type == "redemption",
            LedgerEntry.ref_id == voucher_id,
        )
        notices = db.session.scalars(
            select(Notification.kind).where(
                Notification.target_type == "redemption", Notification.target_id == voucher_id
            )
        ).all()
        if fulfilled:
            assert settled.status is VoucherStatus.fulfilled
            assert refunds == 0 and settled.closed_at is None
            assert notices == ["voucher_fulfilled"]
        else:
            assert settled.status is VoucherStatus.expired
            assert refunds == 1 and settled.fulfilled_at is None
            assert notices == ["voucher_expired"]
        outcomes.append(settled.status)

    db.session.rollback()
    expired_count = outcomes.count(VoucherStatus.expired)
    account = db.session.get(PointsAccount, volunteer_id)
    assert account.balance == expired_count * PRICE
    # Each expired voucher's item went back on the shelf.
    assert db.session.get(Reward, reward.id).stock == expired_count
    assert_ledger_consistent(volunteer_id)
