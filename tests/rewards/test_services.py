"""The points supermarket's services: listing rewards, the catalog, redeeming, what
happens to a voucher afterwards, suspension, staff, photos and the reports."""

from __future__ import annotations

import io
import os
from datetime import date, datetime, timedelta

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import func, select

from govhub import clock, permissions
from govhub.accounts import services as accounts
from govhub.accounts.models import User
from govhub.audit.models import AuditEvent
from govhub.checkin import services as checkin
from govhub.database import NotFound, ServiceError
from govhub.extensions import db
from govhub.notifications.models import Notification
from govhub.orgs.models import OrgUnit
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerStatus
from govhub.partners.signals import partner_suspended
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry
from govhub.rewards import catalog, economy, settlement
from govhub.rewards import vouchers as reward_vouchers
from govhub.rewards.models import (
    Redemption,
    Reward,
    RewardArea,
    RewardPhoto,
    RewardStatus,
    VoucherStatus,
)
from tests.checkin.helpers import START, scan_in, scan_out, shift_world
from tests.factories import NOW, make_admin, make_partner, make_tree
from tests.rewards.helpers import (
    give_points,
    make_reward,
    make_shop,
    make_volunteer,
    redeem,
    reward_input,
    shop_world,
)

# NOW is 2026-12-01 10:00 in Shanghai. The local month of December starts at
# 2026-11-30 16:00 UTC and ends at 2026-12-31 16:00 UTC.
DEC_START = datetime(2026, 11, 30, 16, 0)
JAN_START = datetime(2026, 12, 31, 16, 0)
SECOND = timedelta(seconds=1)


@pytest.fixture
def tree(app):
    return make_tree()


@pytest.fixture
def world(tree):
    """A shop in community A with one reward (100 points, 10 in stock) and a volunteer of
    community A holding 1000 points."""
    return shop_world(tree)


# --- Reading what the system keeps ----------------------------------------------------


def balance(volunteer_id: int) -> int:
    db.session.expire_all()
    return points.account(volunteer_id).balance


def stock(reward_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Reward, reward_id).stock


def voucher(redemption_id: int) -> Redemption:
    db.session.expire_all()
    return db.session.get(Redemption, redemption_id)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def entries(volunteer_id: int, kind: EntryKind | None = None) -> list[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer_id)
    if kind is not None:
        query = query.where(LedgerEntry.kind == kind)
    return list(db.session.scalars(query.order_by(LedgerEntry.id)))


def notifications(user_id: int, kind: str) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == kind)
            .order_by(Notification.id)
        )
    )


def snapshot(w) -> dict:
    """Everything a refused request must leave as it was."""
    db.session.expire_all()
    return {
        "balance": balance(w.volunteer.id),
        "ledger": points.ledger_sum(w.volunteer.id),
        "stock": stock(w.reward.id),
        "vouchers": count(Redemption),
        "entries": count(LedgerEntry),
        "notifications": count(Notification),
    }


def refused(call, error=ServiceError):
    """Run ``call`` in English and return the ServiceError it raises."""
    with force_locale("en"), pytest.raises(error) as raised:
        call()
    return raised.value


def make_clerk(tree, w, name="Clerk"):
    """A volunteer the shop's owner added to the staff."""
    clerk = make_volunteer(tree, "community_b", name=name)
    partners.invite_staff(w.owner.id, w.partner.id, clerk.phone)
    return db.session.get(User, clerk.id)


# --- Redeeming -----------------------------------------------------------------------


def test_redeeming_spends_the_price_takes_one_from_stock_and_issues_a_voucher(world):
    redemption = reward_vouchers.redeem(world.volunteer.id, world.reward.id, key="r1", now=NOW)

    issued = voucher(redemption.id)
    assert issued.status is VoucherStatus.issued
    assert issued.volunteer_id == world.volunteer.id
    assert issued.partner_id == world.partner.id
    assert (issued.title, issued.price) == ("5 kg of rice", 100)
    assert issued.issued_at == NOW
    assert issued.expires_at == NOW + timedelta(days=30)
    assert stock(world.reward.id) == 9
    [entry] = entries(world.volunteer.id, EntryKind.redeem)
    assert entry.amount == -100
    assert (entry.ref_type, entry.ref_id) == ("redemption", issued.id)
    assert entry.created_at == NOW
    assert entry.actor_id == world.volunteer.id
    assert balance(world.volunteer.id) == 900 == points.ledger_sum(world.volunteer.id)


def test_voucher_codes_are_eight_characters_readable_aloud_and_unique(tree):
    w = shop_world(tree, price=1, stock=40, balance=40)
    codes = [redeem(w.volunteer, w.reward).code for _ in range(30)]

    assert len(set(codes)) == 30
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ"), code
        assert not set(code) & set("0O1I"), code
    issued = voucher(db.session.scalar(select(Redemption.id).where(Redemption.code == codes[0])))
    assert issued.display_code == f"{codes[0][:4]}-{codes[0][4:]}"


@pytest.mark.app_config(VOUCHER_VALID_DAYS=7)
def test_the_voucher_validity_comes_from_the_configuration(world):
    redemption = redeem(world.volunteer, world.reward)
    assert voucher(redemption.id).expires_at == NOW + timedelta(days=7)


def test_the_history_shows_what_a_voucher_was_for(world):
    redemption = redeem(world.volunteer, world.reward)
    reward_vouchers.cancel(world.volunteer.id, redemption.id, now=NOW + timedelta(hours=1))

    rows = points.history(world.volunteer.id).rows
    assert [(row.entry.kind, row.voucher_title) for row in rows] == [
        (EntryKind.refund, "5 kg of rice"),
        (EntryKind.redeem, "5 kg of rice"),
        (EntryKind.adjust, None),
    ]


def test_not_enough_points_is_refused_naming_the_price_and_the_balance(tree):
    w = shop_world(tree, price=100, balance=30)
    before = snapshot(w)

    error = refused(lambda: redeem(w.volunteer, w.reward), points.InsufficientPoints)

    assert "100" in error.message and "30" in error.message
    assert snapshot(w) == before


def test_a_volunteer_without_any_points_is_refused(tree):
    w = shop_world(tree, balance=0)
    error = refused(lambda: redeem(w.volunteer, w.reward), points.InsufficientPoints)
    assert "100" in error.message and "0" in error.message
    assert count(Redemption) == 0
    assert stock(w.reward.id) == 10


def test_a_sold_out_reward_is_refused(tree):
    w = shop_world(tree, stock=1)
    redeem(w.volunteer, w.reward)
    before = snapshot(w)
    assert before["stock"] == 0

    error = refused(lambda: redeem(w.volunteer, w.reward))

    assert "sold out" in error.message
    assert snapshot(w) == before


def test_the_monthly_limit_counts_issued_and_used_vouchers(tree):
    w = shop_world(tree, monthly_limit=2)
    first = redeem(w.volunteer, w.reward)
    reward_vouchers.fulfil(w.owner.id, first.id, now=NOW + timedelta(minutes=5))
    redeem(w.volunteer, w.reward, now=NOW + timedelta(minutes=10))
    before = snapshot(w)

    error = refused(lambda: redeem(w.volunteer, w.reward, now=NOW + timedelta(minutes=20)))

    assert "this month" in error.message
    assert "2" in error.message
    assert snapshot(w) == before


def test_a_cancelled_voucher_does_not_count_towards_the_monthly_limit(tree):
    w = shop_world(tree, monthly_limit=1)
    first = redeem(w.volunteer, w.reward)
    reward_vouchers.cancel(w.volunteer.id, first.id, now=NOW + timedelta(minutes=1))

    second = redeem(w.volunteer, w.reward, now=NOW + timedelta(minutes=2))

    assert voucher(second.id).status is VoucherStatus.issued
    assert balance(w.volunteer.id) == 900


def test_the_monthly_limit_is_per_volunteer(tree):
    w = shop_world(tree, monthly_limit=1)
    other = make_volunteer(tree, name="Other volunteer")
    give_points(other.id, 500)
    redeem(w.volunteer, w.reward)

    redeem(other, w.reward)

    assert stock(w.reward.id) == 8


