"""The figures of the oversight dashboard (监测调度): an org unit's subtree, one period.

Every figure is counted in SQL (``COUNT``, ``SUM``, ``GROUP BY``); nothing loads the rows
it counts. ``figures(unit, period)`` is the subtree's total; ``breakdown(unit, period)``
the same figures one level down, one row per child unit, from the same statements grouped
by the child (the number of statements does not grow with the tree). The child of a row
is found by walking ``parent_id`` up from the row's community (the tree's levels are
fixed: city → district → street → community → grid), so each join is a primary-key look-up.

**Where a thing belongs.** Needs, shifts, hours, ratings and projects belong to their
community (and at grid level to ``Need.grid_id``); volunteers and their points to their
home (``VolunteerProfile.community_id`` / ``grid_id``); resident requests, partners and
units' reports to their community, members' reports to the community and the grid the
member was placed in. A community's rows are its grids, then a row ``unit=None`` for
what sits in no grid, so a community's rows always sum to its figures.

**The period** is local days (``oversight/period.py``); a moment is in it when it falls in
``period.bounds``.

Definitions:

- *Needs posted*: needs created in the period that were published (status is not draft).
  Of those, now: *open* (open, or closed to new claims), *fulfilled* (every place of
  every shift is taken: claimed, or held by a unit), *completed*, *cancelled*.
- *Places offered / filled*: the capacity and the taken places (at most the capacity) of
  the shifts starting in the period, of needs neither draft nor cancelled. *Fill rate* =
  filled / offered.
- *Volunteers registered*: volunteer profiles of accounts created before the period's
  end; *new*: created in it; *active*: with at least one confirmed attendance (minutes >
  0) at a shift starting in the period, anywhere.
- *Hours*: confirmed attendance minutes at shifts starting in the period. Each attendance
  counts under one *evidence*: ``manual`` when either its check-in or check-out was
  entered by an admin (or it has no recorded evidence), else ``auto`` when the system
  checked it out at the end, else ``card_scan`` when a card was scanned, else
  ``code_scan``.
- *Points* (ledger entries made in the period): *issued* = earn entries; *redeemed* =
  redeem entries, *refunded* = refund entries, *expired* = expire entries, each as a
  positive number; adjustments are in none of them. *Outstanding*: the sum of balances
  at the period's end (the cached balances now, less the entries made since the end).
- *Partners approved*: partners of the subtree approved now (created before the period's
  end); *active*: with a voucher fulfilled (核销) in the period.
- *Units reported* / *members reported*: distinct units / people with a report that
  counts (``reporting.figures.counted_clause``) on the reference day, the period's last
  day or today if sooner; a unit or member reported to two communities is counted once
  in a total. *On target*: members whose confirmed hours in the reference day's year
  reach the yearly target (``MEMBER_YEARLY_TARGET_HOURS``).
- *Projects completed*: completed in the period; *people served*: theirs.
- *Requests* (居民诉求) submitted in the period: *answered* = decided (accepted or
  declined); *overdue* = still waiting now, past its answer deadline (``ANSWER_HOURS`` by
  urgency); *median time to answer* in hours, of the answered; *completion rate* (办结率)
  = (declined + accepted whose need is completed) / received; *satisfaction* (满意率) =
  ratings of 4 or 5 stars / all ratings made in the period on the subtree's needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta

from sqlalchemy import (
    and_,
    case,
    distinct,
    extract,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from govhub.accounts.models import User, VolunteerProfile
from govhub.checkin.models import Attendance, AttendanceStatus, Evidence
from govhub.clock import local_days
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs.models import (
    Category,
    Need,
    NeedStatus,
    Rating,
    RequestStatus,
    ResidentRequest,
    Shift,
    Urgency,
)
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.oversight.period import Period
from govhub.partners.models import Partner, PartnerStatus
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from govhub.projects.models import Project, ProjectStatus
from govhub.reporting import figures as reporting
from govhub.reporting.models import MemberReport, UnitReport
from govhub.rewards.models import Redemption

EVIDENCE = tuple(e.value for e in Evidence)  # code_scan, card_scan, manual, auto
# How long a community has to answer a resident's request, by its urgency.
ANSWER_HOURS = {Urgency.urgent: 24, Urgency.high: 24, Urgency.normal: 72, Urgency.low: 72}


def _no_evidence() -> dict[str, int]:
    return dict.fromkeys(EVIDENCE, 0)


class _Hours:
    """Hours from ``minutes_by_evidence`` (a Figures' or a Month's)."""

    minutes_by_evidence: dict[str, int]

    @property
    def minutes(self) -> int:
        return sum(self.minutes_by_evidence.values())

    @property
    def hours(self) -> float:
        """Hours, to one decimal place."""
        return round(self.minutes / 60, 1)


@dataclass
class Figures(_Hours):
    needs_posted: int = 0
    needs_open: int = 0
    needs_fulfilled: int = 0
    needs_completed: int = 0
    needs_cancelled: int = 0
    places_offered: int = 0
    places_filled: int = 0
    volunteers_registered: int = 0
    volunteers_active: int = 0
    volunteers_new: int = 0
    minutes_by_evidence: dict[str, int] = field(default_factory=_no_evidence)
    points_issued: int = 0
    points_redeemed: int = 0
    points_refunded: int = 0
    points_expired: int = 0
    points_outstanding: int = 0
    partners_approved: int = 0
    partners_active: int = 0
    units_reported: int = 0
    members_reported: int = 0
    members_on_target: int = 0
    projects_completed: int = 0
    people_served: int = 0
    requests_received: int = 0
    requests_answered: int = 0
    requests_overdue: int = 0
    requests_completed: int = 0  # 办结: declined, or accepted and its need completed
    median_answer_hours: float | None = None
    ratings: int = 0
    ratings_satisfied: int = 0  # 4 or 5 stars

    @property
    def fill_rate(self) -> float | None:
        return self.places_filled / self.places_offered if self.places_offered else None

    @property
    def completion_rate(self) -> float | None:
        return self.requests_completed / self.requests_received if self.requests_received else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.ratings_satisfied / self.ratings if self.ratings else None


@dataclass
class Row:
    unit: OrgUnit | None  # a child unit; None: the community's things in no grid
    figures: Figures


@dataclass
class Month(_Hours):
    month: date  # its first day
    minutes_by_evidence: dict[str, int] = field(default_factory=_no_evidence)
    points_issued: int = 0
    points_redeemed: int = 0


@dataclass
class Rated:
    need: Need
    ratings: int
    average: float  # stars, one decimal


# --- Where a row belongs: the unit's subtree, grouped by its child or not ---------------


@dataclass(frozen=True)
class _Scope:
    """How a statement is narrowed to ``unit``'s subtree and keyed (by child or not)."""

    unit: OrgUnit
    by_child: bool

    def apply(self, query, community_col, grid_col=None):
        """``query`` narrowed to the subtree, and its key: the column of the child unit's
        id (at a community, the grid: None for no grid), or a constant (0 for a total,
        None for a community's things that have no grid column)."""
        level = self.unit.level
        if level is OrgLevel.grid:
            if grid_col is None:  # nothing of this kind sits in a grid
                return query.where(false()), 0
            return query.where(grid_col == self.unit.id), 0
        if level is OrgLevel.community:
            query = query.where(community_col == self.unit.id)
            if not self.by_child:
                return query, 0
            return query, (grid_col if grid_col is not None else None)
        # Above a community: walk up from the row's community to the unit's child.
        steps = OrgLevel.community.rank - level.rank - 1
        current = aliased(OrgUnit)
        query = query.join(current, current.id == community_col)
        for _ in range(steps):
            parent = aliased(OrgUnit)
            query = query.join(parent, parent.id == current.parent_id)
            current = parent
        query = query.where(current.parent_id == self.unit.id)
        return query, (current.id if self.by_child else 0)


