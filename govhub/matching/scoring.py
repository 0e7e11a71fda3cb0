"""Explainable matching scores: one table of terms, each a SQL expression of its points.

A candidate's score is the sum of its terms' points, and its reasons are rendered from
the very same columns, so what a page says is always why the candidate ranks where it
does. Every term is selected as its own labelled column (``<key>_points``, with the raw
figure it came from as ``<key>_value``); the total is the sum of exactly those point
columns and is what ``ORDER BY`` ranks by, with ``LIMIT`` in SQL.

The terms and their weights (``TERMS``, all points integers):

=========== ====== ==================================================================
term        weight points
=========== ====== ==================================================================
skills      30     per wanted skill the volunteer has ("辅导作业 ✓" per skill)
distance    10     × 4 same grid, × 3 same community, × 2 same street, × 1 same
                   district, 0 farther ("同一社区")
reliability 20     × (checked in + 2) ÷ (claimed + 3) over the last 12 months: the
                   prior gives a newcomer 13 of 20 ("到岗率95%", or "新志愿者" under 3
                   claims)
fairness    20     20 minus 2 per hour confirmed in the last 30 days, never below 0
                   ("近30天已服务2小时")
party       25     a party task (党员先锋岗) and a party member ("党员")
unit        15     a reported member (双报到) of a unit whose counting report to the
                   need's community takes on the need's category ("单位认领此类需求")
=========== ====== ==================================================================

Exclusions are not terms: a volunteer holding a confirmed claim on an overlapping shift,
outside their declared weekly availability, already on (or removed from) this shift, or
without a profile is never a candidate, whatever the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from govhub.accounts.models import Skill, VolunteerProfile, profile_skill
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.clock import to_local
from govhub.extensions import db
from govhub.needs.models import Claim, ClaimStatus, Shift, need_skill
from govhub.orgs.models import OrgUnit
from govhub.reporting.models import MemberReport, UnitReport, unit_report_category
from govhub.reporting.terms import counts_clause


@dataclass(frozen=True)
class Term:
    key: str
    weight: int
    doc: str


TERMS: tuple[Term, ...] = (
    Term("skills", 30, "per wanted skill the volunteer has"),
    Term("distance", 10, "x4 same grid, x3 same community, x2 same street, x1 same district"),
    Term("reliability", 20, "x (checked in + 2) / (claimed + 3) over 12 months"),
    Term("fairness", 20, "minus 2 per hour confirmed in the last 30 days, not below 0"),
    Term("party", 25, "a party task and a party member"),
    Term("unit", 15, "a reported member of a unit that takes on the need's category"),
)
WEIGHT = {term.key: term.weight for term in TERMS}

# Reliability's prior: (checked in + PRIOR_SHOWN) / (claimed + PRIOR_SHOWN + PRIOR_MISSED).
PRIOR_SHOWN, PRIOR_MISSED = 2, 1
NEWCOMER_CLAIMS = 3  # fewer claims than this: "新志愿者" instead of a rate
RELIABILITY_DAYS = 365
FAIRNESS_DAYS = 30
FAIRNESS_POINTS_PER_HOUR = 2
# distance levels
GRID, COMMUNITY, STREET, DISTRICT = 4, 3, 2, 1


# --- Time: the bits of the weekly availability a shift touches --------------------------


def _part(hour: int) -> int:
    return 0 if hour < 12 else 1 if hour < 18 else 2


def availability_mask(starts_at: datetime, ends_at: datetime) -> int:
    """The ``weekly_availability`` bits (weekday*3 + part, local time) that a shift
    touches from its start to its end; a volunteer must have all of them."""
    mask = 0
    moment = to_local(starts_at)
    end = to_local(ends_at)
    while moment < end:
        mask |= 1 << (moment.weekday() * 3 + _part(moment.hour))
        moment = (moment + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return mask or 1 << (moment.weekday() * 3 + _part(moment.hour))


def available_clause(mask: int):
    """SQL on VolunteerProfile: not said (None) or every bit of ``mask`` ticked."""
    return or_(
        VolunteerProfile.weekly_availability.is_(None),
        VolunteerProfile.weekly_availability.op("&")(mask) == mask,
    )


def not_busy_clause(user_id, starts_at, ends_at, shift_id):
    """SQL: ``user_id`` holds no confirmed claim on another shift overlapping the span."""
    other = aliased(Shift)
    return ~exists().where(
        Claim.volunteer_id == user_id,
        Claim.status == ClaimStatus.confirmed,
        Claim.shift_id == other.id,
        other.id != shift_id,
        other.starts_at < ends_at,
        other.ends_at > starts_at,
    )


def not_on_shift_clause(user_id, shift_id):
    """SQL: ``user_id`` has not claimed, queued for or been removed from ``shift_id``."""
    return ~exists().where(
        Claim.volunteer_id == user_id,
        Claim.shift_id == shift_id,
        Claim.status.in_([ClaimStatus.confirmed, ClaimStatus.waitlisted, ClaimStatus.removed]),
    )


# --- The terms as SQL -------------------------------------------------------------------


@dataclass
class Place:
    """Where something happens or someone lives, as ids (Python ints or SQL columns):
    grid (or None), community, street, district."""

    grid: Any
    community: Any
    street: Any
    district: Any


def _eq(a, b):
    if a is None or b is None:
        return literal(False)
    return a == b


def skills_value(need_id, profile_id):
    return (
        select(func.count())
        .select_from(
            need_skill.join(profile_skill, profile_skill.c.skill_id == need_skill.c.skill_id)
        )
        .where(need_skill.c.need_id == need_id, profile_skill.c.profile_id == profile_id)
        .scalar_subquery()
    )


def distance_value(home: Place, there: Place):
    return case(
        (_eq(home.grid, there.grid), GRID),
        (_eq(home.community, there.community), COMMUNITY),
        (_eq(home.street, there.street), STREET),
        (_eq(home.district, there.district), DISTRICT),
        else_=0,
    )


def claimed_value(user_id, now: datetime):
    since = now - timedelta(days=RELIABILITY_DAYS)
    return (
        select(func.count(Claim.id))
        .join(Shift, Shift.id == Claim.shift_id)
        .where(
            Claim.volunteer_id == user_id,
            Claim.status.in_([ClaimStatus.confirmed, ClaimStatus.removed]),
            Shift.starts_at >= since,
            Shift.starts_at < now,
        )
        .scalar_subquery()
    )


def checked_in_value(user_id, now: datetime):
    since = now - timedelta(days=RELIABILITY_DAYS)
    return (
        select(func.count(Attendance.id))
        .join(Shift, Shift.id == Attendance.shift_id)
        .join(
            Claim,
            and_(
                Claim.shift_id == Attendance.shift_id, Claim.volunteer_id == Attendance.volunteer_id
            ),
        )
        .where(
            Attendance.volunteer_id == user_id,
            Attendance.checked_in_at.is_not(None),
            Claim.status.in_([ClaimStatus.confirmed, ClaimStatus.removed]),
            Shift.starts_at >= since,
            Shift.starts_at < now,
        )
        .scalar_subquery()
    )


def minutes_value(user_id, now: datetime):
    since = now - timedelta(days=FAIRNESS_DAYS)
    return (
        select(func.coalesce(func.sum(Attendance.minutes), 0))
        .where(
            Attendance.volunteer_id == user_id,
            Attendance.status == AttendanceStatus.confirmed,
            Attendance.confirmed_at >= since,
            Attendance.confirmed_at <= now,
        )
        .scalar_subquery()
    )


def unit_takes_on(partner_id, category_id, community_id, today):
    """SQL: the unit ``partner_id`` has a report to ``community_id`` that counts ``today``
    and takes on the category ``category_id`` (the unit term, of a volunteer's employer
    or of a resource's provider)."""
    return and_(
        UnitReport.partner_id == partner_id,
        UnitReport.community_id == community_id,
        counts_clause(UnitReport, today),
        unit_report_category.c.report_id == UnitReport.id,
        unit_report_category.c.category_id == category_id,
    )


def unit_value(user_id, category_id, community_id, today):
    """1 when the volunteer is a reported member of a unit that takes on the category."""
    member_of_such_a_unit = exists().where(
        MemberReport.user_id == user_id,
        counts_clause(MemberReport, today),
        unit_takes_on(MemberReport.partner_id, category_id, community_id, today),
    )
    return case((member_of_such_a_unit, 1), else_=0)


def party_value(party_task, is_party_member):
    return case((and_(party_task, is_party_member), 1), else_=0)


def point_columns(values: dict[str, Any]) -> dict[str, Any]:
    """The points of each term from its raw SQL value: the one place weights apply."""
    points: dict[str, Any] = {}
    if "skills" in values:
        points["skills"] = values["skills"] * WEIGHT["skills"]
    if "distance" in values:
        points["distance"] = values["distance"] * WEIGHT["distance"]
    if "reliability" in values:
        checked, claimed = values["reliability"]
        points["reliability"] = (WEIGHT["reliability"] * (checked + PRIOR_SHOWN)) / (
            claimed + PRIOR_SHOWN + PRIOR_MISSED
        )
    if "fairness" in values:
        lost = values["fairness"] * FAIRNESS_POINTS_PER_HOUR / 60
        points["fairness"] = case((lost >= WEIGHT["fairness"], 0), else_=WEIGHT["fairness"] - lost)
    if "party" in values:
        points["party"] = values["party"] * WEIGHT["party"]
    if "unit" in values:
        points["unit"] = values["unit"] * WEIGHT["unit"]
    return points


def _value_labels(key: str, value) -> list:
    """A term's raw value as labelled columns (reliability has two)."""
    if key == "reliability":
        return [value[0].label("reliability_checked"), value[1].label("reliability_claimed")]
    return [value.label(f"{key}_value")]


def value_columns(values: dict[str, Any]) -> list:
    """The raw values of the terms, labelled as ``labelled`` labels them."""
    return [column for key, value in values.items() for column in _value_labels(key, value)]


def values_in(selectable, keys: list[str]) -> dict[str, Any]:
    """The terms' values as the columns of ``selectable`` (built with ``value_columns``)."""
    return {
        key: (
            (selectable.c.reliability_checked, selectable.c.reliability_claimed)
            if key == "reliability"
            else selectable.c[f"{key}_value"]
        )
        for key in keys
    }


def labelled(values: dict[str, Any]) -> tuple[list, Any]:
    """The select list of the terms (value and points columns) and the total."""
    columns: list = []
    points = point_columns(values)
    for key, value in values.items():
        columns += _value_labels(key, value)
        columns.append(points[key].label(f"{key}_points"))
    total = sum((points[key] for key in values), start=literal(0))
    return columns, total


# --- Rows → scored candidates and their reasons ----------------------------------------


@dataclass
class Scored:
    """One candidate's term points, raw figures, total and reasons (from the points)."""

    points: dict[str, int]
    values: dict[str, Any]
    total: int
    skill_names: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return reasons(self)

    @property
    def reason_keys(self) -> list[str]:
        return [key for key, _text in reason_items(self)]


def scored_from(row, keys: list[str]) -> Scored:
    mapping = row._mapping
    points = {key: int(mapping[f"{key}_points"]) for key in keys}
    values: dict[str, Any] = {}
    for key in keys:
        if key == "reliability":
            values[key] = (int(mapping["reliability_checked"]), int(mapping["reliability_claimed"]))
        else:
            values[key] = int(mapping[f"{key}_value"])
    return Scored(points=points, values=values, total=int(mapping["total"]))


def _hours(minutes: int) -> str:
    hours = round(minutes / 60, 1)
    return f"{hours:g}"


def reason_items(scored: Scored) -> list[tuple[str, str]]:
    """(term key, text) for every term that gave points, or whose figure is worth saying
    (reliability and fairness always say theirs)."""
    items: list[tuple[str, str]] = []
    values, points = scored.values, scored.points
    if points.get("skills"):
        items += [("skills", _("%(skill)s ✓", skill=name)) for name in scored.skill_names]
    if points.get("distance"):
        text = {
            GRID: _("Same grid"),
            COMMUNITY: _("Same community"),
            STREET: _("Same street"),
            DISTRICT: _("Same district"),
        }[values["distance"]]
        items.append(("distance", text))
    if "reliability" in values:
        checked, claimed = values["reliability"]
        if claimed < NEWCOMER_CLAIMS:
            items.append(("reliability", _("New volunteer")))
        else:
            rate = round(100 * checked / claimed)
            items.append(("reliability", _("Turned up %(rate)d%%", rate=rate)))
    if "fairness" in values:
        minutes = values["fairness"]
        if minutes:
            items.append(("fairness", _("%(hours)s h served in 30 days", hours=_hours(minutes))))
        else:
            items.append(("fairness", _("Not served in 30 days")))
    if points.get("party"):
        items.append(("party", _("Party member")))
    if points.get("unit"):
        items.append(("unit", _("Their unit takes on this kind of need")))
    return items


def reasons(scored: Scored) -> list[str]:
    return [text for _key, text in reason_items(scored)]


def matched_skills(need_ids_by_profile: list[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
    """The names of the wanted skills each (need, volunteer) pair shares, in one query."""
    if not need_ids_by_profile:
        return {}
    need_ids = {need for need, _user in need_ids_by_profile}
    user_ids = {user for _need, user in need_ids_by_profile}
    query = (
        select(need_skill.c.need_id, profile_skill.c.profile_id, Skill.name)
        .select_from(need_skill)
        .join(profile_skill, profile_skill.c.skill_id == need_skill.c.skill_id)
        .join(Skill, Skill.id == need_skill.c.skill_id)
        .where(need_skill.c.need_id.in_(need_ids), profile_skill.c.profile_id.in_(user_ids))
        .order_by(Skill.name)
    )
    found: dict[tuple[int, int], list[str]] = {}
    for need_id, user_id, name in db.session.execute(query):
        found.setdefault((need_id, user_id), []).append(name)
    return found


def place_of_unit(unit: OrgUnit) -> Place:
    """A community's (or grid's) place: its ids up the tree."""
    ids = unit.ancestor_ids  # city, district, street, community[, grid]
    padded = ids + [None] * (5 - len(ids))
    return Place(grid=padded[4], community=padded[3], street=padded[2], district=padded[1])


def need_place(need) -> Place:
    """Where a need happens: its community, and its grid when it has one."""
    place = place_of_unit(need.community)
    place.grid = need.grid_id
    return place


def volunteer_place(profile: VolunteerProfile) -> Place:
    place = place_of_unit(profile.community)
    place.grid = profile.grid_id
    return place
