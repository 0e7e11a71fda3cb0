"""Service records (志愿服务记录): a printable, verifiable list of a volunteer's confirmed
service, issued by an admin of the volunteer's community.

A record is a snapshot: it lists every confirmed attendance with minutes as they were
when it was issued, so it reads the same later. Its QR code links to a public page that
confirms it is genuine and shows only the name, total hours, number and issue date.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from govhub.accounts.models import User
from govhub.audit import services as audit
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.clock import to_local
from govhub.database import (
    NotFound,
    RetryTransaction,
    ServiceError,
    insert_ignoring_conflict,
    transactional,
)
from govhub.extensions import db
from govhub.needs.models import Shift
from govhub.points.models import ServiceRecord
from govhub.points.services import KeyReused
from govhub.references import RefType
from govhub.tokens import TokenRefused, read_record_token

# The largest id a token may name (the databases' INTEGER); a larger one is not ours.
MAX_ID = 2**31 - 1


def record_number(year: int, record_id: int) -> str:
    return f"GH-{year}-{record_id:06d}"


def confirmed_activities(volunteer_id: int) -> list[dict]:
    """Every confirmed attendance of the volunteer with minutes, oldest first, as the
    record's snapshot (one query)."""
    attendances = db.session.scalars(
        select(Attendance)
        .join(Attendance.shift)
        .where(
            Attendance.volunteer_id == volunteer_id,
            Attendance.status == AttendanceStatus.confirmed,
            Attendance.minutes > 0,
        )
        .options(joinedload(Attendance.shift).joinedload(Shift.need))
        .order_by(Shift.starts_at, Attendance.id)
    ).all()
    return [
        {
            "attendance_id": a.id,
            "date": to_local(a.shift.starts_at).date().isoformat(),
            "title": a.shift.need.title,
            "community": a.shift.need.community.name,
            "minutes": a.minutes,
            "evidence": a.check_in_evidence.value if a.check_in_evidence else None,
        }
        for a in attendances
    ]


@transactional
def issue_record(actor_id: int, volunteer_id: int, *, key: str, now: datetime) -> ServiceRecord:
    """Issue a record of all the volunteer's confirmed service, on behalf of their home
    community. Once per ``key``: a second submit of the same form returns the first record."""
    if actor_id == volunteer_id:
        raise ServiceError(
            _(
                "You cannot issue your own service record: "
                "another admin of your community does that."
            )
        )
    request_key = f"record:{key}"
    existing = db.session.scalar(
        select(ServiceRecord).where(ServiceRecord.request_key == request_key)
    )
    if existing is not None:
        if existing.volunteer_id != volunteer_id:
            raise KeyReused(_("This request was already used for something else."))
        return existing

    volunteer = db.session.get(User, volunteer_id)
    if volunteer is None:
        raise NotFound(_("No such user."))
    if volunteer.profile is None:
        raise ServiceError(_("This volunteer has no home community yet."))
    activities = confirmed_activities(volunteer_id)
    if not activities:
        raise ServiceError(_("There is no confirmed service to put on a record yet."))

    inserted = insert_ignoring_conflict(
        ServiceRecord,
        {
            # A unique placeholder until the id is known.
            "number": f"pending-{uuid.uuid4().hex}",
            "volunteer_id": volunteer_id,
            "volunteer_name": volunteer.name,
            "community_id": volunteer.profile.community_id,
            "issued_by_id": actor_id,
            "issued_at": now,
            "total_minutes": sum(a["minutes"] for a in activities),
            "activities": activities,
            "request_key": request_key,
        },
        "request_key",
    )
    if not inserted:  # the same form submitted at the same moment: answer like a retry
        raise RetryTransaction()
    record = db.session.scalars(
        select(ServiceRecord).where(ServiceRecord.request_key == request_key)
    ).one()
    record.number = record_number(to_local(now).year, record.id)
    audit.record(
        actor_id,
        "record.issued",
        RefType.service_record,
        record.id,
        volunteer_id=volunteer_id,
        number=record.number,
        total_minutes=record.total_minutes,
    )
    return record


def verify(token: str) -> ServiceRecord:
    """The record a QR token names, or NotFound when the token is forged or altered (or
    the record no longer exists)."""
    try:
        record_id = read_record_token(token)
    except TokenRefused:
        raise NotFound(_("This code was not issued by us or has been altered.")) from None
    if not 0 < record_id <= MAX_ID:
        raise NotFound(_("This code was not issued by us or has been altered."))
    record = db.session.get(ServiceRecord, record_id)
    if record is None:
        raise NotFound(_("No record with this code exists."))
    return record


def records_of(volunteer_id: int) -> list[ServiceRecord]:
    """The volunteer's records, newest first."""
    return list(
        db.session.scalars(
            select(ServiceRecord)
            .where(ServiceRecord.volunteer_id == volunteer_id)
            .order_by(ServiceRecord.id.desc())
        )
    )
