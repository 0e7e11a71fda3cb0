"""The points supermarket: listing rewards, redeeming them for vouchers, and what happens
to a voucher afterwards (used at the counter, cancelled, rejected, expired, withdrawn).

Every change of a voucher's state is one conditional UPDATE from ``issued``: whatever
races (a verification against the expiry job, two staff at the counter, a cancel and a
verification), exactly one wins, and the points move only for the winner — through
``points.services.post_entry``, with an idempotency key per voucher.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from govhub.accounts.models import HomeMove, VolunteerProfile
from govhub.audit import services as audit
from govhub.checkin.models import Attendance
from govhub.clock import local_date, local_days, local_month, local_text
from govhub.database import NotFound, ServiceError, get_or_raise, required_text, transactional
from govhub.extensions import db
from govhub.needs.models import Need, Shift
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner, PartnerStatus
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry
from govhub.references import RefType
from govhub.rewards import photos
from govhub.rewards.models import (
    COUNTED_STATUSES,
    Redemption,
    Reward,
    RewardArea,
    RewardPhoto,
    RewardStatus,
    VoucherStatus,
)

# Read aloud at a counter: no 0/O, no 1/I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_TITLE = 80
MAX_DESCRIPTION = 2000
MAX_PRICE = 100_000
MAX_STOCK = 100_000
MAX_MONTHLY_LIMIT = 100
MAX_REASON = 500


# --- Rewards -------------------------------------------------------------------------


@dataclass
class RewardInput:
    title: str
    description: str
    price: int | None
    stock: int | None
    monthly_limit: int | None
    available_from: date | None
    available_until: date | None
    area: RewardArea
    # On an edit: the stock the form showed. The change the staff made to it is applied
    # to the stock as it is now, so vouchers redeemed meanwhile are not put back.
    stock_seen: int | None = None


def _check(data: RewardInput) -> RewardInput:
    title = (data.title or "").strip()
    if not title:
        raise ServiceError(_("Enter what the reward is."), field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_TITLE), field="title")
    description = (data.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_DESCRIPTION), field="description")
    if data.price is None or not 1 <= data.price <= MAX_PRICE:
        raise ServiceError(_("Between %(min)s and %(max)s.", min=1, max=MAX_PRICE), field="price")
    if data.stock is None or not 0 <= data.stock <= MAX_STOCK:
        raise ServiceError(_("Between %(min)s and %(max)s.", min=0, max=MAX_STOCK), field="stock")
    if data.monthly_limit is not None and not 1 <= data.monthly_limit <= MAX_MONTHLY_LIMIT:
        raise ServiceError(
            _("Between %(min)s and %(max)s.", min=1, max=MAX_MONTHLY_LIMIT),
            field="monthly_limit",
        )
    if data.available_from and data.available_until and data.available_until < data.available_from:
        raise ServiceError(
            _("The last day cannot be before the first day."), field="available_until"
        )
    data.title, data.description = title, description
    return data


def area_unit(partner: Partner, area: RewardArea) -> OrgUnit:
    """The partner's community, street or district."""
    unit = db.session.scalar(
        select(OrgUnit).where(
            OrgUnit.id.in_(partner.community.ancestor_ids), OrgUnit.level == area.level
        )
    )
    if unit is None:
        raise ServiceError(
            _("Your community is not inside a %(level)s.", level=area.level.label), field="area"
        )
    return unit


def _require_approved(partner: Partner) -> None:
    if partner.status is not PartnerStatus.approved:
        raise ServiceError(
            _(
                "%(name)s is %(status)s: it cannot offer or honour rewards now.",
                name=partner.name,
                status=partner.status.label,
            )
        )


