"""When a report counts, and the queries every part of 双报到 shares.

A unit or member report *counts* while it is confirmed and its term has not ended
(``valid_until``, a local date, inclusive). The term is ``REPORT_TERM_MONTHS`` months
from the day it is confirmed (a setting; 12 by default: reporting is renewed yearly).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, exists, select

from govhub.accounts.models import User
from govhub.extensions import db
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from govhub.reporting.models import MemberReport, ReportStatus, UnitReport


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day
    (31 January + 1 month is 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(confirmed_on: date) -> date:
    """The last day a report confirmed on ``confirmed_on`` counts."""
    return add_months(confirmed_on, current_app.config["REPORT_TERM_MONTHS"]) - timedelta(days=1)


def counts_clause(model: type[UnitReport] | type[MemberReport], today: date):
    """SQL condition: a report of ``model`` that counts on ``today``."""
    return and_(model.status == ReportStatus.confirmed, model.valid_until >= today)


def counts(report: UnitReport | MemberReport, today: date) -> bool:
    return (
        report.status is ReportStatus.confirmed
        and report.valid_until is not None
        and report.valid_until >= today
    )


def reported_units_query(today: date):
    """Approved stationed units with a report that counts in any community: the units an
    in-service party member can choose as their employer."""
    reported = exists().where(UnitReport.partner_id == Partner.id, counts_clause(UnitReport, today))
    return (
        select(Partner)
        .where(
            Partner.kind == PartnerKind.unit,
            Partner.status == PartnerStatus.approved,
            reported,
        )
        .order_by(Partner.name, Partner.id)
    )


def liaison_units(user: User, today: date) -> list[Partner]:
    """The units ``user`` is the liaison of: named on one of the unit's reports that
    counts (in any community)."""
    if not getattr(user, "is_authenticated", False):
        return []
    query = (
        select(Partner)
        .join(UnitReport, UnitReport.partner_id == Partner.id)
        .where(UnitReport.liaison_id == user.id, counts_clause(UnitReport, today))
        .distinct()
        .order_by(Partner.name, Partner.id)
    )
    return list(db.session.scalars(query))


def is_liaison(user: User, partner_id: int, today: date) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    query = select(
        exists().where(
            UnitReport.partner_id == partner_id,
            UnitReport.liaison_id == user.id,
            counts_clause(UnitReport, today),
        )
    )
    return bool(db.session.scalar(query))


def unit_reported_to(partner_id: int, community_id: int, today: date) -> UnitReport | None:
    """The unit's report to ``community_id`` that counts on ``today``, if any."""
    query = select(UnitReport).where(
        UnitReport.partner_id == partner_id,
        UnitReport.community_id == community_id,
        counts_clause(UnitReport, today),
    )
    return db.session.scalars(query.order_by(UnitReport.id.desc())).first()
