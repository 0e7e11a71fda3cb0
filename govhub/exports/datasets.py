"""The datasets of the oversight exports (导出): one org unit's subtree, one period.

Each dataset is a query and a way to turn one of its rows into cells. ``rows(dataset,
scope)`` builds the query at once (while the viewer's roles are at hand: the phone rule
is part of it) and returns a generator that runs it on a server-side cursor
(``yield_per``: PostgreSQL streams it, SQLite steps through it), ``BATCH`` rows at a
time, so a city-wide export never loads its rows whole. Nothing here writes.

Where a row belongs, as on the dashboard (``oversight/figures.py``): volunteers and their
points to their home (community, grid), needs and service to the need's community (and
grid), partners' vouchers and units' reports to the partner's or the report's community.
A grid's export holds what sits in the grid: volunteers, needs and service; vouchers and
units' reports belong to no grid. Every column is documented in the README, "Exports".

Phones follow ``permissions.sees_phones``: whole for the community admins of the
volunteer's community (of the need's community for service records, as on the roster)
and system admins, masked (138****0010) for everyone else.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, distinct, false, func, select
from sqlalchemy.orm import aliased

from govhub.accounts.models import User, VolunteerProfile
from govhub.checkin.models import Attendance, AttendanceStatus, Evidence
from govhub.clock import local_days, local_zone
from govhub.extensions import db
from govhub.needs.models import Category, Need, NeedStatus, Shift
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.oversight.figures import evidence_of
from govhub.oversight.period import Kind, Period
from govhub.partners.models import Partner
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from govhub.points.services import star_level
from govhub.reporting.figures import counted_clause, minutes_by_volunteer
from govhub.reporting.models import MemberReport, UnitReport
from govhub.rewards.models import Redemption, VoucherStatus

BATCH = 500  # rows fetched from the database at a time

# The org units a row is joined to: where the thing belongs, the volunteer's home, and
# the grid and street beside them.
COMMUNITY = aliased(OrgUnit, name="community")
HOME = aliased(OrgUnit, name="home")
GRID = aliased(OrgUnit, name="grid")
STREET = aliased(OrgUnit, name="street")


@dataclass(frozen=True)
class Scope:
    """What an export covers, and for whom: plain values, so a streamed export does not
    reach back into objects of the request's (closed) session."""

    unit_id: int
    unit_path: str
    unit_level: OrgLevel
    unit_parent_id: int | None
    period: Period
    today: date  # the reference day of units' reports: min(period's last day, today)
    # SQL: whether the viewer sees whole phones, given a community's path column
    # (``permissions.sees_phones_clause`` bound to the viewer).
    phones: Callable[[Any], Any] = field(compare=False)

    @classmethod
    def of(cls, unit: OrgUnit, period: Period, today: date, phones) -> Scope:
        return cls(unit.id, unit.path, unit.level, unit.parent_id, period, today, phones)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return local_days(self.period.first, self.period.last)

    def holds(self, community_path, grid_col=None):
        """SQL: a row of ``community_path`` (and ``grid_col``) is in the unit's subtree."""
        if self.unit_level is OrgLevel.grid:
            return grid_col == self.unit_id if grid_col is not None else false()
        return OrgUnit.subtree_clause(self.unit_path, community_path)


@dataclass(frozen=True)
class Dataset:
    key: str  # in the URL and the file's name
    title: LazyString
    description: LazyString
    columns: Sequence[LazyString]
    query: Callable[[Scope], Select]
    # Called once per export, as it starts streaming (labels and the time zone are looked
    # up then, not once per row): the function that turns a row into cells.
    row: Callable[[], Callable[[Any], tuple]]
    # The national system's import layout: its headers and labels always in Chinese.
    chinese: bool = False

    def header(self) -> list[str]:
        return [str(c) for c in self.columns]


def rows(dataset: Dataset, scope: Scope) -> Iterator[tuple]:
    """The dataset's rows for ``scope``, streamed (see the module docstring)."""
    return _stream(dataset.query(scope), dataset.row)


def _stream(query: Select, make_row: Callable[[], Callable[[Any], tuple]]) -> Iterator[tuple]:
    convert = make_row()
    for record in db.session.execute(query.execution_options(yield_per=BATCH)):
        yield convert(record)


# --- Cells -------------------------------------------------------------------------------


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _hours(minutes) -> float:
    return round(int(minutes or 0) / 60, 2)