@transactional
def save_reward(
    actor_id: int,
    partner_id: int,
    data: RewardInput,
    *,
    reward_id: int | None = None,
    photo: bytes | None = None,
    remove_photo: bool = False,
) -> Reward:
    """List a new reward, or edit one of the partner's. A new price or title applies to
    vouchers issued from now on; vouchers already issued keep theirs."""
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(_("No such partner."))
    _require_approved(partner)
    data = _check(data)
    unit = area_unit(partner, data.area)
    if reward_id is None:
        reward = Reward(partner_id=partner.id, created_by_id=actor_id, status=RewardStatus.active)
        db.session.add(reward)
    else:
        reward = get_or_raise(Reward, reward_id, _l("No such reward."))
        if reward.partner_id != partner.id:
            raise NotFound(_("No such reward."))
    if photo:
        encoded = photos.reencode(photo)
        reward.photo = RewardPhoto(data=encoded.data, width=encoded.width, height=encoded.height)
    elif remove_photo:
        reward.photo = None
    reward.title = data.title
    reward.description = data.description
    assert data.price is not None and data.stock is not None  # checked above
    reward.price = data.price
    if reward_id is None or data.stock_seen is None:
        reward.stock = data.stock
    elif data.stock != data.stock_seen:
        _change_stock(reward, data.stock - data.stock_seen)
    reward.monthly_limit = data.monthly_limit
    reward.available_from = data.available_from
    reward.available_until = data.available_until
    reward.area = data.area
    reward.area_unit_id = unit.id
    db.session.flush()
    audit.record(
        actor_id,
        "reward.created" if reward_id is None else "reward.edited",
        RefType.reward,
        reward.id,
        title=reward.title,
        price=reward.price,
        stock=reward.stock,
    )
    return reward


def _change_stock(reward: Reward, delta: int) -> None:
    """Add ``delta`` to the stock in one UPDATE (redemptions may be taking it meanwhile)."""
    changed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Reward)
            .where(Reward.id == reward.id, Reward.stock + delta >= 0)
            .values(stock=Reward.stock + delta)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.refresh(reward, ["stock"])
    if not changed:
        raise ServiceError(
            _(
                "Only %(n)d are left now (vouchers were redeemed meanwhile); "
                "check the stock and save again.",
                n=reward.stock,
            ),
            field="stock",
        )


@transactional
def set_paused(actor_id: int, reward_id: int, paused: bool) -> Reward:
    reward = get_or_raise(Reward, reward_id, _l("No such reward."))
    reward.status = RewardStatus.paused if paused else RewardStatus.active
    audit.record(
        actor_id, "reward.paused" if paused else "reward.resumed", RefType.reward, reward.id
    )
    return reward


def partner_rewards(partner_id: int) -> list[Reward]:
    return list(
        db.session.scalars(
            select(Reward)
            .where(Reward.partner_id == partner_id)
            .order_by(Reward.status, Reward.title, Reward.id)
        )
    )


def photo_data(photo_id: int) -> bytes | None:
    return db.session.scalar(select(RewardPhoto.data).where(RewardPhoto.id == photo_id))


# --- The catalog ---------------------------------------------------------------------


def _available(today: date):
    return (
        Reward.status == RewardStatus.active,
        Partner.status == PartnerStatus.approved,
        or_(Reward.available_from.is_(None), Reward.available_from <= today),
        or_(Reward.available_until.is_(None), Reward.available_until >= today),
    )


@dataclass
class CatalogItem:
    reward: Reward
    used_this_month: int
    balance: int

    @property
    def allowance_left(self) -> int | None:
        """Vouchers the volunteer may still redeem this month; None without a limit."""
        limit = self.reward.monthly_limit
        return None if limit is None else max(0, limit - self.used_this_month)

    @property
    def affordable(self) -> bool:
        return self.balance >= self.reward.price

    @property
    def redeemable(self) -> bool:
        return self.affordable and self.reward.stock > 0 and self.allowance_left != 0


@dataclass
class CatalogFilters:
    affordable: bool = False
    partner_id: int | None = None
    max_price: int | None = None


def _home_community(volunteer_id: int) -> OrgUnit | None:
    profile = db.session.get(VolunteerProfile, volunteer_id)
    return profile.community if profile else None


def used_this_month(volunteer_id: int, reward_ids, now: datetime) -> dict[int, int]:
    """How many vouchers of each reward the volunteer holds or used this month."""
    if not reward_ids:
        return {}
    start, end = local_month(local_date(now))
    rows = db.session.execute(
        select(Redemption.reward_id, func.count())
        .where(
            Redemption.volunteer_id == volunteer_id,
            Redemption.reward_id.in_(list(reward_ids)),
            Redemption.status.in_(COUNTED_STATUSES),
            Redemption.issued_at >= start,
            Redemption.issued_at < end,
        )
        .group_by(Redemption.reward_id)
    ).all()
    return dict(rows)