def _is_column(key) -> bool:
    """Whether a scope's key is a column to group by (else a constant: 0 or None)."""
    return key is not None and not isinstance(key, int)


def _run(query, key, *columns, group=()) -> list[tuple]:
    """Run ``query`` for ``columns``, grouped by ``key`` (and ``group``): rows of (key,
    *columns). A constant key groups nothing: one row, or one per ``group``."""
    if _is_column(key):
        query = query.with_only_columns(key.label("key"), *columns, maintain_column_froms=True)
        return [tuple(row) for row in db.session.execute(query.group_by(key, *group))]
    query = query.with_only_columns(*columns, maintain_column_froms=True)
    if group:
        query = query.group_by(*group)
    return [(key, *row) for row in db.session.execute(query)]


def _grouped(scope: _Scope, base, columns, community_col, grid_col=None, *, joins=(), where=()):
    """One statement over ``base`` (joined to ``joins``, narrowed by ``where``): rows of
    (key, *columns) per child, or the total's one row."""
    query = select(*columns).select_from(base)
    for target, on in joins:
        query = query.join(target, on)
    query, key = scope.apply(query.where(*where), community_col, grid_col)
    return _run(query, key, *columns)


def _sum(column):
    return func.coalesce(func.sum(column), 0)


# --- The figures, one statement per group of them ----------------------------------------


