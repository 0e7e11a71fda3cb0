"""Rewards and the catalog: what a partner offers (input, create, edit, pause, stock
changes) and what a volunteer may redeem (the catalog query, the area and newcomer rules).

A stock change is one conditional UPDATE on the stock as it is now, never a read and a
write back, so vouchers redeemed meanwhile are neither put back nor oversold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from govhub.accounts.models import HomeMove, VolunteerProfile
from govhub.audit import services as audit
from govhub.checkin.models import Attendance
from govhub.clock import local_date, local_month, show_day
from govhub.database import NotFound, ServiceError, get_or_raise, transactional
from govhub.extensions import db
from govhub.needs.models import Need, Shift
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
)

MAX_TITLE = 80
MAX_DESCRIPTION = 2000
MAX_PRICE = 100_000
MAX_STOCK = 100_000
MAX_MONTHLY_LIMIT = 100


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


def require_approved(partner: Partner) -> None:
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
    require_approved(partner)
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
        return _("This reward can be redeemed from %(date)s.", date=show_day(reward.available_from))
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
        moved=show_day(local_date(since)),
        date=show_day(local_date(since + timedelta(days=days))),
    )
