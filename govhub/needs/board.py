"""Reading needs: the volunteers' board, my tasks, the admins' lists and rosters."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Integer, and_, cast, exists, func, or_, select
from sqlalchemy.orm import selectinload

from govhub.accounts.models import Role, User
from govhub.clock import to_utc
from govhub.extensions import db
from govhub.needs.claims import waitlist_positions
from govhub.needs.models import (
    ACTIVE_CLAIM,
    Claim,
    ClaimStatus,
    Need,
    NeedStatus,
    Shift,
    need_skill,
)
from govhub.orgs.models import OrgUnit
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page
from govhub.permissions import oversight_scope, scope_units, visible_clause


@dataclass
class BoardFilters:
    q: str = ""
    category_id: int | None = None
    skill_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    my_skills: bool = False
    has_places: bool = False
    page: int = 1


@dataclass
class BoardCard:
    need: Need
    next_shift: Shift
    upcoming: int  # how many upcoming shifts

    @property
    def places_left(self) -> int:
        return self.next_shift.places_left


@dataclass
class BoardPage:
    cards: list[BoardCard]
    has_more: bool
    page: int


BOARD_PAGE_SIZE = 12


def oversight_only(user: User) -> bool:
    """An oversight admin without a home community: their board is their subtree's."""
    return user.profile is None and bool(scope_units(user, Role.oversight_admin))


def board(
    volunteer: User, filters: BoardFilters, *, now: datetime, per_page: int = BOARD_PAGE_SIZE
) -> BoardPage:
    """Open needs a volunteer may claim, soonest first. Two queries for the whole page:
    the needs (every filter is an indexed EXISTS), then their upcoming shifts.

    Someone without a home community sees nothing, unless they oversee a street, district
    or city: then the board lists the open needs of that subtree."""
    profile = volunteer.profile
    if profile is not None:
        where = visible_clause(profile.community)
    elif oversight_only(volunteer):
        where = oversight_scope(volunteer)
    else:
        return BoardPage([], False, 1)
    shift_conditions = [Shift.need_id == Need.id, Shift.starts_at > now]
    if filters.date_from:
        shift_conditions.append(
            Shift.starts_at >= to_utc(datetime.combine(filters.date_from, time.min))
        )
    if filters.date_to:
        shift_conditions.append(
            Shift.starts_at
            < to_utc(datetime.combine(filters.date_to + timedelta(days=1), time.min))
        )
    if filters.has_places:
        shift_conditions.append(Shift.claimed < Shift.capacity)
    next_start = (
        select(func.min(Shift.starts_at)).where(*shift_conditions).correlate(Need).scalar_subquery()
    )

    query = (
        select(Need)
        .join(OrgUnit, Need.community_id == OrgUnit.id)
        .where(Need.status == NeedStatus.open, where)
        .where(exists().where(*shift_conditions))
    )
    if filters.category_id:
        query = query.where(Need.category_id == filters.category_id)
    if filters.skill_id:
        query = query.where(
            exists().where(
                need_skill.c.need_id == Need.id, need_skill.c.skill_id == filters.skill_id
            )
        )
    if filters.my_skills:
        mine = [skill.id for skill in profile.skills] if profile else []
        query = query.where(
            exists().where(need_skill.c.need_id == Need.id, need_skill.c.skill_id.in_(mine or [-1]))
        )
    if text := filters.q.strip():
        query = query.where(
            or_(
                Need.title.icontains(text, autoescape=True),
                Need.description.icontains(text, autoescape=True),
            )
        )
    page = max(filters.page, 1)
    query = (
        query.order_by(next_start, Need.id)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
        .options(selectinload(Need.skills))
    )
    needs = list(db.session.scalars(query))
    has_more = len(needs) > per_page
    needs = needs[:per_page]

    upcoming: dict[int, list[Shift]] = {need.id: [] for need in needs}
    if needs:
        shift_query = select(Shift).where(*shift_conditions[1:], Shift.need_id.in_(upcoming))
        for shift in db.session.scalars(shift_query.order_by(Shift.starts_at)):
            upcoming[shift.need_id].append(shift)
    cards = [
        BoardCard(need, upcoming[need.id][0], len(upcoming[need.id]))
        for need in needs
        if upcoming[need.id]
    ]
    return BoardPage(cards, has_more, page)


PAST_TASKS_PAGE = 20


@dataclass
class MyTasks:
    upcoming: list[Claim]
    waitlisted: list[tuple[Claim, int]]
    past: KeysetPage[Claim]  # a page: a long-serving volunteer has thousands