def _needs(scope: _Scope, period: Period, out) -> None:
    start, end = period.bounds
    unfilled = (
        select(Shift.id).where(Shift.need_id == Need.id, Shift.claimed < Shift.capacity).exists()
    )
    any_shift = select(Shift.id).where(Shift.need_id == Need.id).exists()
    for key, posted, open_, fulfilled, completed, cancelled in _grouped(
        scope,
        Need,
        [
            func.count(Need.id),
            func.count(Need.id).filter(Need.status.in_([NeedStatus.open, NeedStatus.closed])),
            func.count(Need.id).filter(and_(any_shift, not_(unfilled))),
            func.count(Need.id).filter(Need.status == NeedStatus.completed),
            func.count(Need.id).filter(Need.status == NeedStatus.cancelled),
        ],
        Need.community_id,
        Need.grid_id,
        where=[Need.status != NeedStatus.draft, Need.created_at >= start, Need.created_at < end],
    ):
        f = out(key)
        f.needs_posted, f.needs_open, f.needs_fulfilled = posted, open_, fulfilled
        f.needs_completed, f.needs_cancelled = completed, cancelled

    for key, offered, filled in _grouped(
        scope,
        Shift,
        [
            _sum(Shift.capacity),
            _sum(case((Shift.claimed < Shift.capacity, Shift.claimed), else_=Shift.capacity)),
        ],
        Need.community_id,
        Need.grid_id,
        joins=[(Need, Need.id == Shift.need_id)],
        where=[
            Need.status.notin_([NeedStatus.draft, NeedStatus.cancelled]),
            Shift.starts_at >= start,
            Shift.starts_at < end,
        ],
    ):
        f = out(key)
        f.places_offered, f.places_filled = int(offered), int(filled)


def evidence_of():
    """SQL: the one evidence an attendance's hours count under (module docstring)."""
    manual = Evidence.manual
    return case(
        (
            or_(
                Attendance.check_in_evidence == manual,
                Attendance.check_out_evidence == manual,
                and_(
                    Attendance.check_in_evidence.is_(None),
                    Attendance.check_out_evidence.is_(None),
                ),
            ),
            manual.value,
        ),
        (Attendance.check_out_evidence == Evidence.auto, Evidence.auto.value),
        (
            or_(
                Attendance.check_in_evidence == Evidence.card_scan,
                Attendance.check_out_evidence == Evidence.card_scan,
            ),
            Evidence.card_scan.value,
        ),
        else_=Evidence.code_scan.value,
    )


def _confirmed(start: datetime, end: datetime) -> list:
    return [
        Attendance.status == AttendanceStatus.confirmed,
        Attendance.minutes > 0,
        Shift.starts_at >= start,
        Shift.starts_at < end,
    ]