def catalog(
    volunteer_id: int, filters: CatalogFilters, *, now: datetime
) -> tuple[list[CatalogItem], list[Partner]]:
    """The rewards the volunteer may redeem (their community lies in the reward's area,
    the reward is on offer today and its partner approved), cheapest first, and the
    partners offering them (for the filter). Three queries."""
    community = _home_community(volunteer_id)
    if community is None:
        return [], []
    base = (
        select(Reward)
        .join(Reward.partner)
        .where(Reward.area_unit_id.in_(community.ancestor_ids), *_available(local_date(now)))
    )
    partners = list(
        db.session.scalars(
            select(Partner)
            .where(Partner.id.in_(base.with_only_columns(Reward.partner_id).scalar_subquery()))
            .order_by(Partner.name)
        )
    )
    balance = points.account(volunteer_id).balance
    query = base
    if filters.affordable:
        query = query.where(Reward.price <= balance)
    if filters.partner_id:
        query = query.where(Reward.partner_id == filters.partner_id)
    if filters.max_price:
        query = query.where(Reward.price <= filters.max_price)
    rewards = list(db.session.scalars(query.order_by(Reward.price, Reward.title, Reward.id)))
    used = used_this_month(volunteer_id, {r.id for r in rewards}, now)
    items = [CatalogItem(r, used.get(r.id, 0), balance) for r in rewards]
    if filters.affordable:
        items = [item for item in items if item.redeemable]
    return items, partners


def not_on_offer(reward: Reward, *, now: datetime) -> str | None:
    """Why the reward cannot be redeemed today whoever asks, or None when it can."""
    today = local_date(now)
    if reward.partner.status is not PartnerStatus.approved:
        return _("This reward is no longer offered.")
    if reward.status is not RewardStatus.active:
        return _("The business has paused this reward for now.")
    if reward.available_from and today < reward.available_from:
        return _(
            "This reward can be redeemed from %(date)s.", date=format_date(reward.available_from)
        )
    if reward.available_until and today > reward.available_until:
        return _("This reward is no longer offered.")
    return None


def catalog_item(volunteer_id: int, reward: Reward, *, now: datetime) -> CatalogItem:
    used = used_this_month(volunteer_id, {reward.id}, now).get(reward.id, 0)
    return CatalogItem(reward, used, points.account(volunteer_id).balance)


def eligible(volunteer_id: int, reward: Reward) -> bool:
    """Whether the volunteer's home community lies in the reward's area."""
    community = _home_community(volunteer_id)
    return community is not None and reward.area_unit_id in community.ancestor_ids


def moved_into(volunteer_id: int, area: OrgUnit) -> datetime | None:
    """When the volunteer's home (now inside ``area``) last moved into it from outside;
    None when it has been inside since they registered. Moves within the area (from one
    of its communities to another) do not count."""
    moves = db.session.scalars(
        select(HomeMove)
        .where(HomeMove.user_id == volunteer_id)
        .options(joinedload(HomeMove.from_community))
        .order_by(HomeMove.moved_at.desc(), HomeMove.id.desc())
    )
    for move in moves:
        if not area.contains(move.from_community):
            return move.moved_at
    return None