def test_the_monthly_limit_follows_the_local_calendar_month(tree):
    w = shop_world(tree, monthly_limit=1)
    # 23:30 on 30 November in Shanghai (15:30 UTC): November's voucher.
    redeem(w.volunteer, w.reward, now=DEC_START - timedelta(minutes=30))
    # 00:30 on 1 December in Shanghai, still 30 November in UTC: a new month.
    redeem(w.volunteer, w.reward, now=DEC_START + timedelta(minutes=30))
    before = snapshot(w)
    # Later on 1 December: December's one is used.
    refused(lambda: redeem(w.volunteer, w.reward, now=NOW))
    # 23:59:59 on 31 December in Shanghai: still December.
    refused(lambda: redeem(w.volunteer, w.reward, now=JAN_START - SECOND))
    assert snapshot(w) == before

    # Midnight of 1 January in Shanghai (16:00 UTC on 31 December): allowed again.
    redeem(w.volunteer, w.reward, now=JAN_START)
    assert stock(w.reward.id) == 7


def test_a_paused_reward_is_refused_and_can_be_resumed(world):
    catalog.set_paused(world.owner.id, world.reward.id, True)
    before = snapshot(world)

    error = refused(lambda: redeem(world.volunteer, world.reward))

    assert "paused" in error.message
    assert snapshot(world) == before
    catalog.set_paused(world.owner.id, world.reward.id, False)
    redeem(world.volunteer, world.reward)
    assert stock(world.reward.id) == 9


def test_a_reward_of_a_suspended_partner_is_refused(tree, world):
    admin = make_admin(tree, scope="community_a", name="Reviewer")
    partners.suspend(admin.id, world.partner.id, "Sold expired food", now=NOW)
    before = snapshot(world)

    error = refused(lambda: redeem(world.volunteer, world.reward))

    assert "no longer offered" in error.message
    assert snapshot(world) == before


def test_a_reward_is_refused_before_its_first_local_day(tree):
    w = shop_world(tree, available_from=date(2026, 12, 2))
    before = snapshot(w)

    error = refused(lambda: redeem(w.volunteer, w.reward, now=NOW))
    assert "2 Dec" in error.message  # the one day format of govhub/clock.py
    # 23:59:59 on 1 December in Shanghai: still too early.
    refused(lambda: redeem(w.volunteer, w.reward, now=DEC_START + timedelta(days=1) - SECOND))
    assert snapshot(w) == before

    # Midnight of 2 December in Shanghai is still 1 December in UTC.
    redeem(w.volunteer, w.reward, now=DEC_START + timedelta(days=1))
    assert stock(w.reward.id) == 9


def test_a_reward_is_refused_after_its_last_local_day(tree):
    w = shop_world(tree, available_until=date(2026, 12, 1))
    # 23:59:59 on 1 December in Shanghai: the last day.
    redeem(w.volunteer, w.reward, now=DEC_START + timedelta(days=1) - SECOND)
    before = snapshot(w)

    # Midnight of 2 December in Shanghai (16:00 UTC on 1 December): over.
    error = refused(lambda: redeem(w.volunteer, w.reward, now=DEC_START + timedelta(days=1)))

    assert "no longer offered" in error.message
    assert snapshot(w) == before


@pytest.mark.parametrize(
    ("area", "allowed"),
    [
        (RewardArea.community, {"community_a"}),
        (RewardArea.street, {"community_a", "community_b"}),
        (RewardArea.district, {"community_a", "community_b", "community_c"}),
    ],
)
def test_only_volunteers_of_the_rewards_area_may_redeem(tree, area, allowed):
    partner, owner = make_shop(tree)
    reward = make_reward(partner, owner, area=area)
    for community in ("community_a", "community_b", "community_c"):
        volunteer = make_volunteer(tree, community, name=f"Volunteer of {community}")
        give_points(volunteer.id, 500)
        if community in allowed:
            redeem(volunteer, reward)
            assert balance(volunteer.id) == 400
        else:
            error = refused(lambda v=volunteer: redeem(v, reward))
            assert "another area" in error.message
            assert balance(volunteer.id) == 500
            assert count(Redemption, Redemption.volunteer_id == volunteer.id) == 0
    assert stock(reward.id) == 10 - len(allowed)


def test_an_unknown_reward_is_not_found(world):
    refused(lambda: reward_vouchers.redeem(world.volunteer.id, 999_999, key="k", now=NOW), NotFound)
    assert balance(world.volunteer.id) == 1000


def test_a_missing_key_is_refused(world):
    refused(lambda: reward_vouchers.redeem(world.volunteer.id, world.reward.id, key="", now=NOW))
    assert count(Redemption) == 0


# --- Idempotency ---------------------------------------------------------------------


def test_the_same_key_for_the_same_reward_returns_the_same_voucher(world):
    first = redeem(world.volunteer, world.reward, key="click-1")
    before = snapshot(world)

    again = redeem(world.volunteer, world.reward, key="click-1", now=NOW + timedelta(seconds=2))

    assert again.id == first.id
    assert again.code == first.code
    assert snapshot(world) == before
    assert before["balance"] == 900 and before["stock"] == 9 and before["vouchers"] == 1


def test_the_same_key_for_another_reward_is_refused(world):
    other = make_reward(world.partner, world.owner, title="Cooking oil", price=40)
    redeem(world.volunteer, world.reward, key="click-1")
    before = snapshot(world)

    error = refused(lambda: redeem(world.volunteer, other, key="click-1"), error=points.KeyReused)

    assert error.message
    assert snapshot(world) == before
    assert stock(other.id) == 10


def test_the_same_key_by_another_volunteer_is_refused(tree, world):
    other = make_volunteer(tree, name="Other volunteer")
    give_points(other.id, 500)
    redeem(world.volunteer, world.reward, key="click-1")

    refused(lambda: redeem(other, world.reward, key="click-1"), error=points.KeyReused)

    assert balance(other.id) == 500
    assert count(Redemption, Redemption.volunteer_id == other.id) == 0


# --- Editing a reward after issue -----------------------------------------------------


def test_editing_the_reward_leaves_issued_vouchers_and_their_refunds_alone(world):
    redemption = redeem(world.volunteer, world.reward)
    catalog.save_reward(
        world.owner.id,
        world.partner.id,
        reward_input(title="10 kg of rice", price=250, stock=5),
        reward_id=world.reward.id,
    )

    kept = voucher(redemption.id)
    assert (kept.title, kept.price) == ("5 kg of rice", 100)
    reward_vouchers.cancel(world.volunteer.id, redemption.id, now=NOW + timedelta(hours=1))
    [refund] = entries(world.volunteer.id, EntryKind.refund)
    assert refund.amount == 100
    assert balance(world.volunteer.id) == 1000 == points.ledger_sum(world.volunteer.id)
    assert stock(world.reward.id) == 6  # the new stock, plus the voucher given back
    # New vouchers take the new price and title.
    newer = voucher(redeem(world.volunteer, world.reward, now=NOW + timedelta(hours=2)).id)
    assert (newer.title, newer.price) == ("10 kg of rice", 250)


# --- Cancelling ----------------------------------------------------------------------


def test_cancelling_refunds_the_price_and_restores_the_stock(world):
    redemption = redeem(world.volunteer, world.reward)
    later = NOW + timedelta(hours=3)

    reward_vouchers.cancel(world.volunteer.id, redemption.id, now=later)

    cancelled = voucher(redemption.id)
    assert cancelled.status is VoucherStatus.cancelled
    assert cancelled.closed_at == later
    assert cancelled.closed_by_id == world.volunteer.id
    [refund] = entries(world.volunteer.id, EntryKind.refund)
    assert refund.amount == 100
    assert refund.idempotency_key == f"refund:{redemption.id}"
    assert (refund.ref_type, refund.ref_id) == ("redemption", redemption.id)
    assert refund.created_at == later
    assert stock(world.reward.id) == 10
    assert balance(world.volunteer.id) == 1000 == points.ledger_sum(world.volunteer.id)