def _hours(scope: _Scope, period: Period, out) -> None:
    start, end = period.bounds
    evidence = evidence_of()
    query = (
        select(Attendance.id)
        .join(Shift, Shift.id == Attendance.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .where(*_confirmed(start, end))
    )
    query, key = scope.apply(query, Need.community_id, Need.grid_id)
    for key_value, kind, minutes in _run(
        query, key, evidence, _sum(Attendance.minutes), group=(evidence,)
    ):
        out(key_value).minutes_by_evidence[kind] = int(minutes)


def _volunteers(scope: _Scope, period: Period, out) -> None:
    start, end = period.bounds
    for key, registered, new in _grouped(
        scope,
        VolunteerProfile,
        [
            func.count(VolunteerProfile.user_id),
            func.count(VolunteerProfile.user_id).filter(User.created_at >= start),
        ],
        VolunteerProfile.community_id,
        VolunteerProfile.grid_id,
        joins=[(User, User.id == VolunteerProfile.user_id)],
        where=[User.created_at < end],
    ):
        f = out(key)
        f.volunteers_registered, f.volunteers_new = registered, new

    # From the period's attendance (few) to the volunteers' homes, not the other way.
    for key, active in _grouped(
        scope,
        Attendance,
        [func.count(distinct(Attendance.volunteer_id))],
        VolunteerProfile.community_id,
        VolunteerProfile.grid_id,
        joins=[
            (Shift, Shift.id == Attendance.shift_id),
            (VolunteerProfile, VolunteerProfile.user_id == Attendance.volunteer_id),
        ],
        where=_confirmed(start, end),
    ):
        out(key).volunteers_active = active


def _points(scope: _Scope, period: Period, out) -> None:
    start, end = period.bounds

    def total(kind: EntryKind):
        return _sum(case((LedgerEntry.kind == kind, LedgerEntry.amount), else_=0))

    for key, earned, redeemed, refunded, expired in _grouped(
        scope,
        VolunteerProfile,
        [
            total(EntryKind.earn),
            total(EntryKind.redeem),
            total(EntryKind.refund),
            total(EntryKind.expire),
        ],
        VolunteerProfile.community_id,
        VolunteerProfile.grid_id,
        joins=[(LedgerEntry, LedgerEntry.volunteer_id == VolunteerProfile.user_id)],
        where=[
            LedgerEntry.kind.in_(
                [EntryKind.earn, EntryKind.redeem, EntryKind.refund, EntryKind.expire]
            ),
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
        ],
    ):
        f = out(key)
        f.points_issued, f.points_redeemed = int(earned), -int(redeemed)
        f.points_refunded, f.points_expired = int(refunded), -int(expired)

    # The balances at the period's end: the cached balances now (each equals its ledger's
    # sum, which the nightly audit checks), less what the ledger gained since the end. The
    # entries since the end are few for a recent period, and found on the kind/created_at
    # index; nothing scans the whole ledger.
    for key, balances in _grouped(
        scope,
        VolunteerProfile,
        [_sum(PointsAccount.balance)],
        VolunteerProfile.community_id,
        VolunteerProfile.grid_id,
        joins=[(PointsAccount, PointsAccount.volunteer_id == VolunteerProfile.user_id)],
    ):
        out(key).points_outstanding = int(balances)
    if end <= utcnow():
        for key, since in _grouped(
            scope,
            VolunteerProfile,
            [_sum(LedgerEntry.amount)],
            VolunteerProfile.community_id,
            VolunteerProfile.grid_id,
            joins=[(LedgerEntry, LedgerEntry.volunteer_id == VolunteerProfile.user_id)],
            where=[LedgerEntry.kind.in_(list(EntryKind)), LedgerEntry.created_at >= end],
        ):
            out(key).points_outstanding -= int(since)


def _partners(scope: _Scope, period: Period, out) -> None:
    start, end = period.bounds
    for key, approved in _grouped(
        scope,
        Partner,
        [func.count(Partner.id)],
        Partner.community_id,
        where=[Partner.status == PartnerStatus.approved, Partner.created_at < end],
    ):
        out(key).partners_approved = approved
    for key, active in _grouped(
        scope,
        Redemption,
        [func.count(distinct(Redemption.partner_id))],
        Partner.community_id,
        joins=[(Partner, Partner.id == Redemption.partner_id)],
        where=[Redemption.fulfilled_at >= start, Redemption.fulfilled_at < end],
    ):
        out(key).partners_active = active


def _reporting(scope: _Scope, period: Period, out, today: date) -> None:
    day = min(period.last, today)
    for key, units in _grouped(
        scope,
        UnitReport,
        [func.count(distinct(UnitReport.partner_id))],
        UnitReport.community_id,
        where=[reporting.counted_clause(UnitReport, day)],
    ):
        out(key).units_reported = units

    members, _key = scope.apply(
        select(MemberReport.user_id).where(reporting.counted_clause(MemberReport, day)),
        MemberReport.community_id,
        MemberReport.grid_id,
    )
    minutes = reporting.minutes_by_volunteer(*reporting.year_days(day.year), volunteers=members)
    hours = func.coalesce(minutes.c.minutes, 0)
    query = (
        select(MemberReport.id)
        .outerjoin(minutes, minutes.c.volunteer_id == MemberReport.user_id)
        .where(reporting.counted_clause(MemberReport, day))
    )
    query, key = scope.apply(query, MemberReport.community_id, MemberReport.grid_id)
    for key_value, reported, on_target in _run(
        query,
        key,
        func.count(distinct(MemberReport.user_id)),
        func.count(distinct(MemberReport.user_id)).filter(hours >= reporting.target_minutes()),
    ):
        f = out(key_value)
        f.members_reported, f.members_on_target = reported, on_target or 0


def _projects(scope: _Scope, period: Period, out) -> None:
    start, end = period.bounds
    for key, completed, people in _grouped(
        scope,
        Project,
        [func.count(Project.id), _sum(Project.people_served)],
        Project.community_id,
        where=[
            Project.status == ProjectStatus.completed,
            Project.completed_at >= start,
            Project.completed_at < end,
        ],
    ):
        f = out(key)
        f.projects_completed, f.people_served = completed, int(people)


def _answer_hours():
    """SQL: hours from a request's submission to its decision, on either database."""
    if db.engine.dialect.name == "postgresql":
        seconds = extract("epoch", ResidentRequest.decided_at - ResidentRequest.created_at)
        return seconds / 3600.0
    return (
        func.julianday(ResidentRequest.decided_at) - func.julianday(ResidentRequest.created_at)
    ) * 24.0


def _requests(scope: _Scope, period: Period, out) -> None:
    start, end = period.bounds
    now = utcnow()
    late = or_(
        *(
            and_(
                ResidentRequest.urgency == urgency,
                ResidentRequest.created_at < now - timedelta(hours=hours),
            )
            for urgency, hours in ANSWER_HOURS.items()
        )
    )
    need_completed = (
        select(Need.id)
        .where(Need.id == ResidentRequest.need_id, Need.status == NeedStatus.completed)
        .exists()
    )
    in_period = [ResidentRequest.created_at >= start, ResidentRequest.created_at < end]
    for key, received, answered, overdue, completed in _grouped(
        scope,
        ResidentRequest,
        [
            func.count(ResidentRequest.id),
            func.count(ResidentRequest.id).filter(ResidentRequest.decided_at.is_not(None)),
            func.count(ResidentRequest.id).filter(
                and_(ResidentRequest.status == RequestStatus.submitted, late)
            ),
            func.count(ResidentRequest.id).filter(
                or_(ResidentRequest.status == RequestStatus.declined, need_completed)
            ),
        ],
        ResidentRequest.community_id,
        where=in_period,
    ):
        f = out(key)
        f.requests_received, f.requests_answered = received, answered
        f.requests_overdue, f.requests_completed = overdue, completed

    for key, ratings, satisfied in _grouped(
        scope,
        Rating,
        [func.count(Rating.id), func.count(Rating.id).filter(Rating.stars >= 4)],
        Need.community_id,
        Need.grid_id,
        joins=[(Need, Need.id == Rating.need_id)],
        where=[Rating.created_at >= start, Rating.created_at < end],
    ):
        f = out(key)
        f.ratings, f.ratings_satisfied = ratings, satisfied


def _median_answer(scope: _Scope, period: Period, out) -> None:
    """The median of each group: rank the answered requests by their time to answer."""
    start, end = period.bounds
    in_period = [ResidentRequest.created_at >= start, ResidentRequest.created_at < end]
    answer = _answer_hours()
    ranked = select(ResidentRequest.id).where(*in_period, ResidentRequest.decided_at.is_not(None))
    ranked, key = scope.apply(ranked, ResidentRequest.community_id)
    grouped = _is_column(key)
    partition = {"partition_by": key} if grouped else {}
    ranked = ranked.with_only_columns(
        (key if grouped else literal_column("0")).label("key"),
        answer.label("hours"),
        func.row_number().over(order_by=answer, **partition).label("n"),
        func.count().over(**partition).label("of"),
        maintain_column_froms=True,
    ).subquery()
    middle = or_(
        ranked.c.n == (ranked.c.of + 1) // 2,  # the middle, or the lower middle of an even count
        ranked.c.n == ranked.c.of // 2 + 1,  # the upper middle of an even count
    )
    medians = select(ranked.c.key, func.avg(ranked.c.hours)).where(middle).group_by(ranked.c.key)
    for key_value, hours in db.session.execute(medians):
        out(key_value if grouped else key).median_answer_hours = round(float(hours), 1)


# The parts whose groups add up to their total (each thing is counted in one group), and
# the parts that count distinct people or take a median, which do not.
_ADDITIVE = (_needs, _hours, _volunteers, _points, _partners, _projects, _requests)


def _distinct(scope: _Scope, period: Period, out, today: date) -> None:
    _median_answer(scope, period, out)
    _reporting(scope, period, out, today)


def _collect(unit: OrgUnit, period: Period, *, by_child: bool, today: date) -> dict:
    scope = _Scope(unit, by_child)
    found: dict = {}

    def out(key) -> Figures:
        return found.setdefault(key, Figures())

    for part in _ADDITIVE:
        part(scope, period, out)
    _distinct(scope, period, out, today)
    return found


def figures(unit: OrgUnit, period: Period, *, today: date | None = None) -> Figures:
    """The figures of ``unit``'s subtree for ``period``."""
    from govhub.clock import local_today

    found = _collect(unit, period, by_child=False, today=today or local_today())
    return found.get(0, Figures())


def breakdown(unit: OrgUnit, period: Period, *, today: date | None = None) -> list[Row]:
    """One row per child of ``unit`` by code (a community: its grids, then ``unit=None``
    for what is in no grid: its requests, partners, reports and projects, and the needs
    and volunteers placed in no grid); a grid has none."""
    from govhub.clock import local_today

    if unit.level is OrgLevel.grid:
        return []
    found = _collect(unit, period, by_child=True, today=today or local_today())
    children = children_of(unit)
    rows = [Row(child, found.get(child.id, Figures())) for child in children]
    if unit.level is OrgLevel.community:
        rows.append(Row(None, found.get(None, Figures())))
    return rows


@dataclass
class Collected:
    total: Figures
    rows: list[Row]


def children_of(unit: OrgUnit) -> list[OrgUnit]:
    """The unit's children by code (one statement)."""
    return list(
        db.session.scalars(
            select(OrgUnit).where(OrgUnit.parent_id == unit.id).order_by(OrgUnit.code)
        )
    )


def collect(unit: OrgUnit, period: Period, *, today: date | None = None) -> Collected:
    """``figures`` and ``breakdown`` together, for about the cost of the breakdown: the
    total of what adds up is the sum of the rows; only the distinct counts and the median
    are counted again for the whole subtree."""
    from govhub.clock import local_today

    today = today or local_today()
    if unit.level is OrgLevel.grid:
        return Collected(figures(unit, period, today=today), [])
    rows = breakdown(unit, period, today=today)
    total = Figures()
    for name in additive_fields():
        setattr(total, name, sum(getattr(row.figures, name) for row in rows))
    for kind in EVIDENCE:
        total.minutes_by_evidence[kind] = sum(r.figures.minutes_by_evidence[kind] for r in rows)
    found: dict = {}
    _distinct(_Scope(unit, by_child=False), period, lambda key: found.setdefault(key, total), today)
    return Collected(total, rows)


def additive_fields() -> list[str]:
    """The fields that sum over children (the others are distinct counts or medians)."""
    return [
        f.name
        for f in fields(Figures)
        if f.name
        not in {
            "median_answer_hours",
            "units_reported",
            "members_reported",
            "members_on_target",
            "minutes_by_evidence",
        }
    ]


# --- The charts' series ------------------------------------------------------------------


def _bucket(column, months: list[date]):
    """SQL: the index into ``months`` of the month ``column`` falls in (local time)."""
    bounds = [local_days(m, m)[0] for m in months]
    last = months[-1]
    following = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    bounds.append(local_days(following, following)[0])
    return case(*((column < bounds[i + 1], i) for i in range(len(months)))), bounds


def monthly(unit: OrgUnit, months: list[date]) -> list[Month]:
    """One ``Month`` per first day in ``months`` (oldest first): hours by evidence and
    points issued and redeemed, as the figures count them."""
    result = [Month(m) for m in months]
    if not months:
        return result
    scope = _Scope(unit, by_child=False)

    bucket, bounds = _bucket(Shift.starts_at, months)
    evidence = evidence_of()
    query = (
        select(Attendance.id)
        .join(Shift, Shift.id == Attendance.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .where(*_confirmed(bounds[0], bounds[-1]))
    )
    query, key = scope.apply(query, Need.community_id, Need.grid_id)
    for _total, index, kind, minutes in _run(
        query, key, bucket, evidence, _sum(Attendance.minutes), group=(bucket, evidence)
    ):
        result[index].minutes_by_evidence[kind] = int(minutes)

    bucket, bounds = _bucket(LedgerEntry.created_at, months)
    query = (
        select(LedgerEntry.id)
        .select_from(VolunteerProfile)
        .join(LedgerEntry, LedgerEntry.volunteer_id == VolunteerProfile.user_id)
        .where(
            LedgerEntry.kind.in_([EntryKind.earn, EntryKind.redeem]),
            LedgerEntry.created_at >= bounds[0],
            LedgerEntry.created_at < bounds[-1],
        )
    )
    query, key = scope.apply(query, VolunteerProfile.community_id, VolunteerProfile.grid_id)
    for _total, index, issued, redeemed in _run(
        query,
        key,
        bucket,
        _sum(case((LedgerEntry.kind == EntryKind.earn, LedgerEntry.amount), else_=0)),
        _sum(case((LedgerEntry.kind == EntryKind.redeem, -LedgerEntry.amount), else_=0)),
        group=(bucket,),
    ):
        result[index].points_issued, result[index].points_redeemed = int(issued), int(redeemed)
    return result


def needs_by_category(unit: OrgUnit, period: Period) -> list[tuple[str, int]]:
    """(category name as shown, needs posted in the period), most first."""
    return named_categories(category_counts(unit, period))


def named_categories(counts: dict[int, int]) -> list[tuple[str, int]]:
    """``category_counts`` as (category name as shown, needs posted), most first."""
    if not counts:
        return []
    categories = db.session.scalars(select(Category).where(Category.id.in_(counts)))
    named = [(category.name, counts[category.id], category.code) for category in categories]
    return [(name, count) for name, count, _code in sorted(named, key=lambda c: (-c[1], c[2]))]


def category_counts(unit: OrgUnit, period: Period) -> dict[int, int]:
    """Category id → needs of the subtree posted in the period (those with any)."""
    start, end = period.bounds
    query = select(Need.id).where(
        Need.status != NeedStatus.draft, Need.created_at >= start, Need.created_at < end
    )
    query, key = _Scope(unit, by_child=False).apply(query, Need.community_id, Need.grid_id)
    rows = _run(query, key, Need.category_id, func.count(Need.id), group=(Need.category_id,))
    return {category_id: count for _total, category_id, count in rows}


def top_projects(unit: OrgUnit, period: Period, limit: int = 5) -> list[Project]:
    """Projects completed in the period, most people served first."""
    start, end = period.bounds
    query = select(Project.id).where(
        Project.status == ProjectStatus.completed,
        Project.completed_at >= start,
        Project.completed_at < end,
    )
    query, _total = _Scope(unit, by_child=False).apply(query, Project.community_id)
    query = query.order_by(
        func.coalesce(Project.people_served, 0).desc(), Project.completed_at.desc()
    ).limit(limit)
    ids = list(db.session.scalars(query))
    projects = {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(ids)))}
    return [projects[i] for i in ids]


