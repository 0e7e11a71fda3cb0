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
from datetime import datetime, timedelta

from sqlalchemy import String, or_, update
from sqlalchemy.orm import Mapped, mapped_column

from govhub.database import insert_ignoring_conflict, transactional
from govhub.extensions import db

LEASE_NAME = "scheduler"
LEASE_SECONDS = 90
RENEW_SECONDS = 30


class SchedulerLease(db.Model):
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
    taken = db.session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == LEASE_NAME,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
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
