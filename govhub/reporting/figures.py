"""The reporting figures (双报到 figures): the yearly target and the completion line.

Used by a community's figures page and by the oversight page (a street, district or city,
broken down by community). Everything is counted in SQL; the definitions, precisely:

*Reference day.* Figures of year Y are taken on the reference day: today for the current
year, 31 December for a past year. A report is *counted* when it counts on that day
(confirmed, confirmed on or before it, ``valid_until`` on or after it: ``terms``). A report
that lapsed before the reference day is not counted (it has to be renewed); a report
confirmed after it is not counted either.

*Hours.* A member's hours of year Y are their confirmed service minutes (``Attendance``
confirmed, minutes > 0) of shifts starting in Y (local time), in every community: the
yearly target (``MEMBER_YEARLY_TARGET_HOURS``) is the person's, not one community's.

*Members reported.* Distinct people with a counted member report to the community (a
renewal that overlaps the report it renews counts once). A member reported to two
communities is counted in each community's figures, and once in a subtree's total.
*At or above the target*: year hours >= the target; *below*: the others, listed with
their name, employer (the unit, or the name they typed) and hours.

*Units.* The units with a counted report to the community. A unit's *declared* party
members are ``UnitReport.party_members`` of its latest counted report (in any
community: a unit declares its members once, wherever it reports); its *members
reported* are the distinct people with a counted member report naming the unit as their
employer (``partner_id``), in any community. *Completion* = reported / declared, shown
rounded down to one decimal; it *meets the line* when reported x 100 >= line x declared
(``REPORTING_COMPLETION_LINE``, 95: 19 of 20 meets it, 18 of 19 does not). A unit that
declared 0 party members has no completion (shown as "—"): it meets the line, and is
listed as declaring none so the community can ask. Members who typed an employer's name
(no unit on govhub yet) count for no unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import aliased

from govhub.accounts.models import User
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.clock import local_days
from govhub.extensions import db
from govhub.needs.models import Shift
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner
from govhub.reporting.models import MemberReport, ReportStatus, UnitReport

FIRST_YEAR = 2000


# --- Periods and hours, shared by the liaison page and the service cards ----------------


def year_days(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def quarter_days(year: int, quarter: int) -> tuple[date, date]:
    """The first and last local day of ``quarter`` (1–4) of ``year``."""
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def reference_day(year: int, today: date) -> date:
    """The day figures of ``year`` are taken on: today in the current year, else the
    year's last day."""
    return min(today, date(year, 12, 31))


def target_minutes() -> int:
    return int(current_app.config["MEMBER_YEARLY_TARGET_HOURS"]) * 60


def completion_line() -> int:
    return int(current_app.config["REPORTING_COMPLETION_LINE"])


def minutes_by_volunteer(first: date, last: date, volunteers=None):
    """Subquery (volunteer_id, minutes): confirmed service minutes of shifts starting on
    local days ``first`` to ``last``, per volunteer — of the ``volunteers`` (a select of
    their ids) only, when given, so a unit's figures do not total the whole city's
    attendance for the year."""
    start, end = local_days(first, last)
    query = (
        select(
            Attendance.volunteer_id.label("volunteer_id"),
            func.sum(Attendance.minutes).label("minutes"),
        )
        .join(Shift, Shift.id == Attendance.shift_id)
        .where(
            Attendance.status == AttendanceStatus.confirmed,
            Attendance.minutes > 0,
            Shift.starts_at >= start,
            Shift.starts_at < end,
        )
    )
    if volunteers is not None:
        query = query.where(Attendance.volunteer_id.in_(volunteers))
    return query.group_by(Attendance.volunteer_id).subquery()


def counted_clause(model: type[UnitReport] | type[MemberReport], day: date):
    """SQL: a report of ``model`` counted on ``day`` (see the module docstring)."""
    _start, end = local_days(day, day)
    return and_(
        model.status == ReportStatus.confirmed,
        model.valid_until >= day,
        model.decided_at < end,
    )


def latest_member_reports(day: date, *conditions):
    """Ids of the latest counted member report per member and community."""
    return (
        select(func.max(MemberReport.id))
        .where(counted_clause(MemberReport, day), *conditions)
        .group_by(MemberReport.user_id, MemberReport.community_id)
    )


# --- The figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class MemberBelow:
    community_id: int
    user_id: int
    name: str
    employer: str
    minutes: int


@dataclass(frozen=True)
class UnitLine:
    community_id: int
    partner_id: int
    name: str
    declared: int
    reported: int
    line: int

    @property
    def completion_permille(self) -> int | None:
        """Reported / declared in tenths of a percent, rounded down; None if none declared."""
        if self.declared == 0:
            return None
        return self.reported * 1000 // self.declared

    @property
    def completion_text(self) -> str:
        permille = self.completion_permille
        if permille is None:
            return "—"
        return f"{permille // 10}.{permille % 10}%"

    @property
    def meets_line(self) -> bool:
        return self.reported * 100 >= self.line * self.declared


@dataclass
class CommunityFigures:
    community: OrgUnit
    reported: int = 0
    on_target: int = 0
    units: list[UnitLine] = field(default_factory=list)
    below: list[MemberBelow] = field(default_factory=list)

    @property
    def below_target(self) -> int:
        return self.reported - self.on_target

    @property
    def units_below_line(self) -> list[UnitLine]:
        return [unit for unit in self.units if not unit.meets_line]


