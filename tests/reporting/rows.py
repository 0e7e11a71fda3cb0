"""Rows of 双报到 for the liaison page, the service cards and the figures.

The services that create unit and member reports are written beside this work, so these
factories write ``UnitReport`` / ``MemberReport`` rows directly, exactly as the models'
docstrings define them: a report *counts* while it is ``confirmed`` and ``valid_until``
(a local date, inclusive) has not passed; ``decided_at`` is when it was confirmed;
``partner_id`` is the member's employer unit, ``grid_id`` the grid the community placed
them in. Service is confirmed ``Attendance`` (minutes) at a shift of a need.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from govhub.accounts.models import User
from govhub.checkin.models import Attendance, AttendanceStatus, Evidence
from govhub.clock import to_utc
from govhub.extensions import db
from govhub.needs.models import Claim, ClaimStatus, Need, NeedStatus, Rating, Shift
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from govhub.reporting.models import MemberReport, ReportStatus, UnitReport
from tests.factories import make_category, make_partner


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """Local ``day`` at ``hour``:``minute`` as a stored (naive UTC) moment."""
    return to_utc(datetime.combine(day, time(hour, minute)))


def make_unit(tree, name: str = "Tax Bureau", community: str = "community_a") -> Partner:
    """An approved stationed unit (驻区单位)."""
    partner = make_partner(tree, community=community, name=name, kind=PartnerKind.unit)
    partner = db.session.get(Partner, partner.id)
    partner.status = PartnerStatus.approved
    db.session.commit()
    return partner


def unit_report(
    partner: Partner,
    community_id: int,
    liaison: User,
    *,
    party_members: int = 10,
    confirmed_on: date,
    valid_until: date | None = None,
    status: ReportStatus = ReportStatus.confirmed,
) -> UnitReport:
    """A unit's report to a community, confirmed on ``confirmed_on`` (a year's term)."""
    report = UnitReport(
        partner_id=partner.id,
        community_id=community_id,
        liaison_id=liaison.id,
        party_members=party_members,
        status=status,
        submitted_by_id=liaison.id,
        submitted_at=at(confirmed_on, 9),
        decided_at=at(confirmed_on) if status is not ReportStatus.pending else None,
        valid_until=valid_until or (confirmed_on + timedelta(days=364)),
    )
    db.session.add(report)
    db.session.commit()
    return report


def member_report(
    user: User,
    community_id: int,
    partner: Partner | None,
    *,
    confirmed_on: date,
    valid_until: date | None = None,
    grid_id: int | None = None,
    employer_name: str = "",
    status: ReportStatus = ReportStatus.confirmed,
) -> MemberReport:
    """A party member's report to a community naming ``partner`` (or ``employer_name``)."""
    report = MemberReport(
        user_id=user.id,
        community_id=community_id,
        partner_id=partner.id if partner else None,
        employer_name=employer_name,
        status=status,
        grid_id=grid_id,
        submitted_at=at(confirmed_on, 9),
        decided_at=at(confirmed_on) if status is not ReportStatus.pending else None,
        valid_until=valid_until or (confirmed_on + timedelta(days=364)),
    )
    db.session.add(report)
    db.session.commit()
    return report


def shift_on(
    community_id: int,
    day: date,
    *,
    title: str = "Clean the riverside",
    hours: int = 2,
    status: NeedStatus = NeedStatus.completed,
) -> Shift:
    """A need of ``community_id`` with one shift starting at 08:00 local on ``day``."""
    need = Need(
        community_id=community_id,
        title=title,
        category_id=make_category(),
        place="Riverside",
        contact_name="Organizer",
        contact_phone="13812345678",
        status=status,
    )
    starts = at(day, 8)
    shift = Shift(need=need, starts_at=starts, ends_at=starts + timedelta(hours=hours), capacity=20)
    db.session.add_all([need, shift])
    db.session.commit()
    return shift


def served(
    user: User,
    shift: Shift,
    minutes: int,
    *,
    status: AttendanceStatus = AttendanceStatus.confirmed,
    claim: bool = True,
) -> Attendance:
    """``user`` claimed ``shift`` and served ``minutes`` (confirmed unless ``status``)."""
    if claim:
        db.session.add(Claim(shift_id=shift.id, volunteer_id=user.id, status=ClaimStatus.confirmed))
    attendance = Attendance(
        shift_id=shift.id,
        volunteer_id=user.id,
        checked_in_at=shift.starts_at,
        checked_out_at=shift.starts_at + timedelta(minutes=minutes),
        check_in_evidence=Evidence.code_scan,
        check_out_evidence=Evidence.code_scan,
        status=status,
        minutes=minutes if status is AttendanceStatus.confirmed else None,
        confirmed_at=shift.ends_at if status is AttendanceStatus.confirmed else None,
    )
    db.session.add(attendance)
    db.session.commit()
    return attendance


def rate(need_id: int, user: User, stars: int, comment: str = "", role: str = "resident"):
    rating = Rating(need_id=need_id, user_id=user.id, role=role, stars=stars, comment=comment)
    db.session.add(rating)
    db.session.commit()
    return rating