def _epoch_minutes(column):
    """``column`` (a naive UTC datetime) as whole minutes since 1970, the past tasks'
    page key: keyset cursors are integers, and the list is in the order of the shifts."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 60), Integer)
    return cast(func.strftime("%s", column), Integer) / 60


def _past_key(claim: Claim) -> tuple[int, int]:
    return calendar.timegm(claim.shift.starts_at.timetuple()) // 60, claim.id


def my_tasks(
    volunteer_id: int,
    *,
    now: datetime,
    past_cursor: Cursor | None = None,
    past_per_page: int = PAST_TASKS_PAGE,
) -> MyTasks:
    """What lies ahead (every upcoming shift and waiting-list place: few, however long
    the volunteer has served) and one page of the past shifts, newest first."""
    mine = (Claim.volunteer_id == volunteer_id, Claim.status.in_(ACTIVE_CLAIM))
    ahead = db.session.scalars(
        select(Claim)
        .join(Claim.shift)
        .where(
            *mine,
            or_(
                and_(Claim.status == ClaimStatus.confirmed, Shift.ends_at > now),
                and_(Claim.status == ClaimStatus.waitlisted, Shift.starts_at > now),
            ),
        )
        .options(selectinload(Claim.shift).joinedload(Shift.need))
        .order_by(Shift.starts_at)
    ).all()
    upcoming = [c for c in ahead if c.status is ClaimStatus.confirmed]
    queued = [c for c in ahead if c.status is ClaimStatus.waitlisted]
    positions = waitlist_positions(queued)
    past = keyset_page(
        select(Claim)
        .join(Claim.shift)
        .where(Claim.volunteer_id == volunteer_id, Claim.status == ClaimStatus.confirmed)
        .where(Shift.ends_at <= now)
        .options(selectinload(Claim.shift).joinedload(Shift.need)),
        [_epoch_minutes(Shift.starts_at), Claim.id],
        past_cursor,
        descending=True,
        limit=past_per_page,
        key_of=_past_key,
    )
    return MyTasks(upcoming, [(c, positions[c.id]) for c in queued], past)


def upcoming_count(volunteer_id: int, *, now: datetime) -> int:
    """How many claimed shifts lie ahead of the volunteer."""
    query = (
        select(func.count())
        .select_from(Claim)
        .join(Claim.shift)
        .where(
            Claim.volunteer_id == volunteer_id,
            Claim.status == ClaimStatus.confirmed,
            Shift.ends_at > now,
        )
    )
    return db.session.scalar(query) or 0


def managed_needs(
    scope_clause,
    status: NeedStatus | None = None,
    cursor: Cursor | None = None,
    *,
    limit: int = PAGE_SIZE,
) -> KeysetPage[Need]:
    """A page of the needs inside ``scope_clause`` (from ``permissions.community_admin_scope``),
    newest first."""
    query = select(Need).join(OrgUnit, Need.community_id == OrgUnit.id).where(scope_clause)
    if status is not None:
        query = query.where(Need.status == status)
    query = query.options(selectinload(Need.shifts))
    return keyset_page(query, [Need.id], cursor, descending=True, limit=limit)


@dataclass
class RosterShift:
    shift: Shift
    confirmed: list[Claim]
    waitlisted: list[Claim]


def roster(need: Need) -> list[RosterShift]:
    """Each shift with its claimants and waiting list (three queries for the whole need)."""
    claims = db.session.scalars(
        select(Claim)
        .join(Claim.shift)
        .where(Shift.need_id == need.id, Claim.status.in_(ACTIVE_CLAIM))
        .options(selectinload(Claim.volunteer).selectinload(User.profile))
        .order_by(Claim.queued_at, Claim.id)
    ).all()
    by_shift: dict[int, list[Claim]] = {}
    for claim in claims:
        by_shift.setdefault(claim.shift_id, []).append(claim)
    return [
        RosterShift(
            shift,
            [c for c in by_shift.get(shift.id, []) if c.status is ClaimStatus.confirmed],
            [c for c in by_shift.get(shift.id, []) if c.status is ClaimStatus.waitlisted],
        )
        for shift in need.shifts
    ]


def my_claims_for(volunteer_id: int, need: Need) -> dict[int, Claim]:
    """The volunteer's active claims on a need's shifts, by shift id."""
    query = select(Claim).where(
        Claim.volunteer_id == volunteer_id,
        Claim.status.in_(ACTIVE_CLAIM),
        Claim.shift_id.in_([s.id for s in need.shifts] or [-1]),
    )
    return {claim.shift_id: claim for claim in db.session.scalars(query)}
