"""Vouchers: redeeming points for a reward, and what happens to a voucher afterwards
(used at the counter, cancelled, rejected, expired, withdrawn when its partner is
suspended).

Every change of a voucher's state is one conditional UPDATE from ``issued``: whatever
races (a verification against the expiry job, two staff at the counter, a cancel and a
verification), exactly one wins, and the points move only for the winner — through
``points.services.post_entry``, with an idempotency key per voucher.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from govhub.audit import services as audit
from govhub.clock import local_text
from govhub.database import (
    NotFound,
    ServiceError,
    get_or_raise,
    in_batches,
    read_apart,
    required_text,
    transactional,
)
from govhub.extensions import db
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.partners.models import Partner
from govhub.partners.signals import partner_suspended
from govhub.points import services as points
from govhub.points.models import EntryKind
from govhub.points.signals import ledger_ref_titles
from govhub.references import RefType
from govhub.rewards.catalog import (
    eligible,
    newcomer_refusal,
    not_on_offer,
    require_approved,
    used_this_month,
)
from govhub.rewards.models import Redemption, Reward, VoucherStatus

# Read aloud at a counter: no 0/O, no 1/I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_REASON = 500


# --- Redeeming -----------------------------------------------------------------------


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(Redemption.id).where(Redemption.code == code)) is None:
            return code


def normalize_code(typed: str) -> str:
    """A code as typed at the counter: any case, with spaces or a dash."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