def best_rated(unit: OrgUnit, period: Period, limit: int = 5) -> list[Rated]:
    """Needs of the subtree rated in the period, best average first (ties: more ratings)."""
    start, end = period.bounds
    average = func.avg(Rating.stars * 1.0)
    query = (
        select(Need.id, func.count(Rating.id), average)
        .join(Rating, Rating.need_id == Need.id)
        .where(Rating.created_at >= start, Rating.created_at < end)
    )
    query, _total = _Scope(unit, by_child=False).apply(query, Need.community_id, Need.grid_id)
    query = (
        query.group_by(Need.id)
        .order_by(average.desc(), func.count(Rating.id).desc(), Need.id)
        .limit(limit)
    )
    ranked = db.session.execute(query).all()
    needs = {
        n.id: n for n in db.session.scalars(select(Need).where(Need.id.in_([r[0] for r in ranked])))
    }
    return [Rated(needs[i], int(count), round(float(avg), 1)) for i, count, avg in ranked]


__all__ = [
    "ANSWER_HOURS",
    "EVIDENCE",
    "Figures",
    "Month",
    "Rated",
    "Row",
    "best_rated",
    "Collected",
    "breakdown",
    "category_counts",
    "children_of",
    "collect",
    "evidence_of",
    "figures",
    "monthly",
    "named_categories",
    "needs_by_category",
    "top_projects",
]