def test_cancelling_twice_is_refused_and_refunds_once(world):
    redemption = redeem(world.volunteer, world.reward)
    reward_vouchers.cancel(world.volunteer.id, redemption.id, now=NOW + timedelta(hours=1))
    before = snapshot(world)

    error = refused(
        lambda: reward_vouchers.cancel(
            world.volunteer.id, redemption.id, now=NOW + timedelta(hours=2)
        )
    )

    assert "no longer valid" in error.message
    assert snapshot(world) == before
    assert len(entries(world.volunteer.id, EntryKind.refund)) == 1


def test_a_used_voucher_cannot_be_cancelled(world):
    redemption = redeem(world.volunteer, world.reward)
    reward_vouchers.fulfil(world.owner.id, redemption.id, now=NOW + timedelta(hours=1))
    before = snapshot(world)

    error = refused(
        lambda: reward_vouchers.cancel(
            world.volunteer.id, redemption.id, now=NOW + timedelta(hours=2)
        )
    )

    assert "already used" in error.message
    assert "Shop owner" in error.message
    assert voucher(redemption.id).status is VoucherStatus.fulfilled
    assert snapshot(world) == before


def test_another_volunteer_cannot_cancel_a_voucher(tree, world):
    redemption = redeem(world.volunteer, world.reward)
    stranger = make_volunteer(tree, name="Stranger")
    before = snapshot(world)

    refused(lambda: reward_vouchers.cancel(stranger.id, redemption.id, now=NOW), NotFound)

    assert voucher(redemption.id).status is VoucherStatus.issued
    assert snapshot(world) == before


# --- Verifying at the counter ---------------------------------------------------------


def test_fulfilling_marks_the_voucher_used_and_tells_the_volunteer(world):
    redemption = redeem(world.volunteer, world.reward)
    at = NOW + timedelta(hours=1)

    result = reward_vouchers.fulfil(world.owner.id, redemption.id, now=at)

    assert result.done is True
    assert result.message is None
    used = voucher(redemption.id)
    assert used.status is VoucherStatus.fulfilled
    assert (used.fulfilled_at, used.fulfilled_by_id) == (at, world.owner.id)
    [note] = notifications(world.volunteer.id, "voucher_fulfilled")
    assert note.params["title"] == "5 kg of rice"
    assert note.params["partner"] == world.partner.name
    # Points were spent at redemption; using the voucher moves none.
    assert balance(world.volunteer.id) == 900
    assert len(entries(world.volunteer.id)) == 2
    assert stock(world.reward.id) == 9


def test_a_voucher_is_fulfilled_once_and_the_second_attempt_learns_when_and_by_whom(tree, world):
    clerk = make_clerk(tree, world, "Clerk Wang")
    redemption = redeem(world.volunteer, world.reward)
    reward_vouchers.fulfil(clerk.id, redemption.id, now=NOW + timedelta(hours=1))  # 11:00 local
    before = snapshot(world)

    with force_locale("en"):
        again = reward_vouchers.fulfil(world.owner.id, redemption.id, now=NOW + timedelta(hours=2))

    assert again.done is False
    assert "Clerk Wang" in again.message
    assert "11:00" in again.message  # local time, not 03:00 UTC
    used = voucher(redemption.id)
    assert (used.fulfilled_by_id, used.fulfilled_at) == (clerk.id, NOW + timedelta(hours=1))
    assert snapshot(world) == before
    assert len(notifications(world.volunteer.id, "voucher_fulfilled")) == 1


def test_an_expired_voucher_cannot_be_fulfilled(world):
    redemption = redeem(world.volunteer, world.reward)
    expires = NOW + timedelta(days=30)
    before = snapshot(world)

    with force_locale("en"):
        result = reward_vouchers.fulfil(world.owner.id, redemption.id, now=expires)

    assert result.done is False
    assert "expired" in result.message
    kept = voucher(redemption.id)
    assert kept.status is VoucherStatus.issued
    assert kept.fulfilled_at is None
    assert snapshot(world) == before
    # A second earlier it could still be used.
    assert reward_vouchers.fulfil(world.owner.id, redemption.id, now=expires - SECOND).done is True


def test_a_voucher_of_a_suspended_partner_cannot_be_fulfilled(tree, world):
    redemption = redeem(world.volunteer, world.reward)
    admin = make_admin(tree, scope="community_a", name="Reviewer")
    partners.suspend(admin.id, world.partner.id, "Complaints", now=NOW + timedelta(hours=1))
    before = snapshot(world)

    error = refused(
        lambda: reward_vouchers.fulfil(world.owner.id, redemption.id, now=NOW + timedelta(hours=2))
    )

    assert world.partner.name in error.message
    kept = voucher(redemption.id)
    assert kept.status is VoucherStatus.voided
    assert kept.fulfilled_at is None
    assert snapshot(world) == before


# --- Rejecting -----------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 501])
def test_rejecting_needs_a_reason_of_reasonable_length(world, reason):
    redemption = redeem(world.volunteer, world.reward)
    before = snapshot(world)

    error = refused(lambda: reward_vouchers.reject(world.owner.id, redemption.id, reason, now=NOW))

    assert error.field == "reason"
    assert voucher(redemption.id).status is VoucherStatus.issued
    assert snapshot(world) == before


def test_rejecting_refunds_keeps_the_stock_and_tells_the_volunteer_why(world):
    redemption = redeem(world.volunteer, world.reward)
    at = NOW + timedelta(hours=1)

    result = reward_vouchers.reject(world.owner.id, redemption.id, "  The rice ran out.  ", now=at)

    assert result.done is True
    rejected = voucher(redemption.id)
    assert rejected.status is VoucherStatus.rejected
    assert (rejected.closed_at, rejected.closed_by_id) == (at, world.owner.id)
    assert rejected.close_reason == "The rice ran out."
    [refund] = entries(world.volunteer.id, EntryKind.refund)
    assert refund.amount == 100
    assert refund.idempotency_key == f"refund:{redemption.id}"
    assert refund.reason == "The rice ran out."
    assert refund.actor_id == world.owner.id
    assert balance(world.volunteer.id) == 1000 == points.ledger_sum(world.volunteer.id)
    assert stock(world.reward.id) == 9  # the goods are not there: not given back to stock
    [note] = notifications(world.volunteer.id, "voucher_rejected")
    assert note.params["reason"] == "The rice ran out."
    assert note.params["title"] == "5 kg of rice"
    assert note.target_id == redemption.id


def test_a_used_voucher_cannot_be_rejected(world):
    redemption = redeem(world.volunteer, world.reward)
    reward_vouchers.fulfil(world.owner.id, redemption.id, now=NOW + timedelta(hours=1))
    before = snapshot(world)

    with force_locale("en"):
        result = reward_vouchers.reject(world.owner.id, redemption.id, "Oops", now=NOW)

    assert result.done is False
    assert "already used" in result.message
    assert voucher(redemption.id).status is VoucherStatus.fulfilled
    assert snapshot(world) == before


# --- Expiry of vouchers --------------------------------------------------------------


def test_expiry_refunds_only_unused_vouchers_past_their_date(tree):
    w = shop_world(tree, stock=10)
    due = redeem(w.volunteer, w.reward, now=NOW)  # expires NOW + 30 days
    later = redeem(w.volunteer, w.reward, now=NOW + timedelta(days=5))
    used = redeem(w.volunteer, w.reward, now=NOW)
    reward_vouchers.fulfil(w.owner.id, used.id, now=NOW + timedelta(days=1))
    run_at = NOW + timedelta(days=30)

    assert reward_vouchers.expire_vouchers(now=run_at) == 1

    expired = voucher(due.id)
    assert expired.status is VoucherStatus.expired
    assert expired.closed_at == run_at
    assert voucher(later.id).status is VoucherStatus.issued
    assert voucher(used.id).status is VoucherStatus.fulfilled
    refunds = entries(w.volunteer.id, EntryKind.refund)
    assert [(r.amount, r.ref_id) for r in refunds] == [(100, due.id)]
    assert stock(w.reward.id) == 8  # 10 - 3 + 1
    assert balance(w.volunteer.id) == 800 == points.ledger_sum(w.volunteer.id)
    [note] = notifications(w.volunteer.id, "voucher_expired")
    assert note.target_id == due.id
    assert note.params["points"] == 100


