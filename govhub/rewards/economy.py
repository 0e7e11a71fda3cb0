"""The points economy of a community in a month: what was issued, spent, given back and
expired, what is still held, and where the points went.

Every figure is about the volunteers whose home community it is, wherever they served
or redeemed, so the figures of a community add up: outstanding at the end of a month is
outstanding at its start plus the month's net movement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from govhub.accounts.models import VolunteerProfile
from govhub.clock import local_month
from govhub.extensions import db
from govhub.forms import parse_date
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner
from govhub.points.models import EntryKind, LedgerEntry
from govhub.rewards.models import COUNTED_STATUSES, Redemption, VoucherStatus

TOP_REWARDS = 10


@dataclass
class PartnerLine:
    name: str
    vouchers: int
    points: int
    fulfilled: int


@dataclass
class RewardLine:
    title: str
    partner: str
    vouchers: int


@dataclass
class Economy:
    community: OrgUnit
    month: date  # its first day
    issued: int = 0  # earn entries
    redeemed: int = 0  # redeem entries, as a positive number
    refunded: int = 0
    expired: int = 0  # as a positive number
    adjusted: int = 0  # net manual adjustments
    outstanding: int = 0  # held by the community's volunteers at the end of the month
    partners: list[PartnerLine] = field(default_factory=list)
    top_rewards: list[RewardLine] = field(default_factory=list)


def parse_month(text: str | None, default: date) -> date:
    """ "2026-11" → 1 November 2026; anything else (or a month out of the supported
    range) → ``default``."""
    day = parse_date(f"{text}-01") if text else None
    return day or default


def report(community: OrgUnit, month: date) -> Economy:
    """Four queries: ledger totals by kind, the balance at the month's end, vouchers by
    partner, and the most redeemed rewards."""
    start, end = local_month(month)
    members = select(VolunteerProfile.user_id).where(VolunteerProfile.community_id == community.id)
    economy = Economy(community, month)

    by_kind = db.session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .where(
            LedgerEntry.volunteer_id.in_(members),
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
        )
        .group_by(LedgerEntry.kind)
    ).all()
    totals = {EntryKind(kind): int(total or 0) for kind, total in by_kind}
    economy.issued = totals.get(EntryKind.earn, 0)
    economy.redeemed = -totals.get(EntryKind.redeem, 0)
    economy.refunded = totals.get(EntryKind.refund, 0)
    economy.expired = -totals.get(EntryKind.expire, 0)
    economy.adjusted = totals.get(EntryKind.adjust, 0)
    economy.outstanding = int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.volunteer_id.in_(members), LedgerEntry.created_at < end
            )
        )
        or 0
    )

    in_month = (
        Redemption.volunteer_id.in_(members),
        Redemption.issued_at >= start,
        Redemption.issued_at < end,
        Redemption.status.in_(COUNTED_STATUSES),
    )
    economy.partners = [
        PartnerLine(name, vouchers, int(points), fulfilled)
        for name, vouchers, points, fulfilled in db.session.execute(
            select(
                Partner.name,
                func.count(Redemption.id),
                func.sum(Redemption.price),
                func.count(Redemption.id).filter(Redemption.status == VoucherStatus.fulfilled),
            )
            .join(Partner, Partner.id == Redemption.partner_id)
            .where(*in_month)
            .group_by(Partner.id, Partner.name)
            .order_by(func.sum(Redemption.price).desc(), Partner.name)
        )
    ]
    economy.top_rewards = [
        RewardLine(title, partner, vouchers)
        for title, partner, vouchers in db.session.execute(
            select(Redemption.title, Partner.name, func.count(Redemption.id))
            .join(Partner, Partner.id == Redemption.partner_id)
            .where(*in_month)
            .group_by(Redemption.reward_id, Redemption.title, Partner.name)
            .order_by(func.count(Redemption.id).desc(), Redemption.title)
            .limit(TOP_REWARDS)
        )
    ]
    return economy
