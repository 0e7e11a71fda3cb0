"""Renewal reminders: before a confirmed report lapses, the people who renew it hear so.

``REPORT_RENEWAL_NOTICE_DAYS`` before a report's term ends (``valid_until``), the job
reminds, once per report, the unit's liaison and staff (unit reports) or the member
(member reports). ``reminded_at`` is set by a conditional UPDATE (``WHERE reminded_at IS
NULL``), so two runs at once, or a run repeated, remind nobody twice; each notification
also carries a dedupe key. A report already renewed needs no reminder. A report that
lapses is not written to: it simply stops counting (``terms.counts``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import aliased

from govhub.clock import local_date
from govhub.database import in_batches, read_apart, transactional
from govhub.extensions import db
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify_once
from govhub.references import RefType
from govhub.reporting.models import MemberReport, ReportStatus, UnitReport
from govhub.reporting.units import changed_rows, recipients

# Renewals that stop a reminder: waiting, sent back for correction, or confirmed.
LIVE = (ReportStatus.pending, ReportStatus.returned, ReportStatus.confirmed)


def _due(model: type[UnitReport] | type[MemberReport], today: date):
    """Confirmed reports of ``model`` whose term ends within the notice period, not yet
    reminded and not yet renewed."""
    notice = timedelta(days=current_app.config["REPORT_RENEWAL_NOTICE_DAYS"])
    later = aliased(model)
    renewed = exists().where(later.renewal_of_id == model.id, later.status.in_(LIVE))
    return and_(
        model.status == ReportStatus.confirmed,
        model.reminded_at.is_(None),
        model.valid_until >= today,
        model.valid_until <= today + notice,
        ~renewed,
    )


def _claim(model: type[UnitReport] | type[MemberReport], report_id: int, now: datetime) -> bool:
    """Mark the report reminded; False if another run already did."""
    return (
        changed_rows(
            update(model)
            .where(model.id == report_id, model.reminded_at.is_(None))
            .values(reminded_at=now)
        )
        == 1
    )


# Reports reminded per write transaction: the write lock is held for one batch at a time.
BATCH = 25


def send_reminders(*, now: datetime) -> int:
    """Remind every report due for renewal, once; returns how many notifications went out.
    The reports due are found outside any write transaction, then reminded ``BATCH`` a
    transaction (each one claimed again there, so a report is reminded once)."""
    today = local_date(now)
    unit_ids = read_apart(
        select(UnitReport.id).where(_due(UnitReport, today)).order_by(UnitReport.id)
    )
    member_ids = read_apart(
        select(MemberReport.id).where(_due(MemberReport, today)).order_by(MemberReport.id)
    )
    return in_batches(unit_ids, BATCH, lambda ids: _remind_units(ids, now)) + in_batches(
        member_ids, BATCH, lambda ids: _remind_members(ids, now)
    )


@transactional
def _remind_units(report_ids: list[int], now: datetime) -> int:
    sent = 0
    for report in db.session.scalars(
        select(UnitReport).where(UnitReport.id.in_(report_ids)).order_by(UnitReport.id)
    ).all():
        if not _claim(UnitReport, report.id, now):
            continue
        for user_id in recipients(report):
            sent += notify_once(
                f"renewal:unit_report:{report.id}:{user_id}",
                user_id,
                NotificationKind.unit_report_renewal_due,
                RefType.unit_report,
                report.id,
                now=now,
                partner=report.partner.name,
                title=report.community.name,
                date=report.valid_until.isoformat() if report.valid_until else "",
            )
    return sent


@transactional
def _remind_members(report_ids: list[int], now: datetime) -> int:
    sent = 0
    for member_report in db.session.scalars(
        select(MemberReport).where(MemberReport.id.in_(report_ids)).order_by(MemberReport.id)
    ).all():
        if not _claim(MemberReport, member_report.id, now):
            continue
        sent += notify_once(
            f"renewal:member_report:{member_report.id}",
            member_report.user_id,
            NotificationKind.member_report_renewal_due,
            RefType.member_report,
            member_report.id,
            now=now,
            title=member_report.community.name,
            date=member_report.valid_until.isoformat() if member_report.valid_until else "",
        )
    return sent