def test_expiry_run_twice_refunds_once(world):
    redemption = redeem(world.volunteer, world.reward)
    run_at = NOW + timedelta(days=31)
    assert reward_vouchers.expire_vouchers(now=run_at) == 1
    before = snapshot(world)

    assert reward_vouchers.expire_vouchers(now=run_at) == 0
    assert reward_vouchers.expire_voucher(redemption.id, now=run_at + timedelta(days=1)) is False

    assert snapshot(world) == before
    assert len(entries(world.volunteer.id, EntryKind.refund)) == 1
    assert len(notifications(world.volunteer.id, "voucher_expired")) == 1


def test_a_used_voucher_is_never_refunded_by_expiry(world):
    redemption = redeem(world.volunteer, world.reward)
    reward_vouchers.fulfil(world.owner.id, redemption.id, now=NOW + timedelta(days=29))
    before = snapshot(world)

    assert reward_vouchers.expire_vouchers(now=NOW + timedelta(days=60)) == 0
    assert reward_vouchers.expire_voucher(redemption.id, now=NOW + timedelta(days=60)) is False

    assert voucher(redemption.id).status is VoucherStatus.fulfilled
    assert snapshot(world) == before


def test_a_voucher_is_not_expired_before_its_time(world):
    redemption = redeem(world.volunteer, world.reward)

    assert (
        reward_vouchers.expire_voucher(redemption.id, now=NOW + timedelta(days=30) - SECOND)
        is False
    )

    assert voucher(redemption.id).status is VoucherStatus.issued
    assert balance(world.volunteer.id) == 900


# --- Suspension ----------------------------------------------------------------------


def test_suspension_withdraws_unused_vouchers_and_hides_the_rewards(tree, world):
    admin = make_admin(tree, scope="community_a", name="Reviewer")
    first = redeem(world.volunteer, world.reward)
    second = redeem(world.volunteer, world.reward)
    used = redeem(world.volunteer, world.reward)
    reward_vouchers.fulfil(world.owner.id, used.id, now=NOW + timedelta(hours=1))
    at = NOW + timedelta(hours=2)

    assert partners.suspend(admin.id, world.partner.id, "Sold expired food", now=at) == 2

    for redemption in (first, second):
        voided = voucher(redemption.id)
        assert voided.status is VoucherStatus.voided
        assert (voided.closed_at, voided.closed_by_id) == (at, admin.id)
        assert voided.close_reason == "Sold expired food"
    assert voucher(used.id).status is VoucherStatus.fulfilled
    refunds = entries(world.volunteer.id, EntryKind.refund)
    assert sorted(r.ref_id for r in refunds) == sorted([first.id, second.id])
    assert all(r.amount == 100 for r in refunds)
    assert balance(world.volunteer.id) == 900 == points.ledger_sum(world.volunteer.id)
    assert stock(world.reward.id) == 9
    assert len(notifications(world.volunteer.id, "voucher_voided")) == 2
    items, shops = catalog.catalog(world.volunteer.id, catalog.CatalogFilters(), now=at)
    assert items == [] and shops == []


def test_reinstating_offers_the_rewards_again_and_leaves_closed_vouchers_closed(tree, world):
    admin = make_admin(tree, scope="community_a", name="Reviewer")
    redemption = redeem(world.volunteer, world.reward)
    partners.suspend(admin.id, world.partner.id, "Complaints", now=NOW)

    partners.reinstate(admin.id, world.partner.id, now=NOW + timedelta(days=1))

    items, shops = catalog.catalog(
        world.volunteer.id, catalog.CatalogFilters(), now=NOW + timedelta(days=1)
    )
    assert [item.reward.id for item in items] == [world.reward.id]
    assert [shop.id for shop in shops] == [world.partner.id]
    assert voucher(redemption.id).status is VoucherStatus.voided
    redeem(world.volunteer, world.reward, now=NOW + timedelta(days=1))
    assert balance(world.volunteer.id) == 900 == points.ledger_sum(world.volunteer.id)


def test_suspending_twice_refunds_once(tree, world):
    admin = make_admin(tree, scope="community_a", name="Reviewer")
    redeem(world.volunteer, world.reward)
    partners.suspend(admin.id, world.partner.id, "Complaints", now=NOW)
    before = snapshot(world)

    refused(lambda: partners.suspend(admin.id, world.partner.id, "Again", now=NOW))

    assert snapshot(world) == before


def test_a_suspension_receiver_that_fails_rolls_the_whole_suspension_back(tree, world):
    admin = make_admin(tree, scope="community_a", name="Reviewer")
    redemption = redeem(world.volunteer, world.reward)
    before = snapshot(world)
    seen = []

    def failing(partner, **kwargs):
        seen.append((partner.status, kwargs["reason"]))
        raise RuntimeError("receiver failed")

    with partner_suspended.connected_to(failing), pytest.raises(RuntimeError):
        partners.suspend(admin.id, world.partner.id, "Complaints", now=NOW)

    # The receiver ran inside the suspension, which it then undid entirely.
    assert seen == [(PartnerStatus.suspended, "Complaints")]
    db.session.expire_all()
    assert db.session.get(Partner, world.partner.id).status is PartnerStatus.approved
    assert voucher(redemption.id).status is VoucherStatus.issued
    assert snapshot(world) == before
    assert count(AuditEvent, AuditEvent.action == "partner.suspended") == 0


def test_a_failure_while_withdrawing_vouchers_keeps_the_partner_approved(tree, world, monkeypatch):
    admin = make_admin(tree, scope="community_a", name="Reviewer")
    first = redeem(world.volunteer, world.reward)
    second = redeem(world.volunteer, world.reward)
    before = snapshot(world)
    told = []

    def tell_once(redemption, kind, **params):
        if told:
            raise RuntimeError("notifications are down")
        told.append(redemption.id)

    monkeypatch.setattr(reward_vouchers, "_tell", tell_once)
    with pytest.raises(RuntimeError):
        partners.suspend(admin.id, world.partner.id, "Complaints", now=NOW)

    assert len(told) == 1  # the first voucher was voided and refunded, then undone
    db.session.expire_all()
    assert db.session.get(Partner, world.partner.id).status is PartnerStatus.approved
    assert [voucher(r.id).status for r in (first, second)] == [VoucherStatus.issued] * 2
    assert snapshot(world) == before
    assert entries(world.volunteer.id, EntryKind.refund) == []


# --- Staff ---------------------------------------------------------------------------


def test_an_invited_phone_becomes_staff_of_that_partner_only(tree, world):
    other_shop, _other_owner = make_shop(tree, name="Tea House")
    clerk = make_volunteer(tree, "community_b", name="Clerk", phone="13712345678")
    assert not permissions.can(clerk, permissions.Action.RUN_SHOP, world.partner)

    partners.invite_staff(world.owner.id, world.partner.id, "137 1234-5678")

    db.session.expire_all()
    clerk = db.session.get(User, clerk.id)
    assert permissions.can(clerk, permissions.Action.RUN_SHOP, world.partner)
    assert not permissions.can(
        clerk, permissions.Action.RUN_SHOP, db.session.get(Partner, other_shop.id)
    )
    assert not permissions.can(clerk, permissions.Action.MANAGE_STAFF, world.partner)
    assert [a.user_id for a in partners.staff_of(world.partner.id)] == [world.owner.id, clerk.id]
    [note] = notifications(clerk.id, "staff_added")
    assert note.params["partner"] == world.partner.name


def test_the_owner_manages_staff_and_no_other_shop(tree, world):
    other_shop, _ = make_shop(tree, name="Tea House")
    owner = db.session.get(User, world.owner.id)
    assert permissions.can(owner, permissions.Action.MANAGE_STAFF, world.partner)
    assert not permissions.can(
        owner, permissions.Action.RUN_SHOP, db.session.get(Partner, other_shop.id)
    )


