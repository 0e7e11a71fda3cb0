"""The liaison's page (联络员): what a unit sees of its reported members' service.

Read-only. A unit's *reported members* are the people whose member report counts today
and names the unit as employer (``MemberReport.partner_id``), in every community; one row
per member and community (their latest counting report there). For each the liaison sees
their community and grid, their claims of this year (count and list: need, date,
status), their confirmed hours (this quarter and this year, against the yearly target;
the same definition as the figures: ``figures.minutes_by_volunteer``) and the ratings of
needs they served at (stars and comment), and nothing else: no phone, no points, no
address, nothing of another employer.

Also the unit's commitments (its resources' ``ResourceCommitment`` rows, the need each
went to and that need's status) and the places it holds on needs (``UnitHold``).

Every list is one query, aggregated in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from govhub.accounts.models import User
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.clock import local_days
from govhub.extensions import db
from govhub.needs.models import Claim, ClaimStatus, Need, NeedStatus, Rating, Shift, UnitHold
from govhub.orgs.models import OrgUnit
from govhub.reporting import figures
from govhub.reporting.models import MemberReport, ServiceCard
from govhub.resources.models import CommitmentStatus, Resource, ResourceCommitment


@dataclass(frozen=True)
class ClaimLine:
    need_id: int
    title: str
    starts_at: datetime
    status: ClaimStatus


@dataclass(frozen=True)
class RatingLine:
    need_id: int
    title: str
    stars: int
    comment: str


@dataclass
class MemberLine:
    user_id: int
    name: str
    community_id: int
    community: str
    grid: str
    quarter_minutes: int
    year_minutes: int
    claims: int  # claims (not cancelled) of this year
    claim_lines: list[ClaimLine] = field(default_factory=list)
    ratings: list[RatingLine] = field(default_factory=list)

    def on_target(self, target_minutes: int) -> bool:
        return self.year_minutes >= target_minutes


@dataclass(frozen=True)
class CommitmentLine:
    resource_title: str
    quantity: int
    unit_label: str
    need_id: int | None
    need_title: str | None
    need_status: NeedStatus | None
    purpose: str
    status: CommitmentStatus
    created_at: datetime


@dataclass(frozen=True)
class HoldLine:
    need_id: int
    need_title: str
    need_status: NeedStatus
    starts_at: datetime
    ends_at: datetime
    places: int
    used: int


@dataclass
class UnitService:
    today: date
    year: int
    quarter: int
    target_minutes: int
    members: list[MemberLine]
    commitments: list[CommitmentLine]
    holds: list[HoldLine]
    cards_waiting: int


def _member_reports(partner_id: int, today: date):
    """Ids of the unit's members' latest counting report per member and community."""
    return figures.latest_member_reports(today, MemberReport.partner_id == partner_id)


def members(partner_id: int, *, today: date) -> list[MemberLine]:
    """The unit's reported members with their hours and claim counts (one query), then
    their claims and ratings (one query each)."""
    year_first, year_last = figures.year_days(today.year)
    quarter_first, quarter_last = figures.quarter_days(today.year, figures.quarter_of(today))
    year_minutes = figures.minutes_by_volunteer(year_first, year_last)
    quarter_minutes = figures.minutes_by_volunteer(quarter_first, quarter_last)
    start, end = local_days(year_first, year_last)
    claim_counts = (
        select(Claim.volunteer_id.label("volunteer_id"), func.count().label("claims"))
        .join(Shift, Shift.id == Claim.shift_id)
        .where(
            Claim.status.in_((ClaimStatus.confirmed, ClaimStatus.waitlisted)),
            Shift.starts_at >= start,
            Shift.starts_at < end,
        )
        .group_by(Claim.volunteer_id)
        .subquery()
    )
    community = aliased(OrgUnit)
    grid = aliased(OrgUnit)
    query = (
        select(
            User.id,
            User.name,
            community.id,
            community.name,
            grid.name,
            func.coalesce(quarter_minutes.c.minutes, 0),
            func.coalesce(year_minutes.c.minutes, 0),
            func.coalesce(claim_counts.c.claims, 0),
        )
        .select_from(MemberReport)
        .join(User, User.id == MemberReport.user_id)
        .join(community, community.id == MemberReport.community_id)
        .outerjoin(grid, grid.id == MemberReport.grid_id)
        .outerjoin(quarter_minutes, quarter_minutes.c.volunteer_id == User.id)
        .outerjoin(year_minutes, year_minutes.c.volunteer_id == User.id)
        .outerjoin(claim_counts, claim_counts.c.volunteer_id == User.id)
        .where(MemberReport.id.in_(_member_reports(partner_id, today)))
        .order_by(User.name, User.id, community.path)
    )
    lines = [
        MemberLine(uid, name, c_id, c_name, g_name or "", int(q), int(y), int(n))
        for uid, name, c_id, c_name, g_name, q, y, n in db.session.execute(query)
    ]
    if not lines:
        return lines
    by_user: dict[int, list[MemberLine]] = defaultdict(list)
    for line in lines:
        by_user[line.user_id].append(line)
    people = select(MemberReport.user_id).where(
        MemberReport.id.in_(_member_reports(partner_id, today))
    )

    claims = (
        select(Claim.volunteer_id, Need.id, Need.title, Shift.starts_at, Claim.status)
        .join(Shift, Shift.id == Claim.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .where(Claim.volunteer_id.in_(people), Shift.starts_at >= start, Shift.starts_at < end)
        .order_by(Claim.volunteer_id, Shift.starts_at.desc(), Claim.id)
    )
    for volunteer_id, need_id, title, starts_at, status in db.session.execute(claims):
        for line in by_user[volunteer_id]:
            line.claim_lines.append(ClaimLine(need_id, title, starts_at, status))

    # Ratings of the needs they served at (confirmed attendance), by someone else.
    served = (
        select(Attendance.volunteer_id.label("volunteer_id"), Shift.need_id.label("need_id"))
        .join(Shift, Shift.id == Attendance.shift_id)
        .where(
            Attendance.volunteer_id.in_(people),
            Attendance.status == AttendanceStatus.confirmed,
            Shift.starts_at >= start,
            Shift.starts_at < end,
        )
        .distinct()
        .subquery()
    )
    ratings = (
        select(served.c.volunteer_id, Need.id, Need.title, Rating.stars, Rating.comment)
        .select_from(served)
        .join(Rating, and_(Rating.need_id == served.c.need_id))
        .join(Need, Need.id == served.c.need_id)
        .where(Rating.user_id != served.c.volunteer_id)
        .order_by(served.c.volunteer_id, Rating.created_at.desc(), Rating.id)
    )
    for volunteer_id, need_id, title, stars, comment in db.session.execute(ratings):
        for line in by_user[volunteer_id]:
            line.ratings.append(RatingLine(need_id, title, int(stars), comment or ""))
    return lines


def commitments(partner_id: int) -> list[CommitmentLine]:
    """The unit's resources' commitments, newest first, each with its need (one query)."""
    query = (
        select(
            Resource.title,
            ResourceCommitment.quantity,
            Resource.unit_label,
            Need.id,
            Need.title,
            Need.status,
            ResourceCommitment.purpose,
            ResourceCommitment.status,
            ResourceCommitment.created_at,
        )
        .join(Resource, Resource.id == ResourceCommitment.resource_id)
        .outerjoin(Need, Need.id == ResourceCommitment.need_id)
        .where(Resource.partner_id == partner_id)
        .order_by(ResourceCommitment.created_at.desc(), ResourceCommitment.id.desc())
    )
    return [CommitmentLine(*row) for row in db.session.execute(query)]


def holds(partner_id: int) -> list[HoldLine]:
    """The places the unit holds on needs' shifts, soonest first (one query)."""
    query = (
        select(
            Need.id,
            Need.title,
            Need.status,
            Shift.starts_at,
            Shift.ends_at,
            UnitHold.places,
            UnitHold.used,
        )
        .join(Shift, Shift.id == UnitHold.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .where(UnitHold.partner_id == partner_id)
        .order_by(Shift.starts_at.desc(), UnitHold.id)
    )
    return [HoldLine(*row) for row in db.session.execute(query)]


def cards_waiting(partner_id: int) -> int:
    """Service cards issued to the unit and not yet received."""
    query = select(func.count()).where(
        ServiceCard.partner_id == partner_id, ServiceCard.received_at.is_(None)
    )
    return int(db.session.scalar(query) or 0)


def members_count(partner_id: int, *, today: date) -> int:
    query = select(func.count(func.distinct(MemberReport.user_id))).where(
        MemberReport.id.in_(_member_reports(partner_id, today))
    )
    return int(db.session.scalar(query) or 0)


def unit_service(partner_id: int, *, today: date) -> UnitService:
    return UnitService(
        today=today,
        year=today.year,
        quarter=figures.quarter_of(today),
        target_minutes=figures.target_minutes(),
        members=members(partner_id, today=today),
        commitments=commitments(partner_id),
        holds=holds(partner_id),
        cards_waiting=cards_waiting(partner_id),
    )
