"""What the public three-lists page (居务公开) shows: only what its communities published,
and no personal data (volunteers only shortened, ``govhub/names.py``; no phones).

- 需求清单: open needs of the communities with a shift still to come.
- 资源清单: resources on offer (``offered`` or partly ``committed``, not past their end
  date) serving the area, as the resources list defines it.
- 项目清单: completed and published projects, completed in the year.
- 光荣榜: approved caring businesses of the area, and approved stationed units with a
  report that counts to one of its communities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import distinct, exists, func, or_, select
from sqlalchemy.orm import selectinload

from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.clock import local_days
from govhub.extensions import db
from govhub.names import short_name
from govhub.needs.models import Need, NeedStatus, Shift
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from govhub.projects.models import Project, ProjectPhoto, ProjectStatus, project_need
from govhub.reporting.models import UnitReport
from govhub.reporting.terms import counts_clause
from govhub.resources.models import Resource, ResourceKind, ResourceStatus
from govhub.resources.services import serves_clause

LIST_LIMIT = 50  # rows per list: a notice, not an archive


@dataclass(frozen=True)
class OpenNeed:
    id: int
    title: str
    place: str
    community: str
    next_shift: datetime
    places_left: int


@dataclass(frozen=True)
class OfferedResource:
    title: str
    kind: ResourceKind
    provider: str
    area: str


@dataclass(frozen=True)
class PublicProject:
    project: Project
    volunteers: int


@dataclass(frozen=True)
class HonourRoll:
    businesses: list[Partner]
    units: list[Partner]


def communities_of(unit: OrgUnit) -> list[OrgUnit]:
    """``unit`` itself when it is a community; a street's communities."""
    if unit.level is OrgLevel.community:
        return [unit]
    query = select(OrgUnit).where(
        OrgUnit.subtree_clause(unit.path), OrgUnit.level == OrgLevel.community
    )
    return list(db.session.scalars(query.order_by(OrgUnit.code)))


def open_needs(community_ids: list[int], *, now: datetime) -> list[OpenNeed]:
    """Open needs with a shift to come: its next start and the places left on them."""
    query = (
        select(
            Need.id,
            Need.title,
            Need.place,
            OrgUnit.name,
            func.min(Shift.starts_at),
            func.sum(Shift.capacity - Shift.claimed),
        )
        .join(Shift, Shift.need_id == Need.id)
        .join(OrgUnit, OrgUnit.id == Need.community_id)
        .where(
            Need.community_id.in_(community_ids),
            Need.status == NeedStatus.open,
            Shift.starts_at > now,
        )
        .group_by(Need.id, Need.title, Need.place, OrgUnit.name)
        .order_by(func.min(Shift.starts_at), Need.id)
        .limit(LIST_LIMIT)
    )
    return [
        OpenNeed(id, title, place, community, starts, max(int(left or 0), 0))
        for id, title, place, community, starts, left in db.session.execute(query)
    ]


def _provider(resource: Resource) -> str:
    """An organisation by its name; a volunteer only shortened."""
    if resource.partner is not None:
        return resource.partner.name
    if resource.volunteer is not None:
        return short_name(resource.volunteer.name)
    return resource.provider_name


def offered_resources(unit: OrgUnit, *, today: date) -> list[OfferedResource]:
    query = (
        select(Resource)
        .join(OrgUnit, OrgUnit.id == Resource.area_id)
        .options(selectinload(Resource.volunteer))
        .where(
            serves_clause(unit),
            Resource.status.in_([ResourceStatus.offered, ResourceStatus.committed]),
            Resource.remaining > 0,
            or_(Resource.available_until.is_(None), Resource.available_until >= today),
        )
        .order_by(Resource.created_at.desc(), Resource.id.desc())
        .limit(LIST_LIMIT)
    )
    return [
        OfferedResource(r.title, r.kind, _provider(r), r.area.name)
        for r in db.session.scalars(query)
    ]


def published_projects(community_ids: list[int], year: int) -> list[PublicProject]:
    """Completed, published projects completed in ``year``, with their volunteer count."""
    start, end = local_days(date(year, 1, 1), date(year, 12, 31))
    query = (
        select(Project)
        .options(selectinload(Project.partners), selectinload(Project.photos))
        .where(
            Project.community_id.in_(community_ids),
            Project.status == ProjectStatus.completed,
            Project.published.is_(True),
            Project.completed_at >= start,
            Project.completed_at < end,
        )
        .order_by(Project.completed_at.desc(), Project.id.desc())
        .limit(LIST_LIMIT)
    )
    projects = list(db.session.scalars(query))
    if not projects:
        return []
    counts: dict[int, int] = dict(
        db.session.execute(
            select(project_need.c.project_id, func.count(distinct(Attendance.volunteer_id)))
            .join(Shift, Shift.need_id == project_need.c.need_id)
            .join(Attendance, Attendance.shift_id == Shift.id)
            .where(
                project_need.c.project_id.in_([p.id for p in projects]),
                Attendance.status == AttendanceStatus.confirmed,
            )
            .group_by(project_need.c.project_id)
        ).all()
    )
    return [PublicProject(p, int(counts.get(p.id, 0))) for p in projects]


def honour_roll(unit: OrgUnit, community_ids: list[int], *, today: date) -> HonourRoll:
    businesses = select(Partner).where(
        Partner.kind == PartnerKind.business,
        Partner.status == PartnerStatus.approved,
        Partner.community_id.in_(community_ids),
    )
    reported = exists().where(
        UnitReport.partner_id == Partner.id,
        UnitReport.community_id.in_(community_ids),
        counts_clause(UnitReport, today),
    )
    units = select(Partner).where(
        Partner.kind == PartnerKind.unit, Partner.status == PartnerStatus.approved, reported
    )
    order = (Partner.name, Partner.id)
    return HonourRoll(
        list(db.session.scalars(businesses.order_by(*order).limit(LIST_LIMIT))),
        list(db.session.scalars(units.order_by(*order).limit(LIST_LIMIT))),
    )


def photo_data(project_id: int, photo_id: int) -> bytes | None:
    """A photo of a completed, published project, or None."""
    return db.session.scalar(
        select(ProjectPhoto.data)
        .join(Project, Project.id == ProjectPhoto.project_id)
        .where(
            ProjectPhoto.id == photo_id,
            ProjectPhoto.project_id == project_id,
            Project.status == ProjectStatus.completed,
            Project.published.is_(True),
        )
    )
