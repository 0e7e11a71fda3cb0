"""The year's figures on the public page (年度数据) of a community or a street.

Every figure is for one local calendar year (Asia/Shanghai) and one community; a
street's figures are the sums over its communities.

- **Needs fulfilled**: the community's needs with status ``completed`` whose last shift
  ended in the year (a need is counted once, in the year its service ended). A need
  that is still open is not counted even when its places are all taken: it is
  fulfilled when the community marks it done.
- **Hours served**: confirmed attendance minutes (``Attendance`` ``confirmed``) at
  shifts of the community's needs that started in the year, shown in hours.
- **Points issued**: ``earn`` ledger entries of the community's volunteers (by home
  community, as the points economy counts them, ``rewards/economy.py``) made in the year.
- **Points redeemed**: their ``redeem`` entries, as a positive number, less the
  ``refund`` entries (vouchers given back) made in the year.
- **Projects completed** and **people served**: the community's projects with status
  ``completed`` and ``published``, completed in the year, and the people they served.

Aggregate SQL only: four statements for any number of communities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from govhub.accounts.models import VolunteerProfile
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.clock import local_days
from govhub.extensions import db
from govhub.needs.models import Need, NeedStatus, Shift
from govhub.points.models import EntryKind, LedgerEntry
from govhub.projects.models import Project, ProjectStatus

# The years the year selector offers and accepts.
FIRST_YEAR = 2020
LAST_YEAR = 2100


@dataclass
class Figures:
    needs_fulfilled: int = 0
    minutes_served: int = 0
    points_issued: int = 0
    points_redeemed: int = 0
    projects_completed: int = 0
    people_served: int = 0

    @property
    def hours_served(self) -> float:
        """Hours, to one decimal place."""
        return round(self.minutes_served / 60, 1)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.needs_fulfilled + other.needs_fulfilled,
            self.minutes_served + other.minutes_served,
            self.points_issued + other.points_issued,
            self.points_redeemed + other.points_redeemed,
            self.projects_completed + other.projects_completed,
            self.people_served + other.people_served,
        )


def year_figures(community_ids: list[int], year: int) -> dict[int, Figures]:
    """The figures of ``year`` for each of ``community_ids`` (every id is a key)."""
    result = {community_id: Figures() for community_id in community_ids}
    if not community_ids:
        return result
    start, end = local_days(date(year, 1, 1), date(year, 12, 31))

    last_shift = (
        select(Shift.need_id, func.max(Shift.ends_at).label("ended"))
        .group_by(Shift.need_id)
        .subquery()
    )
    needs = db.session.execute(
        select(Need.community_id, func.count(Need.id))
        .join(last_shift, last_shift.c.need_id == Need.id)
        .where(
            Need.community_id.in_(community_ids),
            Need.status == NeedStatus.completed,
            last_shift.c.ended >= start,
            last_shift.c.ended < end,
        )
        .group_by(Need.community_id)
    )
    for community_id, count in needs:
        result[community_id].needs_fulfilled = int(count or 0)

    minutes = db.session.execute(
        select(Need.community_id, func.sum(Attendance.minutes))
        .join(Shift, Shift.id == Attendance.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .where(
            Need.community_id.in_(community_ids),
            Attendance.status == AttendanceStatus.confirmed,
            Shift.starts_at >= start,
            Shift.starts_at < end,
        )
        .group_by(Need.community_id)
    )
    for community_id, total in minutes:
        result[community_id].minutes_served = int(total or 0)

    def total_of(*kinds: EntryKind):
        return func.coalesce(
            func.sum(case((LedgerEntry.kind.in_(kinds), LedgerEntry.amount), else_=0)), 0
        )

    points = db.session.execute(
        select(
            VolunteerProfile.community_id,
            total_of(EntryKind.earn),
            total_of(EntryKind.redeem),
            total_of(EntryKind.refund),
        )
        .join(LedgerEntry, LedgerEntry.volunteer_id == VolunteerProfile.user_id)
        .where(
            VolunteerProfile.community_id.in_(community_ids),
            LedgerEntry.kind.in_([EntryKind.earn, EntryKind.redeem, EntryKind.refund]),
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
        )
        .group_by(VolunteerProfile.community_id)
    )
    for community_id, earned, redeemed, refunded in points:
        result[community_id].points_issued = int(earned)
        result[community_id].points_redeemed = -int(redeemed) - int(refunded)

    projects = db.session.execute(
        select(
            Project.community_id,
            func.count(Project.id),
            func.coalesce(func.sum(Project.people_served), 0),
        )
        .where(
            Project.community_id.in_(community_ids),
            Project.status == ProjectStatus.completed,
            Project.published.is_(True),
            Project.completed_at >= start,
            Project.completed_at < end,
        )
        .group_by(Project.community_id)
    )
    for community_id, count, people in projects:
        result[community_id].projects_completed = int(count)
        result[community_id].people_served = int(people or 0)
    return result


def total(figures: dict[int, Figures]) -> Figures:
    summed = Figures()
    for line in figures.values():
        summed = summed + line
    return summed