def earned_in(volunteer_id: int, area: OrgUnit) -> bool:
    """Whether the volunteer has earned points for service at a need inside ``area``."""
    found = db.session.scalar(
        select(LedgerEntry.id)
        .join(
            Attendance,
            (LedgerEntry.ref_type == "attendance") & (LedgerEntry.ref_id == Attendance.id),
        )
        .join(Shift, Shift.id == Attendance.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .join(OrgUnit, OrgUnit.id == Need.community_id)
        .where(
            LedgerEntry.volunteer_id == volunteer_id,
            LedgerEntry.kind == EntryKind.earn,
            LedgerEntry.amount > 0,
            OrgUnit.subtree_clause(area.path),
        )
        .limit(1)
    )
    return found is not None


def newcomer_refusal(volunteer_id: int, reward: Reward, *, now: datetime) -> str | None:
    """Why a volunteer who moved into the reward's area recently may not redeem it yet.

    A reward limited to an area is for its residents: a volunteer whose home moved into
    the area less than ``REWARD_AREA_SETTLED_DAYS`` days ago (default 30; 0 turns the
    rule off) may redeem it only once they have earned points for service there, so
    moving home, redeeming and moving back does not work. None when they may."""
    days = current_app.config["REWARD_AREA_SETTLED_DAYS"]
    area = reward.area_unit
    since = moved_into(volunteer_id, area) if days else None
    if since is None or since <= now - timedelta(days=days):
        return None
    if earned_in(volunteer_id, area):
        return None
    return _(
        "You moved your home into %(area)s on %(moved)s. Its rewards are for residents: "
        "you can redeem them from %(date)s, or as soon as you have earned points serving "
        "there.",
        area=area.name,
        moved=format_date(local_date(since)),
        date=format_date(local_date(since + timedelta(days=days))),
    )


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
    _require_approved(redemption.partner)
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


def expire_vouchers(*, now: datetime) -> int:
    """The scheduler's job: refund every unused voucher past its date, each in its own
    transaction. Running twice, or racing a verification, refunds each voucher once."""
    due = db.session.scalars(
        select(Redemption.id).where(
            Redemption.status == VoucherStatus.issued, Redemption.expires_at <= now
        )
    ).all()
    db.session.rollback()
    return sum(expire_voucher(redemption_id, now=now) for redemption_id in due)


def void_partner_vouchers(partner_id: int, actor_id: int, reason: str, *, now: datetime) -> int:
    """Refund every unused voucher of a suspended partner (joins the caller's transaction)."""
    ids = db.session.scalars(
        select(Redemption.id).where(
            Redemption.partner_id == partner_id, Redemption.status == VoucherStatus.issued
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


# --- The partner's page --------------------------------------------------------------


@dataclass
class PartnerStats:
    redeemed_today: int  # vouchers issued (not given back) today
    redeemed_this_month: int
    fulfilled_today: int  # vouchers verified at the counter today
    fulfilled_this_month: int
    points_this_month: int  # points of the vouchers verified this month
    outstanding: int  # vouchers issued and not yet used


def partner_stats(partner_id: int, *, now: datetime) -> PartnerStats:
    """The figures on the partner's page, in one query."""
    today = local_date(now)
    day_start, day_end = local_days(today, today)
    month_start, month_end = local_month(today)
    fulfilled = Redemption.status == VoucherStatus.fulfilled
    counted = Redemption.status.in_(COUNTED_STATUSES)

    def issued_between(start, end):
        return func.count().filter(
            counted, Redemption.issued_at >= start, Redemption.issued_at < end
        )

    def verified_in(start, end):
        return (fulfilled, Redemption.fulfilled_at >= start, Redemption.fulfilled_at < end)

    row = db.session.execute(
        select(
            issued_between(day_start, day_end),
            issued_between(month_start, month_end),
            func.count().filter(*verified_in(day_start, day_end)),
            func.count().filter(*verified_in(month_start, month_end)),
            func.coalesce(
                func.sum(Redemption.price).filter(*verified_in(month_start, month_end)), 0
            ),
            func.count().filter(Redemption.status == VoucherStatus.issued),
        ).where(Redemption.partner_id == partner_id)
    ).one()
    return PartnerStats(*(int(value) for value in row))


def recent_fulfilments(partner_id: int, limit: int = 20) -> list[Redemption]:
    return list(
        db.session.scalars(
            select(Redemption)
            .where(
                Redemption.partner_id == partner_id,
                Redemption.status == VoucherStatus.fulfilled,
            )
            .options(joinedload(Redemption.volunteer), joinedload(Redemption.fulfilled_by))
            .order_by(Redemption.fulfilled_at.desc())
            .limit(limit)
        )
    )


def fulfilled_between(partner_id: int, first: date, last: date) -> list[Redemption]:
    """Vouchers the partner fulfilled from ``first`` to ``last`` (local dates, inclusive),
    oldest first: the settlement list."""
    start, end = local_days(first, last)
    return list(
        db.session.scalars(
            select(Redemption)
            .where(
                Redemption.partner_id == partner_id,
                Redemption.status == VoucherStatus.fulfilled,
                Redemption.fulfilled_at >= start,
                Redemption.fulfilled_at < end,
            )
            .options(joinedload(Redemption.volunteer), joinedload(Redemption.fulfilled_by))
            .order_by(Redemption.fulfilled_at, Redemption.id)
        )
    )