class _Clock:
    """Stored (naive UTC) moments as local text, the zone looked up once."""

    def __init__(self) -> None:
        self.zone = local_zone()

    def moment(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    def day(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(self.zone).date().isoformat()


def _phone(phone: str, whole) -> str:
    return phone if whole else f"{phone[:3]}****{phone[-4:]}"


def _labels(enum) -> dict:
    """``{member: label}`` of a ``LabelledEnum`` in the current language."""
    return {member: member.label for member in enum}


def _whole(clause):
    """``clause`` as a column of the row (true/false on either database)."""
    return case((clause, True), else_=False).label("whole_phone")


def _sum(column):
    return func.coalesce(func.sum(column), 0)


def _confirmed(start: datetime, end: datetime) -> list:
    """Confirmed service (minutes > 0) at shifts starting in [start, end), as the
    dashboard's hours (``oversight/figures.py``)."""
    return [
        Attendance.status == AttendanceStatus.confirmed,
        Attendance.minutes > 0,
        Shift.starts_at >= start,
        Shift.starts_at < end,
    ]


# --- 志愿者: volunteers with their hours and star level -----------------------------------


def _volunteers(scope: Scope) -> Select:
    start, end = scope.bounds
    minutes = minutes_by_volunteer(scope.period.first, scope.period.last)
    return (
        select(
            User.id,
            User.name,
            User.phone,
            _whole(scope.phones(HOME.path)),
            HOME.name.label("community"),
            GRID.name.label("grid"),
            VolunteerProfile.is_party_member,
            User.created_at,
            minutes.c.minutes,
            PointsAccount.total_minutes,
            PointsAccount.balance,
        )
        .select_from(VolunteerProfile)
        .join(User, User.id == VolunteerProfile.user_id)
        .join(HOME, HOME.id == VolunteerProfile.community_id)
        .outerjoin(GRID, GRID.id == VolunteerProfile.grid_id)
        .outerjoin(minutes, minutes.c.volunteer_id == VolunteerProfile.user_id)
        .outerjoin(PointsAccount, PointsAccount.volunteer_id == VolunteerProfile.user_id)
        .where(scope.holds(HOME.path, VolunteerProfile.grid_id), User.created_at < end)
        .order_by(HOME.code, User.id)
    )


def _volunteer_row() -> Callable[[Any], tuple]:
    clock, yes, no = _Clock(), str(_l("Yes")), str(_l("No"))

    def row(r) -> tuple:
        total = int(r.total_minutes or 0)
        return (
            r.id,
            r.name,
            _phone(r.phone, r.whole_phone),
            r.community,
            r.grid,
            yes if r.is_party_member else no,
            clock.day(r.created_at),
            _hours(r.minutes),
            _hours(total),
            star_level(total),
            int(r.balance or 0),
        )

    return row


# --- 志愿服务记录: the national system's service-record import layout ---------------------


def _service_records(scope: Scope) -> Select:
    start, end = scope.bounds
    profile = aliased(VolunteerProfile)
    return (
        select(
            Attendance.id,
            User.name,
            User.phone,
            _whole(scope.phones(COMMUNITY.path)),
            Need.title,
            Attendance.checked_in_at,
            Attendance.checked_out_at,
            Shift.starts_at,
            Shift.ends_at,
            Attendance.minutes,
            Need.place,
            Category.name_zh,
            Category.name_en,
            COMMUNITY.name.label("community"),
            evidence_of().label("evidence"),
            Attendance.confirmed_at,
        )
        .select_from(Attendance)
        .join(Shift, Shift.id == Attendance.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .join(COMMUNITY, COMMUNITY.id == Need.community_id)
        .join(Category, Category.id == Need.category_id)
        .join(User, User.id == Attendance.volunteer_id)
        .outerjoin(profile, profile.user_id == User.id)
        .where(*_confirmed(start, end), scope.holds(COMMUNITY.path, Need.grid_id))
        .order_by(Shift.starts_at, Attendance.id)
    )


def _service_record_row() -> Callable[[Any], tuple]:
    clock, english = _Clock(), _english()
    evidence = {e.value: e.label for e in Evidence}

    def row(r) -> tuple:
        return (
            r.name,
            None,  # 证件类型: govhub keeps no identity documents
            None,  # 证件号码: likewise (README, "Exports")
            _phone(r.phone, r.whole_phone),
            r.title,
            clock.moment(r.checked_in_at or r.starts_at),
            clock.moment(r.checked_out_at or r.ends_at),
            _hours(r.minutes),
            r.place,
            r.name_en if english else r.name_zh,
            r.community,
            evidence[r.evidence],
            clock.moment(r.confirmed_at),
            f"GH-{r.id}",
        )

    return row


# --- 需求与满员率: needs with their fill rates --------------------------------------------


def _needs(scope: Scope) -> Select:
    start, end = scope.bounds
    taken = case((Shift.claimed < Shift.capacity, Shift.claimed), else_=Shift.capacity)
    shifts = (
        select(
            Shift.need_id.label("need_id"),
            func.count(Shift.id).label("shifts"),
            _sum(Shift.capacity).label("offered"),
            _sum(taken).label("filled"),
        )
        .where(Shift.starts_at >= start, Shift.starts_at < end)
        .group_by(Shift.need_id)
        .subquery()
    )
    return (
        select(
            Need.id,
            COMMUNITY.name.label("community"),
            GRID.name.label("grid"),
            Need.title,
            Category.name_zh,
            Category.name_en,
            Need.status,
            Need.created_at,
            shifts.c.shifts,
            shifts.c.offered,
            shifts.c.filled,
        )
        .select_from(Need)
        .join(shifts, shifts.c.need_id == Need.id)
        .join(COMMUNITY, COMMUNITY.id == Need.community_id)
        .outerjoin(GRID, GRID.id == Need.grid_id)
        .join(Category, Category.id == Need.category_id)
        .where(
            Need.status.notin_([NeedStatus.draft, NeedStatus.cancelled]),
            scope.holds(COMMUNITY.path, Need.grid_id),
        )
        .order_by(COMMUNITY.code, Need.id)
    )


def _need_row() -> Callable[[Any], tuple]:
    clock, english, status = _Clock(), _english(), _labels(NeedStatus)

    def row(r) -> tuple:
        offered, filled = int(r.offered), int(r.filled)
        return (
            r.id,
            r.community,
            r.grid,
            r.title,
            r.name_en if english else r.name_zh,
            status[NeedStatus(r.status)],
            clock.day(r.created_at),
            int(r.shifts),
            offered,
            filled,
            round(filled * 100 / offered, 1) if offered else None,
        )

    return row


# --- 各社区积分: points per community -----------------------------------------------------


def _points(scope: Scope) -> Select:
    start, end = scope.bounds
    in_grid = (
        [VolunteerProfile.grid_id == scope.unit_id] if scope.unit_level is OrgLevel.grid else []
    )

    def total(kind: EntryKind):
        return _sum(case((LedgerEntry.kind == kind, LedgerEntry.amount), else_=0))

    def by_community(*columns, joins=(), where=()):
        query = select(VolunteerProfile.community_id.label("community_id"), *columns)
        for target, on in joins:
            query = query.join(target, on)
        return query.where(*in_grid, *where).group_by(VolunteerProfile.community_id).subquery()

    ledger = (LedgerEntry, LedgerEntry.volunteer_id == VolunteerProfile.user_id)
    people = by_community(
        func.count(VolunteerProfile.user_id).label("people"),
        joins=[(User, User.id == VolunteerProfile.user_id)],
        where=[User.created_at < end],
    )
    entries = by_community(
        total(EntryKind.earn).label("earned"),
        total(EntryKind.redeem).label("redeemed"),
        total(EntryKind.refund).label("refunded"),
        total(EntryKind.expire).label("expired"),
        total(EntryKind.adjust).label("adjusted"),
        joins=[ledger],
        where=[LedgerEntry.created_at >= start, LedgerEntry.created_at < end],
    )
    balances = by_community(
        _sum(PointsAccount.balance).label("balance"),
        joins=[(PointsAccount, PointsAccount.volunteer_id == VolunteerProfile.user_id)],
    )
    # The balances at the period's end: now, less what the ledger gained since.
    since = by_community(
        _sum(LedgerEntry.amount).label("since"),
        joins=[ledger],
        where=[LedgerEntry.created_at >= end],
    )
    if scope.unit_level is OrgLevel.grid:
        where = [COMMUNITY.id == scope.unit_parent_id]
    else:
        where = [COMMUNITY.level == OrgLevel.community, scope.holds(COMMUNITY.path)]
    return (
        select(
            STREET.name.label("street"),
            COMMUNITY.code,
            COMMUNITY.name,
            people.c.people,
            entries.c.earned,
            entries.c.redeemed,
            entries.c.refunded,
            entries.c.expired,
            entries.c.adjusted,
            balances.c.balance,
            since.c.since,
        )
        .select_from(COMMUNITY)
        .outerjoin(STREET, STREET.id == COMMUNITY.parent_id)
        .outerjoin(people, people.c.community_id == COMMUNITY.id)
        .outerjoin(entries, entries.c.community_id == COMMUNITY.id)
        .outerjoin(balances, balances.c.community_id == COMMUNITY.id)
        .outerjoin(since, since.c.community_id == COMMUNITY.id)
        .where(*where)
        .order_by(COMMUNITY.code)
    )


def _points_row() -> Callable[[Any], tuple]:
    def row(r) -> tuple:
        return (
            r.street,
            r.code,
            r.name,
            int(r.people or 0),
            int(r.earned or 0),
            -int(r.redeemed or 0),
            int(r.refunded or 0),
            -int(r.expired or 0),
            int(r.adjusted or 0),
            int(r.balance or 0) - int(r.since or 0),
        )

    return row


# --- 商家兑换: vouchers of the subtree's partners -------------------------------------------


def _redemptions(scope: Scope) -> Select:
    start, end = scope.bounds
    profile = aliased(VolunteerProfile)
    return (
        select(
            Redemption.id,
            Partner.name.label("partner"),
            COMMUNITY.name.label("community"),
            Redemption.title,
            Redemption.price,
            User.name,
            User.phone,
            _whole(scope.phones(HOME.path)),
            Redemption.issued_at,
            Redemption.status,
            Redemption.fulfilled_at,
        )
        .select_from(Redemption)
        .join(Partner, Partner.id == Redemption.partner_id)
        .join(COMMUNITY, COMMUNITY.id == Partner.community_id)
        .join(User, User.id == Redemption.volunteer_id)
        .outerjoin(profile, profile.user_id == User.id)
        .outerjoin(HOME, HOME.id == profile.community_id)
        .where(
            Redemption.issued_at >= start,
            Redemption.issued_at < end,
            scope.holds(COMMUNITY.path),
        )
        .order_by(Redemption.issued_at, Redemption.id)
    )


def _redemption_row() -> Callable[[Any], tuple]:
    clock, status = _Clock(), _labels(VoucherStatus)

    def row(r) -> tuple:
        return (
            r.id,
            r.partner,
            r.community,
            r.title,
            r.price,
            r.name,
            _phone(r.phone, r.whole_phone),
            clock.moment(r.issued_at),
            status[VoucherStatus(r.status)],
            clock.moment(r.fulfilled_at),
        )

    return row


# --- 驻区单位报到: units' reports counted on the reference day ------------------------------


def reference_day(scope: Scope) -> date:
    return min(scope.period.last, scope.today)


def _unit_reports(scope: Scope) -> Select:
    day = reference_day(scope)
    members = (
        select(
            MemberReport.partner_id.label("partner_id"),
            func.count(distinct(MemberReport.user_id)).label("members"),
        )
        .where(counted_clause(MemberReport, day), MemberReport.partner_id.is_not(None))
        .group_by(MemberReport.partner_id)
        .subquery()
    )
    liaison = aliased(User)
    return (
        select(
            UnitReport.id,
            Partner.name.label("unit"),
            COMMUNITY.name.label("community"),
            liaison.name.label("liaison"),
            UnitReport.party_members,
            members.c.members,
            UnitReport.decided_at,
            UnitReport.valid_until,
        )
        .select_from(UnitReport)
        .join(Partner, Partner.id == UnitReport.partner_id)
        .join(COMMUNITY, COMMUNITY.id == UnitReport.community_id)
        .join(liaison, liaison.id == UnitReport.liaison_id)
        .outerjoin(members, members.c.partner_id == UnitReport.partner_id)
        .where(counted_clause(UnitReport, day), scope.holds(COMMUNITY.path))
        .order_by(COMMUNITY.code, Partner.name, UnitReport.id)
    )


def _unit_report_row() -> Callable[[Any], tuple]:
    clock = _Clock()

    def row(r) -> tuple:
        declared, reported = int(r.party_members or 0), int(r.members or 0)
        return (
            r.id,
            r.unit,
            r.community,
            r.liaison,
            declared,
            reported,
            # Rounded down to one decimal, as the reporting figures show it.
            math.floor(reported * 1000 / declared) / 10 if declared else None,
            clock.day(r.decided_at),
            r.valid_until.isoformat() if r.valid_until else None,
        )

    return row


# --- The list ----------------------------------------------------------------------------

DATASETS: dict[str, Dataset] = {
    d.key: d
    for d in (
        Dataset(
            "service-records",
            _l("Service records (national system layout)"),
            _l(
                "Every confirmed service at a shift of the period, in the columns of the "
                "national volunteer service information system's import, in Chinese."
            ),
            [
                _l("Volunteer name"),
                _l("ID type"),
                _l("ID number"),
                _l("Mobile number"),
                _l("Project name"),
                _l("Service start"),
                _l("Service end"),
                _l("Service hours"),
                _l("Service place"),
                _l("Service category"),
                _l("Organisation"),
                _l("How it was recorded"),
                _l("Confirmed at"),
                _l("govhub record number"),
            ],
            _service_records,
            _service_record_row,
            chinese=True,
        ),
        Dataset(
            "volunteers",
            _l("Volunteers"),
            _l(
                "The volunteers who live in the area, with their confirmed hours in the "
                "period and in all, their star level and their points."
            ),
            [
                _l("Volunteer number"),
                _l("Volunteer name"),
                _l("Mobile number"),
                _l("Community"),
                _l("Grid"),
                _l("Party member at work"),
                _l("Registered on"),
                _l("Hours in the period"),
                _l("Hours in all"),
                _l("Star level"),
                _l("Points balance"),
            ],
            _volunteers,
            _volunteer_row,
        ),
        Dataset(
            "needs",
            _l("Needs and fill rates"),
            _l(
                "The needs with shifts starting in the period (not drafts or cancelled), "
                "with the places offered and taken."
            ),
            [
                _l("Need number"),
                _l("Community"),
                _l("Grid"),
                _l("Need"),
                _l("Category"),
                _l("Status"),
                _l("Posted on"),
                _l("Shifts in the period"),
                _l("Places offered"),
                _l("Places filled"),
                _l("Fill rate (%)"),
            ],
            _needs,
            _need_row,
        ),
        Dataset(
            "points",
            _l("Points per community"),
            _l(
                "For each community: the points its volunteers earned, spent, got back, "
                "lost to expiry and had adjusted in the period, and their balance at its end."
            ),
            [
                _l("Street"),
                _l("Community code"),
                _l("Community"),
                _l("Volunteers"),
                _l("Points issued"),
                _l("Points redeemed"),
                _l("Points refunded"),
                _l("Points expired"),
                _l("Points adjusted"),
                _l("Balance at the end"),
            ],
            _points,
            _points_row,
        ),
        Dataset(
            "redemptions",
            _l("Partner redemptions"),
            _l(
                "The vouchers issued in the period by the businesses of the area, with "
                "whether and when they were used."
            ),
            [
                _l("Voucher number"),
                _l("Business"),
                _l("Community"),
                _l("Reward"),
                _l("Points"),
                _l("Volunteer"),
                _l("Mobile number"),
                _l("Redeemed at"),
                _l("Status"),
                _l("Used at"),
            ],
            _redemptions,
            _redemption_row,
        ),
        Dataset(
            "unit-reports",
            _l("Units' reporting"),
            _l(
                "The stationed units reported to the area's communities on the period's "
                "last day (today, for a period not over yet), with their party members."
            ),
            [
                _l("Report number"),
                _l("Unit"),
                _l("Community"),
                _l("Liaison"),
                _l("Party members declared"),
                _l("Members reported"),
                _l("Completion (%)"),
                _l("Confirmed on"),
                _l("Valid until"),
            ],
            _unit_reports,
            _unit_report_row,
        ),
    )
}


def period_slug(period: Period) -> str:
    """The period in a file's name: 2026-11, 2026-Q4, 2026, 2026-10-01_2026-11-15."""
    match period.kind:
        case Kind.month:
            return f"{period.first:%Y-%m}"
        case Kind.quarter:
            return f"{period.first.year}-Q{(period.first.month - 1) // 3 + 1}"
        case Kind.year:
            return str(period.first.year)
    return f"{period.first.isoformat()}_{period.last.isoformat()}"


__all__ = ["DATASETS", "Dataset", "Scope", "period_slug", "reference_day", "rows"]