@transactional
def redeem(volunteer_id: int, reward_id: int, *, key: str, now: datetime) -> Redemption:
    """Spend points on a reward and issue a voucher, or refuse and change nothing.

    ``key`` is the redeem button's idempotency key: sent again for the same reward it
    returns the voucher it issued; sent for another reward it is refused (KeyReused).
    """
    if not key:
        raise ServiceError(_("This form is out of date. Check it and send it again."))
    account = points.lock_account(volunteer_id)
    existing = db.session.scalar(select(Redemption).where(Redemption.request_key == key))
    if existing is not None:
        if existing.volunteer_id == volunteer_id and existing.reward_id == reward_id:
            return existing
        raise points.KeyReused(_("This request was already used for something else."))

    reward = db.session.scalar(
        select(Reward).where(Reward.id == reward_id).options(joinedload(Reward.partner))
    )
    if reward is None:
        raise NotFound(_("No such reward."))
    if problem := not_on_offer(reward, now=now):
        raise ServiceError(problem)
    if not eligible(volunteer_id, reward):
        raise ServiceError(_("This reward is for volunteers of another area."))
    if problem := newcomer_refusal(volunteer_id, reward, now=now):
        raise ServiceError(problem)
    if reward.monthly_limit is not None:
        used = used_this_month(volunteer_id, {reward.id}, now).get(reward.id, 0)
        if used >= reward.monthly_limit:
            raise ServiceError(
                _(
                    "You have already redeemed this reward %(n)d times this month, "
                    "the most allowed.",
                    n=used,
                )
            )
    if account.balance < reward.price:
        raise points.InsufficientPoints(
            _(
                "This reward needs %(price)d points; you have %(balance)d.",
                price=reward.price,
                balance=account.balance,
            )
        )
    taken = cast(
        CursorResult[Any],
        db.session.execute(
            update(Reward)
            .where(Reward.id == reward.id, Reward.stock > 0)
            .values(stock=Reward.stock - 1)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if taken != 1:
        raise ServiceError(_("Sorry, this reward is sold out."))

    redemption = Redemption(
        reward_id=reward.id,
        partner_id=reward.partner_id,
        volunteer_id=volunteer_id,
        title=reward.title,
        price=reward.price,
        code=_new_code(),
        request_key=key,
        status=VoucherStatus.issued,
        issued_at=now,
        expires_at=now + timedelta(days=current_app.config["VOUCHER_VALID_DAYS"]),
    )
    db.session.add(redemption)
    db.session.flush()
    points.post_entry(
        volunteer_id,
        -reward.price,
        EntryKind.redeem,
        key=f"redeem:{redemption.id}",
        ref=(RefType.redemption, redemption.id),
        actor_id=volunteer_id,
        now=now,
    )
    return redemption


def find_by_code(partner_id: int, typed: str) -> Redemption | None:
    """The partner's voucher with this short code; None for a code of another partner."""
    code = normalize_code(typed)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(
        select(Redemption).where(Redemption.code == code, Redemption.partner_id == partner_id)
    )


def vouchers_of(volunteer_id: int) -> list[Redemption]:
    """The volunteer's vouchers: ready ones first (soonest to expire), then the rest."""
    return list(
        db.session.scalars(
            select(Redemption)
            .where(Redemption.volunteer_id == volunteer_id)
            .order_by(
                (Redemption.status != VoucherStatus.issued),
                Redemption.expires_at,
                Redemption.id.desc(),
            )
            .limit(100)
        )
    )


# --- After issue: exactly one way out of "issued" --------------------------------------


def _leave_issued(redemption_id: int, status: VoucherStatus, *, extra=(), values: dict) -> bool:
    """Move the voucher out of ``issued`` if it is still there; True if this call did."""
    moved = cast(
        CursorResult[Any],
        db.session.execute(
            update(Redemption)
            .where(
                Redemption.id == redemption_id, Redemption.status == VoucherStatus.issued, *extra
            )
            .values(status=status, **values)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    return moved == 1


def _refund(
    redemption_id: int,
    status: VoucherStatus,
    *,
    now: datetime,
    actor_id: int | None,
    reason: str | None,
    restore_stock: bool,
    extra=(),
) -> tuple[Redemption, bool]:
    """Close an issued voucher as ``status`` and give its points back, once."""
    moved = _leave_issued(
        redemption_id,
        status,
        extra=extra,
        values={"closed_at": now, "closed_by_id": actor_id, "close_reason": reason},
    )
    redemption = db.session.get_one(Redemption, redemption_id, populate_existing=True)
    if not moved:
        return redemption, False
    points.post_entry(
        redemption.volunteer_id,
        redemption.price,
        EntryKind.refund,
        key=f"refund:{redemption.id}",
        ref=(RefType.redemption, redemption.id),
        actor_id=actor_id,
        reason=reason,
        now=now,
    )
    if restore_stock:
        db.session.execute(
            update(Reward)
            .where(Reward.id == redemption.reward_id)
            .values(stock=Reward.stock + 1)
            .execution_options(synchronize_session=False)
        )
    return redemption, True


def _tell(redemption: Redemption, kind: NotificationKind, **params) -> None:
    """Notify the voucher's holder (in the current transaction)."""
    notify(
        redemption.volunteer_id,
        kind,
        RefType.redemption,
        redemption.id,
        title=redemption.title,
        partner=redemption.partner.name,
        **params,
    )


def _explain(redemption: Redemption) -> str:
    """Why a voucher cannot be used or changed any more."""
    status = redemption.status
    if status is VoucherStatus.fulfilled:
        return _(
            "This voucher was already used on %(when)s (verified by %(who)s).",
            when=local_text(redemption.fulfilled_at) if redemption.fulfilled_at else "—",
            who=redemption.fulfilled_by.name if redemption.fulfilled_by else "—",
        )
    return _("This voucher is no longer valid: %(status)s.", status=status.label)


@transactional
def cancel(volunteer_id: int, redemption_id: int, *, now: datetime) -> Redemption:
    """The volunteer gives an unused voucher back: points refunded, stock restored."""
    redemption = get_or_raise(Redemption, redemption_id, _l("No such voucher."))
    if redemption.volunteer_id != volunteer_id:
        raise NotFound(_("No such voucher."))
    redemption, moved = _refund(
        redemption.id,
        VoucherStatus.cancelled,
        now=now,
        actor_id=volunteer_id,
        reason=None,
        restore_stock=True,
    )
    if not moved:
        raise ServiceError(_explain(redemption))
    return redemption


@dataclass
class Verification:
    redemption: Redemption
    done: bool  # this call changed it; False: it had already left "issued"
    message: str | None = None  # why not


@transactional
def fulfil(staff_id: int, redemption_id: int, *, now: datetime) -> Verification:
    """Staff confirm a voucher at the counter (核销). Once: a second attempt (or another
    staff member at the same moment) learns when and by whom it was used."""
    redemption = get_or_raise(Redemption, redemption_id, _l("No such voucher."))
    require_approved(redemption.partner)
    moved = _leave_issued(
        redemption.id,
        VoucherStatus.fulfilled,
        extra=(Redemption.expires_at > now,),
        values={"fulfilled_at": now, "fulfilled_by_id": staff_id},
    )
    redemption = db.session.get_one(Redemption, redemption.id, populate_existing=True)
    if not moved:
        if redemption.status is VoucherStatus.issued:
            return Verification(
                redemption,
                False,
                _(
                    "This voucher expired on %(when)s; its points go back to the volunteer.",
                    when=local_text(redemption.expires_at),
                ),
            )
        return Verification(redemption, False, _explain(redemption))
    _tell(redemption, NotificationKind.voucher_fulfilled)
    return Verification(redemption, True)


@transactional
def reject(staff_id: int, redemption_id: int, reason: str, *, now: datetime) -> Verification:
    """Staff turn a voucher down with a reason (e.g. the goods ran out): the points go
    back to the volunteer. The stock is left as it is: the staff said the goods are not
    there; they can edit the stock if they are."""
    reason = required_text(
        reason, "reason", MAX_REASON, _l("Give a reason; the volunteer will see it.")
    )
    redemption = get_or_raise(Redemption, redemption_id, _l("No such voucher."))
    redemption, moved = _refund(
        redemption.id,
        VoucherStatus.rejected,
        now=now,
        actor_id=staff_id,
        reason=reason,
        restore_stock=False,
    )
    if not moved:
        return Verification(redemption, False, _explain(redemption))
    audit.record(staff_id, "voucher.rejected", RefType.redemption, redemption.id, reason=reason)
    _tell(redemption, NotificationKind.voucher_rejected, reason=reason)
    return Verification(redemption, True)


@transactional
def expire_voucher(redemption_id: int, *, now: datetime) -> bool:
    """Refund one unused voucher whose time is up; False if it was used or closed first."""
    redemption, moved = _refund(
        redemption_id,
        VoucherStatus.expired,
        now=now,
        actor_id=None,
        reason=None,
        restore_stock=True,
        extra=(Redemption.expires_at <= now,),
    )
    if moved:
        _tell(redemption, NotificationKind.voucher_expired, points=redemption.price)
    return moved


# Vouchers refunded per write transaction (``database.in_batches``): the write lock is
# held for one batch at a time.
EXPIRY_BATCH = 10


def expire_vouchers(*, now: datetime) -> int:
    """The scheduler's job: refund every unused voucher past its date. What is due is read
    outside any write transaction, then refunded ``EXPIRY_BATCH`` a transaction. Running
    twice, or racing a verification, refunds each voucher once: each refund moves the
    voucher only while it is still issued."""
    due = read_apart(
        select(Redemption.id)
        .where(Redemption.status == VoucherStatus.issued, Redemption.expires_at <= now)
        .order_by(Redemption.id)
    )
    return in_batches(due, EXPIRY_BATCH, lambda ids: _expire(ids, now))


@transactional
def _expire(redemption_ids: list[int], now: datetime) -> int:
    return sum(expire_voucher(redemption_id, now=now) for redemption_id in redemption_ids)


def void_partner_vouchers(partner: Partner, *, actor_id: int, reason: str, now: datetime) -> int:
    """Refund every unused voucher of a partner being suspended: the receiver of
    ``partner_suspended``, so it joins the suspension's transaction. Returns how many."""
    ids = db.session.scalars(
        select(Redemption.id).where(
            Redemption.partner_id == partner.id, Redemption.status == VoucherStatus.issued
        )
    ).all()
    voided = 0
    for redemption_id in ids:
        redemption, moved = _refund(
            redemption_id,
            VoucherStatus.voided,
            now=now,
            actor_id=actor_id,
            reason=reason,
            restore_stock=True,
        )
        if moved:
            voided += 1
            _tell(redemption, NotificationKind.voucher_voided)
    return voided


def voucher_titles(_ref_type: str, *, ids) -> dict[int, str]:
    """What each voucher was for, for the points history (``ledger_ref_titles``)."""
    return dict(
        db.session.execute(
            select(Redemption.id, Redemption.title).where(Redemption.id.in_(list(ids)))
        ).all()
    )


def connect_signals() -> None:
    """Connect the vouchers' receivers to the signals of other domains (create_app calls
    it; connecting twice is harmless)."""
    partner_suspended.connect(void_partner_vouchers)
    ledger_ref_titles.connect(voucher_titles, sender="redemption")
