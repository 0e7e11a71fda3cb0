"""Runs the scheduled jobs (govhub/jobs.py): ``flask --app wsgi scheduler``.

Exactly one scheduler may run per deployment. Each scheduler process tries to hold a
lease row in the database; only the holder runs jobs, and it renews the lease while it
lives. A second scheduler started against the same database waits (without running
anything) until the first stops and its lease expires.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import String, or_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, mapped_column

from govhub.database import insert_ignoring_conflict, transactional, utcnow
from govhub.extensions import Model, db

LEASE_NAME = "scheduler"
LEASE_SECONDS = 90
RENEW_SECONDS = 30


class SchedulerLease(Model):
    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@transactional
def acquire_lease(holder: str, *, now: datetime, seconds: int = LEASE_SECONDS) -> bool:
    """Take or renew the lease; True if ``holder`` holds it afterwards."""
    insert_ignoring_conflict(
        SchedulerLease,
        {"name": LEASE_NAME, "holder": holder, "expires_at": now + timedelta(seconds=seconds)},
        "name",
    )
    taken = cast(
        CursorResult[Any],
        db.session.execute(
            update(SchedulerLease)
            .where(
                SchedulerLease.name == LEASE_NAME,
                or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now),
            )
            .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    return taken == 1


@transactional
def release_lease(holder: str) -> None:
    db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
        .values(expires_at=datetime(2000, 1, 1))
        .execution_options(synchronize_session=False)
    )


class Runner:
    """One scheduler process: APScheduler runs the jobs, each guarded by the lease."""

    def __init__(self, app, *, holder: str | None = None, jobs=None, scheduler_class=None) -> None:
        from apscheduler.schedulers.blocking import BlockingScheduler

        from govhub.jobs import JOBS

        self.app = app
        self.holder = holder or new_holder_id()
        self.jobs = JOBS if jobs is None else jobs
        self.scheduler = (scheduler_class or BlockingScheduler)(timezone="UTC")
        self.runs: list[str] = []
        for name, job in self.jobs.items():
            self.scheduler.add_job(
                self._guarded(name, job.func),
                job.trigger,
                id=name,
                name=name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=job.misfire_grace_time,
                # Run once at start: catches up whatever was missed while no scheduler ran.
                next_run_time=datetime.now(UTC),
                **job.options,
            )
        self.scheduler.add_job(
            self.renew,
            "interval",
            seconds=RENEW_SECONDS,
            id="lease",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=RENEW_SECONDS,
        )

    def renew(self) -> bool:
        with self.app.app_context():
            return acquire_lease(self.holder, now=utcnow())

    def _guarded(self, name: str, func):
        def run() -> None:
            with self.app.app_context():
                if not acquire_lease(self.holder, now=utcnow()):
                    return  # another scheduler holds the lease
                self.runs.append(name)
                result = func(now=utcnow())
                self.app.logger.info("job %s done: %s", name, result)

        return run

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        with self.app.app_context():
            release_lease(self.holder)
