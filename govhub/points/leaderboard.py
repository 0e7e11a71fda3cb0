"""Leaderboards: volunteers ranked by confirmed hours or points earned, in their community
or their street, this month, this year or all time.

One grouped query per board: the ledger's earn entries (and service minutes) summed per
volunteer in the period, ranked with window functions; the top rows and the viewer's own
row come back together. Points *earned* count, not the balance, so redeeming points never
costs a volunteer their place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from govhub.accounts.models import User, VolunteerProfile
from govhub.clock import to_local, to_utc
from govhub.enums import LabelledEnum
from govhub.extensions import db
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.points.models import EntryKind, LedgerEntry

TOP = 20


class Scope(LabelledEnum):
    community = "community", _l("My community")
    street = "street", _l("My street")


class Period(LabelledEnum):
    month = "month", _l("This month")
    year = "year", _l("This year")
    all = "all", _l("All time")


class Metric(LabelledEnum):
    hours = "hours", _l("Hours")
    points = "points", _l("Points earned")


@dataclass
class Ranked:
    rank: int
    volunteer_id: int
    name: str
    value: int  # minutes for hours, points for points


@dataclass
class Board:
    scope: Scope
    period: Period
    metric: Metric
    unit: OrgUnit | None  # the community or street ranked
    rows: list[Ranked] = field(default_factory=list)
    me: Ranked | None = None  # None: the viewer has nothing in this period
    ranked: int = 0  # how many volunteers have something in this period


def period_start(period: Period, now: datetime) -> datetime | None:
    """The start of the period containing ``now``, in local time, as naive UTC."""
    local = to_local(now)
    if period is Period.month:
        return to_utc(datetime(local.year, local.month, 1))
    if period is Period.year:
        return to_utc(datetime(local.year, 1, 1))
    return None


def scope_unit(volunteer: User, scope: Scope) -> OrgUnit | None:
    profile = volunteer.profile
    if profile is None:
        return None
    community = profile.community
    return community if scope is Scope.community else community.parent


def oversight_units(scope_clause) -> list[OrgUnit]:
    """The streets and communities inside ``scope_clause`` (``permissions.oversight_scope``),
    each street followed by its communities: the boards an oversight admin may open."""
    query = select(OrgUnit).where(
        OrgUnit.level.in_((OrgLevel.street, OrgLevel.community)), scope_clause
    )
    return list(db.session.scalars(query.order_by(OrgUnit.path)))


def board(
    volunteer: User,
    scope: Scope,
    period: Period,
    metric: Metric,
    *,
    now: datetime,
    top: int = TOP,
    unit: OrgUnit | None = None,
) -> Board:
    """The board of the viewer's community or street, or of ``unit`` (a community or a
    street, for an oversight admin: the caller checks it is theirs)."""
    if unit is not None:
        scope = Scope.community if unit.level is OrgLevel.community else Scope.street
    result = Board(scope, period, metric, unit or scope_unit(volunteer, scope))
    if result.unit is None:
        return result

    if metric is Metric.hours:
        value = func.sum(LedgerEntry.minutes)
        conditions = [LedgerEntry.minutes != 0]
    else:
        value = func.sum(LedgerEntry.amount)
        conditions = [LedgerEntry.kind == EntryKind.earn]
    if scope is Scope.community:
        home = VolunteerProfile.community_id == result.unit.id
    else:
        communities = select(OrgUnit.id).where(OrgUnit.parent_id == result.unit.id)
        home = VolunteerProfile.community_id.in_(communities)
    # The unit's volunteers first, then each one's entries by a per-volunteer index: as
    # a join, SQLite started from kind + period and read every earn entry of the city.
    conditions.append(LedgerEntry.volunteer_id.in_(select(VolunteerProfile.user_id).where(home)))
    if (start := period_start(period, now)) is not None:
        conditions.append(LedgerEntry.created_at >= start)

    totals = (
        select(LedgerEntry.volunteer_id.label("volunteer_id"), value.label("value"))
        .where(*conditions)
        .group_by(LedgerEntry.volunteer_id)
        .having(value > 0)
        .subquery()
    )
    ranked = select(
        totals.c.volunteer_id,
        totals.c.value,
        func.rank().over(order_by=totals.c.value.desc()).label("rank"),
        func.row_number()
        .over(order_by=(totals.c.value.desc(), totals.c.volunteer_id))
        .label("position"),
        func.count().over().label("ranked"),
    ).subquery()
    rows = db.session.execute(
        select(
            ranked.c.position,
            ranked.c.rank,
            ranked.c.volunteer_id,
            User.name,
            ranked.c.value,
            ranked.c.ranked,
        )
        .join(User, User.id == ranked.c.volunteer_id)
        .where(or_(ranked.c.position <= top, ranked.c.volunteer_id == volunteer.id))
        .order_by(ranked.c.position)
    ).all()
    for position, rank, volunteer_id, name, total, count in rows:
        row = Ranked(int(rank), volunteer_id, name, int(total))
        result.ranked = int(count)
        if volunteer_id == volunteer.id:
            result.me = row
        if position <= top:
            result.rows.append(row)
    return result