@pytest.mark.parametrize("phone", ["13799999999", "12345", ""])
def test_inviting_an_unknown_or_invalid_phone_is_refused_at_the_phone_field(world, phone):
    before = len(partners.staff_of(world.partner.id))

    error = refused(lambda: partners.invite_staff(world.owner.id, world.partner.id, phone))

    assert error.field == "phone"
    assert len(partners.staff_of(world.partner.id)) == before


def test_inviting_someone_twice_is_refused(tree, world):
    clerk = make_clerk(tree, world, "Clerk Wang")

    error = refused(lambda: partners.invite_staff(world.owner.id, world.partner.id, clerk.phone))

    assert error.field == "phone"
    assert "Clerk Wang" in error.message
    staff = [a.user_id for a in partners.staff_of(world.partner.id)]
    assert staff.count(clerk.id) == 1
    # The owner is staff already too.
    error = refused(
        lambda: partners.invite_staff(world.owner.id, world.partner.id, world.owner.phone)
    )
    assert error.field == "phone"


def test_removing_staff_takes_their_rights_away(tree, world):
    clerk = make_clerk(tree, world, "Clerk Wang")

    partners.remove_staff(world.owner.id, world.partner.id, clerk.id)

    db.session.expire_all()
    assert not permissions.can(
        db.session.get(User, clerk.id), permissions.Action.RUN_SHOP, world.partner
    )
    assert [a.user_id for a in partners.staff_of(world.partner.id)] == [world.owner.id]
    refused(lambda: partners.remove_staff(world.owner.id, world.partner.id, clerk.id), NotFound)


def test_the_owner_cannot_be_removed_from_the_staff(world):
    error = refused(lambda: partners.remove_staff(world.owner.id, world.partner.id, world.owner.id))

    assert "owner" in error.message
    db.session.expire_all()
    owner = db.session.get(User, world.owner.id)
    assert permissions.can(owner, permissions.Action.RUN_SHOP, world.partner)


def test_a_partner_not_approved_cannot_add_staff(tree):
    owner = make_volunteer(tree, name="Applicant")
    clerk = make_volunteer(tree, name="Clerk")
    pending = make_partner(tree, name="Pending Shop", owner_id=owner.id)

    refused(lambda: partners.invite_staff(owner.id, pending.id, clerk.phone))

    assert partners.staff_of(pending.id) == []


def test_a_suspended_partner_cannot_add_staff(tree, world):
    admin = make_admin(tree, scope="community_a", name="Reviewer")
    clerk = make_volunteer(tree, name="Clerk")
    partners.suspend(admin.id, world.partner.id, "Complaints", now=NOW)

    refused(lambda: partners.invite_staff(world.owner.id, world.partner.id, clerk.phone))

    assert [a.user_id for a in partners.staff_of(world.partner.id)] == [world.owner.id]


# --- Listing rewards -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 81}, "title"),
        ({"description": "x" * 2001}, "description"),
        ({"price": None}, "price"),
        ({"price": 0}, "price"),
        ({"price": -5}, "price"),
        ({"price": 100_001}, "price"),
        ({"stock": None}, "stock"),
        ({"stock": -1}, "stock"),
        ({"stock": 100_001}, "stock"),
        ({"monthly_limit": 0}, "monthly_limit"),
        ({"monthly_limit": 101}, "monthly_limit"),
        (
            {"available_from": date(2026, 12, 10), "available_until": date(2026, 12, 9)},
            "available_until",
        ),
    ],
)
def test_an_invalid_reward_is_refused_at_its_field(tree, overrides, field):
    partner, owner = make_shop(tree)

    error = refused(lambda: catalog.save_reward(owner.id, partner.id, reward_input(**overrides)))

    assert error.field == field
    assert count(Reward) == 0


def test_a_valid_reward_is_saved_trimmed(tree):
    partner, owner = make_shop(tree)

    reward = catalog.save_reward(
        owner.id,
        partner.id,
        reward_input(
            title="  A haircut  ",
            description="  For elders.  ",
            price=100_000,
            stock=0,
            monthly_limit=100,
            available_from=date(2026, 12, 1),
            available_until=date(2026, 12, 1),
        ),
    )

    db.session.expire_all()
    saved = db.session.get(Reward, reward.id)
    assert (saved.title, saved.description) == ("A haircut", "For elders.")
    assert (saved.price, saved.stock, saved.monthly_limit) == (100_000, 0, 100)
    assert saved.status is RewardStatus.active
    assert saved.created_by_id == owner.id


@pytest.mark.parametrize(
    ("area", "unit"),
    [
        (RewardArea.community, "community_a"),
        (RewardArea.street, "street"),
        (RewardArea.district, "district"),
    ],
)
def test_the_area_is_resolved_to_the_partners_unit(tree, area, unit):
    partner, owner = make_shop(tree)
    reward = make_reward(partner, owner, area=area)
    db.session.expire_all()
    assert db.session.get(Reward, reward.id).area_unit_id == getattr(tree, unit)


def test_changing_the_area_moves_the_unit(tree):
    partner, owner = make_shop(tree)
    reward = make_reward(partner, owner, area=RewardArea.community)

    catalog.save_reward(
        owner.id, partner.id, reward_input(area=RewardArea.street), reward_id=reward.id
    )

    db.session.expire_all()
    assert db.session.get(Reward, reward.id).area_unit_id == tree.street


def test_an_edit_changes_the_stock_by_what_the_staff_changed_not_to_a_stale_number(world):
    """Staff open the edit form at 10 in stock; two vouchers are redeemed before they add
    5 and save: 13 are left, not 15 (which would hand out goods the shop does not have)."""
    seen = world.reward.stock
    redeem(world.volunteer, world.reward)
    redeem(world.volunteer, world.reward)
    catalog.save_reward(
        world.owner.id,
        world.partner.id,
        reward_input(stock=seen + 5, stock_seen=seen),
        reward_id=world.reward.id,
    )
    db.session.expire_all()
    assert db.session.get(Reward, world.reward.id).stock == 13


def test_an_edit_that_would_take_the_stock_below_zero_is_refused(world):
    seen = world.reward.stock  # 10
    for _ in range(3):
        redeem(world.volunteer, world.reward)
    with pytest.raises(ServiceError) as refused:
        catalog.save_reward(
            world.owner.id,
            world.partner.id,
            reward_input(title="Renamed", stock=1, stock_seen=seen),  # "9 fewer"
            reward_id=world.reward.id,
        )
    assert refused.value.field == "stock"
    db.session.expire_all()
    reward = db.session.get(Reward, world.reward.id)
    assert (reward.stock, reward.title) == (7, "5 kg of rice")


def test_a_partner_cannot_edit_another_partners_reward(tree, world):
    other_shop, other_owner = make_shop(tree, name="Tea House")

    refused(
        lambda: catalog.save_reward(
            other_owner.id, other_shop.id, reward_input(price=1), reward_id=world.reward.id
        ),
        NotFound,
    )

    assert db.session.get(Reward, world.reward.id).price == 100


def test_a_partner_not_approved_cannot_list_rewards(tree):
    owner = make_volunteer(tree, name="Applicant")
    pending = make_partner(tree, name="Pending Shop", owner_id=owner.id)

    refused(lambda: catalog.save_reward(owner.id, pending.id, reward_input()))

    assert count(Reward) == 0


# --- The catalog ---------------------------------------------------------------------


def catalog_ids(volunteer, *, now=NOW, **filters) -> list[int]:
    items, _shops = catalog.catalog(volunteer.id, catalog.CatalogFilters(**filters), now=now)
    return [item.reward.id for item in items]


