"""Scheduled jobs: thin, idempotent wrappers around services, each taking the clock.

Running a job twice for the same moment changes nothing the second time: reminders are
sent once per claim (a dedupe key), check-outs and confirmations only touch rows not yet
handled, and every earn entry has an idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, literal, select

from govhub.checkin import services as checkin
from govhub.clock import local_date
from govhub.database import end_read, in_batches, transactional
from govhub.extensions import db
from govhub.needs import posting
from govhub.needs.models import Claim, ClaimStatus, Need, NeedStatus, Shift
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.models import Notification
from govhub.notifications.services import notify_once
from govhub.points import expiry
from govhub.points import services as points
from govhub.references import RefType
from govhub.reporting import renewal as report_renewal
from govhub.rewards import vouchers as reward_vouchers

REMINDERS = (
    (timedelta(hours=24), "24h", NotificationKind.reminder_24h),
    (timedelta(hours=2), "2h", NotificationKind.reminder_2h),
)


# Reminders written per write transaction: SQLite's write lock is taken for one batch at
# a time, so a check-in waits behind a batch, never behind the whole run.
REMINDER_BATCH = 50


def send_reminders(*, now: datetime) -> int:
    """Remind volunteers of a claimed shift 24 hours and 2 hours before it starts.

    What is due and not yet sent is read outside any write transaction (the dedupe key's
    unique index answers "sent?"); then only those are written, ``REMINDER_BATCH`` a
    transaction. Each is written once, by its key, however often the job runs."""
    due = []
    end_read()
    for ahead, label, kind in REMINDERS:
        prefix = f"reminder:{label}:"
        sent = select(Notification.id).where(
            Notification.dedupe_key == literal(prefix) + cast(Claim.id, String)
        )
        rows = db.session.execute(
            select(Claim.id, Claim.volunteer_id, Shift.need_id, Shift.starts_at, Need.title)
            .join(Claim.shift)
            .join(Shift.need)
            .where(
                Claim.status == ClaimStatus.confirmed,
                Need.status == NeedStatus.open,
                Shift.starts_at > now,
                Shift.starts_at <= now + ahead,
                ~sent.exists(),
            )
            .order_by(Claim.id)
        ).all()
        due += [(prefix + str(row[0]), kind, *row[1:]) for row in rows]
    end_read()
    return in_batches(due, REMINDER_BATCH, _remind)


@transactional
def _remind(batch: list[tuple]) -> int:
    return sum(
        notify_once(
            key,
            volunteer_id,
            kind,
            RefType.need,
            need_id,
            title=title,
            starts_at=starts_at.isoformat(),
        )
        for key, kind, volunteer_id, need_id, starts_at, title in batch
    )


def end_shifts(*, now: datetime) -> int:
    """At the end of shifts: check out whoever forgot, close needs whose shifts all ended."""
    return checkin.auto_check_out(now=now) + posting.close_ended_needs(now=now)


def auto_confirm(*, now: datetime) -> int:
    return checkin.auto_confirm(now=now)


def audit_ledger(*, now: datetime) -> int:
    return len(points.audit_ledger(now=now).mismatches)


def expire_vouchers(*, now: datetime) -> int:
    return reward_vouchers.expire_vouchers(now=now)


def notify_expiring_points(*, now: datetime) -> int:
    return expiry.send_notices(now=now)


def expire_points(*, now: datetime) -> int:
    return expiry.expire_points(now=now)


def remind_report_renewals(*, now: datetime) -> int:
    """双报到: remind units and members to renew a report before it lapses."""
    return report_renewal.send_reminders(now=now)


def scan_integrity(*, now: datetime) -> int:
    """The integrity review's queue: what needs a second look (govhub/integrity)."""
    from govhub.integrity.services import scan

    return scan(now=now)


def refresh_statistics(*, now: datetime) -> int:
    """SQLite: refresh the query planner's statistics (``database.refresh_sqlite_statistics``:
    exact table and first-column counts read outside the write lock, then a short sampled
    ``ANALYZE``), so that the dashboards' and leaderboards' aggregates start from their
    narrowest index. PostgreSQL's autovacuum keeps its own statistics: nothing to do
    there. Returns 1 when it ran."""
    if db.engine.dialect.name != "sqlite":
        return 0
    from govhub.database import refresh_sqlite_statistics

    end_read()  # nothing of the session's is held while the job reads
    refresh_sqlite_statistics(db.engine)
    return 1


def refresh_dashboards(*, now: datetime) -> int:
    """Count the city's and the districts' dashboards for this month again and keep them
    (``oversight.snapshot``): the most opened, and the dearest to count, are ready when an
    office opens them. Returns how many were counted."""
    from govhub.oversight import snapshot

    return snapshot.refresh_busiest(local_date(now))


@dataclass(frozen=True)
class Job:
    func: object
    trigger: str  # "interval" or "cron"
    options: dict
    misfire_grace_time: int  # seconds a late run is still made (APScheduler's default is 1 s)


JOBS = {
    "send_reminders": Job(send_reminders, "interval", {"minutes": 5}, 10 * 60),
    "end_shifts": Job(end_shifts, "interval", {"minutes": 5}, 10 * 60),
    "auto_confirm": Job(auto_confirm, "interval", {"hours": 1}, 2 * 60 * 60),
    "audit_ledger": Job(audit_ledger, "cron", {"hour": 3, "minute": 17}, 12 * 60 * 60),
    "expire_vouchers": Job(expire_vouchers, "interval", {"minutes": 15}, 30 * 60),
    # Points expiry (only when GOVHUB_POINTS_EXPIRY_MONTHS is set). UTC times: notices at
    # 09:00 and the monthly run at 02:30 on the 1st, in Shanghai.
    "notify_expiring_points": Job(
        notify_expiring_points, "cron", {"hour": 1, "minute": 0}, 12 * 60 * 60
    ),
    "expire_points": Job(
        expire_points, "cron", {"day": "last", "hour": 18, "minute": 30}, 5 * 24 * 60 * 60
    ),
    # 防代刷时长: what needs a second look, every 10 minutes.
    "scan_integrity": Job(scan_integrity, "interval", {"minutes": 10}, 20 * 60),
    # The busiest dashboards, kept fresh: within their 10 minutes (DASHBOARD_CACHE_SECONDS).
    "refresh_dashboards": Job(refresh_dashboards, "interval", {"minutes": 5}, 10 * 60),
    # SQLite's planner statistics: nightly, 04:07 in Shanghai.
    "refresh_statistics": Job(refresh_statistics, "cron", {"hour": 20, "minute": 7}, 12 * 60 * 60),
    # 双报到 renewal reminders: daily, 09:30 in Shanghai.
    "remind_report_renewals": Job(
        remind_report_renewals, "cron", {"hour": 1, "minute": 30}, 12 * 60 * 60
    ),
}
