"""Settlement: the figures on a partner's shop page and the export of the vouchers it
fulfilled, for settling with the community. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from govhub.clock import local_date, local_days, local_month, to_local
from govhub.exports.writer import csv_text
from govhub.extensions import db
from govhub.rewards.models import COUNTED_STATUSES, Redemption, VoucherStatus

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


# --- The settlement export -----------------------------------------------------------

CSV_HEADER = (
    "voucher_code",
    "reward",
    "points",
    "volunteer",
    "volunteer_phone",
    "issued_at",
    "fulfilled_at",
    "verified_by",
)


def export_csv(partner_id: int, first: date, last: date) -> str:
    """The vouchers the partner fulfilled from ``first`` to ``last`` as CSV, for settlement
    with the community: UTF-8 with a byte-order mark, so Excel opens the Chinese text
    correctly, and formula-like text quoted (``govhub.exports.writer``)."""
    rows = (
        (
            r.display_code,
            r.title,
            r.price,
            r.volunteer.name,
            r.volunteer.masked_phone,
            to_local(r.issued_at).strftime("%Y-%m-%d %H:%M"),
            to_local(r.fulfilled_at).strftime("%Y-%m-%d %H:%M") if r.fulfilled_at else "",
            r.fulfilled_by.name if r.fulfilled_by else "",
        )
        for r in fulfilled_between(partner_id, first, last)
    )
    return csv_text(CSV_HEADER, rows)