@pytest.fixture
def market(tree):
    """Two shops of community A; a volunteer holding 300 points."""
    grocery, grocer = make_shop(tree)
    tea, tea_owner = make_shop(tree, name="Tea House")
    volunteer = make_volunteer(tree, name="Shopper")
    give_points(volunteer.id, 300)
    return {
        "grocery": grocery,
        "tea": tea,
        "volunteer": volunteer,
        "cheap": make_reward(grocery, grocer, title="Soap", price=50),
        "mid": make_reward(tea, tea_owner, title="Green tea", price=300),
        "dear": make_reward(grocery, grocer, title="Rice cooker", price=2000),
        "owners": {"grocery": grocer, "tea": tea_owner},
    }


def test_the_catalog_lists_rewards_cheapest_first_with_their_shops(market):
    items, shops = catalog.catalog(market["volunteer"].id, catalog.CatalogFilters(), now=NOW)

    assert [item.reward.id for item in items] == [
        market["cheap"].id,
        market["mid"].id,
        market["dear"].id,
    ]
    assert [shop.name for shop in shops] == ["Kind Grocery", "Tea House"]
    assert [item.affordable for item in items] == [True, True, False]
    assert all(item.balance == 300 for item in items)


def test_the_catalog_filters(market):
    volunteer = market["volunteer"]
    assert catalog_ids(volunteer, affordable=True) == [market["cheap"].id, market["mid"].id]
    assert catalog_ids(volunteer, partner_id=market["tea"].id) == [market["mid"].id]
    assert catalog_ids(volunteer, max_price=299) == [market["cheap"].id]
    assert catalog_ids(volunteer, max_price=300, partner_id=market["grocery"].id) == [
        market["cheap"].id
    ]
    # Spending changes what is affordable.
    redeem(volunteer, market["cheap"])
    assert catalog_ids(volunteer, affordable=True) == [market["cheap"].id]


def test_affordable_leaves_out_what_cannot_be_redeemed_now(tree, market):
    volunteer = market["volunteer"]
    soldout = make_reward(
        market["grocery"], market["owners"]["grocery"], title="Eggs", price=10, stock=0
    )
    assert soldout.id in catalog_ids(volunteer)
    assert soldout.id not in catalog_ids(volunteer, affordable=True)


def test_the_catalog_shows_the_monthly_allowance_left(tree):
    w = shop_world(tree, monthly_limit=2)
    unlimited = make_reward(w.partner, w.owner, title="Soap", price=10)

    def items():
        found, _ = catalog.catalog(w.volunteer.id, catalog.CatalogFilters(), now=NOW)
        return {item.reward.id: item for item in found}

    assert items()[w.reward.id].allowance_left == 2
    assert items()[unlimited.id].allowance_left is None
    first = redeem(w.volunteer, w.reward)
    redeem(w.volunteer, w.reward)
    assert items()[w.reward.id].allowance_left == 0
    assert items()[w.reward.id].redeemable is False
    reward_vouchers.cancel(w.volunteer.id, first.id, now=NOW)
    assert items()[w.reward.id].allowance_left == 1
    # A new local month: the whole allowance again.
    found, _ = catalog.catalog(w.volunteer.id, catalog.CatalogFilters(), now=JAN_START)
    assert {i.reward.id: i.allowance_left for i in found}[w.reward.id] == 2


def test_the_catalog_hides_paused_suspended_and_out_of_date_rewards(tree, market):
    volunteer = market["volunteer"]
    grocer = market["owners"]["grocery"]
    soon = make_reward(
        market["grocery"], grocer, title="Mooncakes", available_from=date(2026, 12, 2)
    )
    over = make_reward(
        market["grocery"], grocer, title="Zongzi", available_until=date(2026, 11, 30)
    )
    today_only = make_reward(
        market["grocery"],
        grocer,
        title="Dumplings",
        available_from=date(2026, 12, 1),
        available_until=date(2026, 12, 1),
    )
    catalog.set_paused(grocer.id, market["dear"].id, True)
    admin = make_admin(tree, scope="community_a", name="Reviewer")
    partners.suspend(admin.id, market["tea"].id, "Complaints", now=NOW)

    items, shops = catalog.catalog(volunteer.id, catalog.CatalogFilters(), now=NOW)

    assert [item.reward.id for item in items] == [market["cheap"].id, today_only.id]
    assert [shop.id for shop in shops] == [market["grocery"].id]
    # Midnight of 2 December in Shanghai (16:00 UTC on 1 December).
    tomorrow = catalog_ids(volunteer, now=DEC_START + timedelta(days=1))
    assert soon.id in tomorrow
    assert today_only.id not in tomorrow
    assert over.id not in tomorrow


@pytest.mark.parametrize(
    ("community", "visible"),
    [
        ("community_a", {"community", "street", "district"}),
        ("community_b", {"street", "district"}),
        ("community_c", {"district"}),
    ],
)
def test_the_catalog_shows_only_rewards_for_the_volunteers_area(tree, community, visible):
    partner, owner = make_shop(tree)
    by_area = {
        area.value: make_reward(partner, owner, title=f"For the {area.value}", area=area)
        for area in RewardArea
    }
    volunteer = make_volunteer(tree, community, name="Reader")

    shown = set(catalog_ids(volunteer))

    assert shown == {by_area[area].id for area in visible}
    for area, reward in by_area.items():
        assert catalog.eligible(volunteer.id, reward) is (area in visible)


def test_someone_without_a_volunteer_profile_sees_an_empty_catalog(world):
    assert catalog.catalog(999_999, catalog.CatalogFilters(), now=NOW) == ([], [])
    assert catalog.eligible(999_999, world.reward) is False


# --- Photos --------------------------------------------------------------------------


def image_bytes(image: Image.Image, fmt: str, **save) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def stored_photo(reward_id: int) -> tuple[RewardPhoto, Image.Image, bytes]:
    db.session.expire_all()
    reward = db.session.get(Reward, reward_id)
    data = catalog.photo_data(reward.photo_id)
    image = Image.open(io.BytesIO(data))
    image.load()
    return reward.photo, image, data


def close_to(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.mark.parametrize(
    "upload",
    [
        b"this is not a picture",
        b"\xff\xd8\xff\xe0 a JPEG header and nothing else",
        "gif",
        "truncated",
    ],
)
def test_an_upload_that_is_not_an_accepted_image_is_refused(tree, upload):
    if upload == "gif":
        upload = image_bytes(Image.new("RGB", (20, 20), "red"), "GIF")
    elif upload == "truncated":
        noisy = Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3))
        upload = image_bytes(noisy, "JPEG")[:-400]
    partner, owner = make_shop(tree)

    error = refused(lambda: make_reward(partner, owner, photo=upload))

    assert error.field == "photo"
    assert count(Reward) == 0
    assert count(RewardPhoto) == 0


@pytest.mark.app_config(REWARD_PHOTO_MAX_BYTES=2000)
def test_an_oversized_photo_is_refused(tree):
    partner, owner = make_shop(tree)
    big = image_bytes(Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)), "PNG")
    assert len(big) > 2000

    error = refused(lambda: make_reward(partner, owner, photo=big))

    assert error.field == "photo"
    assert "MB" in error.message
    assert count(RewardPhoto) == 0
    # A photo under the limit is taken.
    small = image_bytes(Image.new("RGB", (8, 8), "red"), "PNG")
    assert len(small) <= 2000
    assert make_reward(partner, owner, photo=small).photo_id is not None


def test_a_photos_metadata_and_gps_position_are_not_kept(tree):
    partner, owner = make_shop(tree)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "SecretCam 9"  # Model
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (31.0, 14.0, 6.0), 3: "E", 4: (121.0, 28.0, 12.0)})
    upload = image_bytes(
        Image.new("RGB", (64, 48), (200, 30, 30)), "JPEG", exif=exif.tobytes(), comment=b"home"
    )
    # The upload really carries them.
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(0x8825)
    assert b"SecretCam" in upload

    reward = make_reward(partner, owner, photo=upload)

    photo, image, data = stored_photo(reward.id)
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert not image.getexif().get_ifd(0x8825)
    assert b"Exif" not in data
    assert b"SecretCam" not in data and b"PhoneMaker" not in data and b"home" not in data
    assert "exif" not in image.info and "comment" not in image.info
    assert (photo.width, photo.height) == (64, 48) == image.size