@dataclass
class Figures:
    """The figures of one community, or of a subtree broken down by community."""

    unit: OrgUnit  # the community, street, district or city
    year: int
    day: date  # the reference day
    target_minutes: int
    line: int
    communities: list[CommunityFigures] = field(default_factory=list)
    # The subtree's totals: distinct people and units (one reported twice counts once).
    reported: int = 0
    on_target: int = 0

    @property
    def below_target(self) -> int:
        return self.reported - self.on_target

    @property
    def below(self) -> list[MemberBelow]:
        return [member for c in self.communities for member in c.below]

    @property
    def units_below_line(self) -> list[UnitLine]:
        """Each unit below the line once (a unit reported to two communities is listed
        under both)."""
        seen: dict[int, UnitLine] = {}
        for c in self.communities:
            for unit in c.units_below_line:
                seen.setdefault(unit.partner_id, unit)
        return list(seen.values())


def years(today: date) -> list[int]:
    """The years a figures page offers, newest first."""
    return list(range(today.year, max(FIRST_YEAR, today.year - 4) - 1, -1))


def figures(unit: OrgUnit, year: int, *, today: date) -> Figures:
    """The figures of ``unit`` (a community, or a street, district or city: its
    communities) for ``year``. The caller checks the viewer may see them."""
    day = reference_day(year, today)
    target = target_minutes()
    result = Figures(unit, year, day, target, completion_line())
    communities = list(
        db.session.scalars(
            select(OrgUnit)
            .where(OrgUnit.subtree_clause(unit.path), OrgUnit.level == OrgLevel.community)
            .order_by(OrgUnit.path)
        )
    )
    by_id = {c.id: CommunityFigures(c) for c in communities}
    result.communities = list(by_id.values())
    if not by_id:
        return result
    ids = list(by_id)
    minutes = minutes_by_volunteer(*year_days(year))
    member_hours = func.coalesce(minutes.c.minutes, 0)
    latest = latest_member_reports(day, MemberReport.community_id.in_(ids))

    # Members reported and at the target, per community (one grouped query).
    per_community = select(
        MemberReport.community_id,
        func.count(distinct(MemberReport.user_id)),
        func.count(distinct(MemberReport.user_id)).filter(member_hours >= target),
    ).outerjoin(minutes, minutes.c.volunteer_id == MemberReport.user_id)
    for community_id, reported, on_target in db.session.execute(
        per_community.where(MemberReport.id.in_(latest)).group_by(MemberReport.community_id)
    ):
        by_id[community_id].reported = int(reported)
        by_id[community_id].on_target = int(on_target or 0)

    # The subtree's totals, each person once.
    totals = select(
        func.count(distinct(MemberReport.user_id)),
        func.count(distinct(MemberReport.user_id)).filter(member_hours >= target),
    ).outerjoin(minutes, minutes.c.volunteer_id == MemberReport.user_id)
    reported, on_target = db.session.execute(totals.where(MemberReport.id.in_(latest))).one()
    result.reported, result.on_target = int(reported or 0), int(on_target or 0)

    # The members below the target.
    below = (
        select(
            MemberReport.community_id,
            User.id,
            User.name,
            func.coalesce(Partner.name, MemberReport.employer_name),
            member_hours,
        )
        .join(User, User.id == MemberReport.user_id)
        .outerjoin(Partner, Partner.id == MemberReport.partner_id)
        .outerjoin(minutes, minutes.c.volunteer_id == MemberReport.user_id)
        .where(MemberReport.id.in_(latest), member_hours < target)
        .order_by(MemberReport.community_id, member_hours, User.name, User.id)
    )
    for community_id, user_id, name, employer, spent in db.session.execute(below):
        by_id[community_id].below.append(
            MemberBelow(community_id, user_id, name, employer or "", int(spent))
        )

    for line in unit_lines(ids, day):
        by_id[line.community_id].units.append(line)
    return result


def unit_lines(community_ids: list[int], day: date) -> list[UnitLine]:
    """Each unit with a report counted on ``day`` to one of ``community_ids``: its declared
    and reported members (one query)."""
    scoped = aliased(UnitReport)
    latest_unit = (
        select(func.max(UnitReport.id))
        .where(counted_clause(UnitReport, day))
        .group_by(UnitReport.partner_id)
    )
    declared = (
        select(UnitReport.partner_id, UnitReport.party_members)
        .where(UnitReport.id.in_(latest_unit))
        .subquery()
    )
    members = (
        select(
            MemberReport.partner_id.label("partner_id"),
            func.count(distinct(MemberReport.user_id)).label("reported"),
        )
        .where(
            MemberReport.id.in_(latest_member_reports(day, MemberReport.partner_id.is_not(None)))
        )
        .group_by(MemberReport.partner_id)
        .subquery()
    )
    query = (
        select(
            scoped.community_id,
            Partner.id,
            Partner.name,
            declared.c.party_members,
            func.coalesce(members.c.reported, 0),
        )
        .join(Partner, Partner.id == scoped.partner_id)
        .join(declared, declared.c.partner_id == scoped.partner_id)
        .outerjoin(members, members.c.partner_id == scoped.partner_id)
        .where(scoped.community_id.in_(community_ids), counted_clause(scoped, day))
        .distinct()
        .order_by(scoped.community_id, Partner.name, Partner.id)
    )
    line = completion_line()
    return [
        UnitLine(community_id, partner_id, name, int(declared_n), int(reported), line)
        for community_id, partner_id, name, declared_n, reported in db.session.execute(query)
    ]


def parse_year(value: int | None, today: date) -> int:
    """A requested year, or the current one when it is missing or out of range."""
    if value is None or not FIRST_YEAR <= value <= today.year:
        return today.year
    return value