def test_a_transparent_png_is_flattened_onto_white(tree):
    partner, owner = make_shop(tree)
    picture = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    picture.paste(Image.new("RGBA", (20, 20), (0, 160, 0, 255)), (20, 0))

    reward = make_reward(partner, owner, photo=image_bytes(picture, "PNG"))

    photo, image, _data = stored_photo(reward.id)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert close_to(image.getpixel((5, 10)), (255, 255, 255))
    assert close_to(image.getpixel((35, 10)), (0, 160, 0))
    assert (photo.width, photo.height) == (40, 20)


def test_a_palette_png_with_a_transparent_colour_is_flattened_onto_white(tree):
    partner, owner = make_shop(tree)
    picture = Image.new("P", (20, 20), 0)
    picture.putpalette([0, 0, 0, 0, 0, 255] + [0] * (254 * 3))
    picture.paste(1, (10, 0, 20, 20))

    reward = make_reward(partner, owner, photo=image_bytes(picture, "PNG", transparency=0))

    _photo, image, _data = stored_photo(reward.id)
    assert close_to(image.getpixel((2, 10)), (255, 255, 255))
    assert close_to(image.getpixel((17, 10)), (0, 0, 255))


def test_an_rgb_png_with_a_transparent_colour_is_flattened_onto_white(tree):
    """A PNG without an alpha channel can still name one colour transparent (tRNS)."""
    partner, owner = make_shop(tree)
    picture = Image.new("RGB", (20, 20), (255, 0, 255))  # the transparent key colour
    picture.paste(Image.new("RGB", (10, 20), (0, 0, 255)), (10, 0))
    upload = image_bytes(picture, "PNG", transparency=(255, 0, 255))

    reward = make_reward(partner, owner, photo=upload)

    _photo, image, _data = stored_photo(reward.id)
    assert close_to(image.getpixel((2, 10)), (255, 255, 255))
    assert close_to(image.getpixel((17, 10)), (0, 0, 255))


def test_a_webp_photo_is_accepted_and_stored_as_jpeg(tree):
    partner, owner = make_shop(tree)
    upload = image_bytes(Image.new("RGB", (30, 30), (20, 40, 200)), "WEBP")

    reward = make_reward(partner, owner, photo=upload)

    photo, image, _data = stored_photo(reward.id)
    assert image.format == "JPEG"
    assert (photo.width, photo.height) == (30, 30)
    assert close_to(image.getpixel((15, 15)), (20, 40, 200))


def test_a_phone_photo_with_a_second_mpo_frame_is_accepted(tree):
    """Many phone cameras write JPEG files with a second (preview or depth) image in
    them; Pillow reads them as format "MPO". They are JPEG files for everyone else."""
    partner, owner = make_shop(tree)
    main = Image.new("RGB", (60, 40), (200, 30, 30))
    upload = image_bytes(main, "MPO", save_all=True, append_images=[main.resize((30, 20))])
    assert upload[:3] == b"\xff\xd8\xff"  # a JPEG file

    reward = make_reward(partner, owner, photo=upload)

    photo, image, _data = stored_photo(reward.id)
    assert image.format == "JPEG"
    assert (photo.width, photo.height) == (60, 40)


def test_a_photo_is_turned_upright_from_its_exif_orientation(tree):
    partner, owner = make_shop(tree)
    # Stored sideways: red on the left, blue on the right; orientation 6 says "rotate
    # 90° clockwise to view", so upright the red half is on top.
    sideways = Image.new("RGB", (80, 40), (0, 0, 255))
    sideways.paste(Image.new("RGB", (40, 40), (255, 0, 0)), (0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    upload = image_bytes(sideways, "JPEG", exif=exif.tobytes(), quality=95)

    reward = make_reward(partner, owner, photo=upload)

    photo, image, _data = stored_photo(reward.id)
    assert (photo.width, photo.height) == (40, 80) == image.size
    assert close_to(image.getpixel((20, 10)), (255, 0, 0))
    assert close_to(image.getpixel((20, 70)), (0, 0, 255))
    assert 0x0112 not in image.getexif()  # no orientation left to apply twice


def test_a_large_photo_is_scaled_down_to_fit(tree):
    partner, owner = make_shop(tree)
    upload = image_bytes(Image.new("RGB", (2400, 600), (10, 120, 10)), "PNG")

    reward = make_reward(partner, owner, photo=upload)

    photo, image, _data = stored_photo(reward.id)
    assert (photo.width, photo.height) == (1200, 300) == image.size


def test_a_new_photo_is_a_new_row_and_a_photo_can_be_removed(tree):
    partner, owner = make_shop(tree)
    first = image_bytes(Image.new("RGB", (10, 10), "red"), "PNG")
    second = image_bytes(Image.new("RGB", (12, 12), "blue"), "PNG")
    reward = make_reward(partner, owner, photo=first)
    first_photo = reward.photo_id

    catalog.save_reward(owner.id, partner.id, reward_input(), reward_id=reward.id, photo=second)
    db.session.expire_all()
    second_photo = db.session.get(Reward, reward.id).photo_id
    assert second_photo not in (None, first_photo)
    assert catalog.photo_data(first_photo) is not None  # cached URLs stay valid

    # Editing without a photo keeps it; remove_photo takes it off.
    catalog.save_reward(owner.id, partner.id, reward_input(), reward_id=reward.id)
    db.session.expire_all()
    assert db.session.get(Reward, reward.id).photo_id == second_photo
    catalog.save_reward(
        owner.id, partner.id, reward_input(), reward_id=reward.id, remove_photo=True
    )
    db.session.expire_all()
    assert db.session.get(Reward, reward.id).photo_id is None


# --- The economy report --------------------------------------------------------------


def earn(volunteer_id, amount, at, kind=EntryKind.earn):
    points.post_entry(
        volunteer_id, amount, kind, key=f"econ:{volunteer_id}:{amount}:{at.isoformat()}", now=at
    )


def test_the_economy_report_of_a_community_for_a_local_month(tree):
    grocery, grocer = make_shop(tree)
    tea, tea_owner = make_shop(tree, name="Tea House")
    rice = make_reward(grocery, grocer, title="Rice", price=100, area=RewardArea.street)
    oil = make_reward(grocery, grocer, title="Oil", price=50)
    cup = make_reward(tea, tea_owner, title="Tea", price=30)
    alice = make_volunteer(tree, name="Alice")  # community A
    bob = make_volunteer(tree, "community_b", name="Bob")

    earn(alice.id, 500, datetime(2026, 11, 20, 2, 0))  # November
    earn(alice.id, 7, DEC_START - SECOND)  # 23:59:59 on 30 November in Shanghai
    earn(alice.id, 300, DEC_START)  # midnight of 1 December in Shanghai
    earn(alice.id, 20, NOW, kind=EntryKind.adjust)
    used = redeem(alice, rice, now=NOW + timedelta(days=1))
    reward_vouchers.fulfil(grocer.id, used.id, now=NOW + timedelta(days=2))
    given_back = redeem(alice, oil, now=NOW + timedelta(days=3))
    reward_vouchers.cancel(alice.id, given_back.id, now=NOW + timedelta(days=4))
    redeem(alice, cup, now=NOW + timedelta(days=5))
    redeem(alice, cup, now=NOW + timedelta(days=6))
    earn(alice.id, -10, NOW + timedelta(days=7), kind=EntryKind.expire)
    earn(alice.id, 1000, JAN_START)  # midnight of 1 January in Shanghai
    # Another community's volunteer, at the same shop in the same month.
    earn(bob.id, 400, NOW)
    redeem(bob, rice, now=NOW + timedelta(days=1))

    report = economy.report(db.session.get(OrgUnit, tree.community_a), date(2026, 12, 1))

    assert report.issued == 300
    assert report.redeemed == 100 + 50 + 30 + 30
    assert report.refunded == 50
    assert report.expired == 10
    assert report.adjusted == 20
    assert report.outstanding == 500 + 7 + 300 + 20 - 210 + 50 - 10
    assert report.outstanding == points.ledger_sum(alice.id) - 1000
    assert [(p.name, p.vouchers, p.points, p.fulfilled) for p in report.partners] == [
        ("Kind Grocery", 1, 100, 1),  # the cancelled oil voucher does not count
        ("Tea House", 2, 60, 0),
    ]
    assert [(r.title, r.partner, r.vouchers) for r in report.top_rewards] == [
        ("Tea", "Tea House", 2),
        ("Rice", "Kind Grocery", 1),
    ]

    november = economy.report(report.community, date(2026, 11, 1))
    assert (november.issued, november.redeemed, november.outstanding) == (507, 0, 507)
    assert november.partners == [] and november.top_rewards == []

    beta = economy.report(db.session.get(OrgUnit, tree.community_b), date(2026, 12, 1))
    assert (beta.issued, beta.redeemed, beta.outstanding) == (400, 100, 300)
    assert [(p.name, p.vouchers) for p in beta.partners] == [("Kind Grocery", 1)]


def test_the_economy_months_are_parsed_leniently(app):
    fallback = date(2026, 12, 1)
    assert economy.parse_month("2026-11", fallback) == date(2026, 11, 1)
    assert economy.parse_month("2026-13", fallback) == fallback
    assert economy.parse_month("soon", fallback) == fallback
    assert economy.parse_month(None, fallback) == fallback
    assert clock.local_month(date(2026, 12, 1)) == (DEC_START, JAN_START)


# --- The partner's figures -----------------------------------------------------------


def test_partner_stats_count_by_local_day_and_month(tree):
    w = shop_world(tree, price=100, stock=20, balance=2000)
    issued_at = NOW - timedelta(days=2)
    vouchers = [redeem(w.volunteer, w.reward, now=issued_at) for _ in range(6)]
    # 23:00 on 30 November in Shanghai: yesterday, last month.
    reward_vouchers.fulfil(w.owner.id, vouchers[0].id, now=DEC_START - timedelta(hours=1))
    # 01:00 on 1 December in Shanghai, still 30 November in UTC: today.
    reward_vouchers.fulfil(w.owner.id, vouchers[1].id, now=DEC_START + timedelta(hours=1))
    reward_vouchers.fulfil(w.owner.id, vouchers[2].id, now=NOW)
    reward_vouchers.cancel(w.volunteer.id, vouchers[3].id, now=NOW)
    reward_vouchers.reject(w.owner.id, vouchers[4].id, "No stock", now=NOW)
    # vouchers[5] is still to be used.

    stats = settlement.partner_stats(w.partner.id, now=NOW)
    assert (
        stats.fulfilled_today,
        stats.fulfilled_this_month,
        stats.points_this_month,
        stats.outstanding,
    ) == (2, 2, 200, 1)

    tomorrow = settlement.partner_stats(w.partner.id, now=NOW + timedelta(days=1))
    assert (tomorrow.fulfilled_today, tomorrow.fulfilled_this_month) == (0, 2)
    other_shop, _ = make_shop(tree, name="Tea House")
    empty = settlement.partner_stats(other_shop.id, now=NOW)
    assert (empty.fulfilled_today, empty.fulfilled_this_month, empty.outstanding) == (0, 0, 0)


def test_fulfilled_between_takes_local_dates_inclusive(tree):
    w = shop_world(tree, price=100, stock=20, balance=2000)
    vouchers = [redeem(w.volunteer, w.reward, now=NOW - timedelta(days=3)) for _ in range(5)]
    moments = [
        DEC_START - timedelta(hours=1),  # 30 November, 23:00 local
        DEC_START,  # 1 December, 00:00 local
        DEC_START + timedelta(days=1) - SECOND,  # 1 December, 23:59:59 local
        DEC_START + timedelta(days=1),  # 2 December, 00:00 local
    ]
    for redemption, at in zip(vouchers, moments, strict=False):
        reward_vouchers.fulfil(w.owner.id, redemption.id, now=at)
    reward_vouchers.cancel(w.volunteer.id, vouchers[4].id, now=NOW)

    def ids(first, last):
        return [r.id for r in settlement.fulfilled_between(w.partner.id, first, last)]

    v = [r.id for r in vouchers]
    assert ids(date(2026, 12, 1), date(2026, 12, 1)) == [v[1], v[2]]
    assert ids(date(2026, 11, 30), date(2026, 11, 30)) == [v[0]]
    assert ids(date(2026, 11, 30), date(2026, 12, 2)) == v[:4]
    assert ids(date(2026, 12, 3), date(2026, 12, 31)) == []
    rows = settlement.fulfilled_between(w.partner.id, date(2026, 12, 1), date(2026, 12, 1))
    assert rows[0].fulfilled_by.name == "Shop owner"
    assert rows[0].volunteer.name == "Volunteer"


# --- Area-limited rewards and a recent move -------------------------------------------


def move_home(volunteer, tree, community: str, *, now):
    grids = {"community_a": tree.grid_a1, "community_b": tree.grid_b1, "community_c": None}
    accounts.update_profile(
        volunteer.id,
        name=volunteer.name,
        community_id=getattr(tree, community),
        grid_id=grids[community],
        skill_ids=[],
        is_party_member=False,
        employer_unit=None,
        availability=None,
        now=now,
    )


def test_moving_home_to_redeem_another_areas_reward_and_back_is_refused(app):
    tree = make_tree()
    partner, owner = make_shop(tree)  # in community A, reward limited to community A
    reward = make_reward(partner, owner, price=100, stock=10)
    volunteer = make_volunteer(tree, "community_b")
    give_points(volunteer.id, 1000)

    move_home(volunteer, tree, "community_a", now=NOW)
    with pytest.raises(ServiceError) as refused, force_locale("en"):
        redeem(volunteer, reward, now=NOW + timedelta(hours=1))
    message = refused.value.message
    assert "Alpha Community" in message and "31 Dec" in message  # 30 days on
    move_home(volunteer, tree, "community_b", now=NOW + timedelta(hours=2))
    with pytest.raises(ServiceError):
        redeem(volunteer, reward, now=NOW + timedelta(hours=3))
    assert points.account(volunteer.id).balance == 1000
    assert db.session.get(Reward, reward.id).stock == 10
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0

    # Moved in for good: settled 30 days after the move.
    move_home(volunteer, tree, "community_a", now=NOW + timedelta(days=1))
    with pytest.raises(ServiceError):
        redeem(volunteer, reward, now=NOW + timedelta(days=30, hours=23))
    voucher = redeem(volunteer, reward, now=NOW + timedelta(days=31, minutes=1))
    assert voucher.status is VoucherStatus.issued
    assert points.account(volunteer.id).balance == 900


def test_a_move_within_the_rewards_area_keeps_the_volunteer_settled(app):
    tree = make_tree()
    partner, owner = make_shop(tree)
    street_reward = make_reward(partner, owner, area=RewardArea.street)  # A and B
    volunteer = make_volunteer(tree, "community_b")
    give_points(volunteer.id, 1000)
    move_home(volunteer, tree, "community_a", now=NOW)
    assert redeem(volunteer, street_reward, now=NOW + timedelta(hours=1)).price == 100


def test_a_newcomer_who_earned_points_in_the_area_may_redeem_at_once(app):
    w = shift_world()  # a shift of community A; both volunteers live in A
    served, idle = w.volunteers
    scan_in(served, w.shift, START)
    scan_out(served, w.shift, START + timedelta(hours=2))
    checkin.confirm_shift(w.admin.id, w.shift.id, {}, now=START + timedelta(hours=3))
    partner, owner = make_shop(w.tree)
    reward = make_reward(partner, owner, price=10)
    later = START + timedelta(days=1)
    for volunteer in (served, idle):
        give_points(volunteer.id, 100)
        move_home(volunteer, w.tree, "community_b", now=later)
        move_home(volunteer, w.tree, "community_a", now=later + timedelta(hours=1))
    assert redeem(served, reward, now=later + timedelta(hours=2)).price == 10
    with pytest.raises(ServiceError):
        redeem(idle, reward, now=later + timedelta(hours=2))
