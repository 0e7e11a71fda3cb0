"""The projects list (项目清单): recording a project from needs, a unit's proposal
(项目认领), completing it with its outcome, and reading what it brought together.

A project's status moves one way: ``proposed`` → ``active`` (accepted) or ``declined``;
``active`` → ``completed`` or ``cancelled``. Each move is a conditional UPDATE on the
status it leaves (``_move``), so two admins deciding at once decide once. Its needs are
the community's own, each in at most one project (``project_need.need_id`` is UNIQUE).
Who may act is ``govhub.permissions`` (MANAGE_PROJECTS, EDIT_PROJECT, DECIDE_PROPOSAL,
PROPOSE_PROJECT); which community a unit may propose to is decided here: one it has a
counting report to (``reporting.terms.unit_reported_to``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import CursorResult

from govhub.accounts.models import Role, RoleAssignment, User
from govhub.audit import services as audit
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.clock import local_date, local_days
from govhub.database import ServiceError, get_or_raise, required_text, transactional
from govhub.extensions import db
from govhub.needs.models import Need, NeedStatus, Shift
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from govhub.projects.models import (
    Project,
    ProjectOrigin,
    ProjectPhoto,
    ProjectStatus,
    project_need,
    project_partner,
)
from govhub.references import RefType
from govhub.reporting.models import UnitReport
from govhub.reporting.terms import counts_clause
from govhub.resources.models import CommitmentStatus, Resource, ResourceCommitment
from govhub.rewards import photos as photo_encoding

MAX_TITLE = 80
MAX_SUMMARY = 2000
MAX_OFFER = 500
MAX_OUTCOME = 2000
MAX_REASON = 500
MAX_PEOPLE = 1_000_000
MAX_PHOTOS = 6
MAX_NEEDS = 20
LIST_LIMIT = 200
# Needs that may become (part of) a project: anything the community posted and did not
# cancel or leave as a draft.
PROJECT_NEED_STATUSES = (NeedStatus.open, NeedStatus.closed, NeedStatus.completed)
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


@dataclass
class ProjectInput:
    title: str
    summary: str = ""
    starts_on: date | None = None
    ends_on: date | None = None


def _check(data: ProjectInput) -> ProjectInput:
    title = (data.title or "").strip()
    if not title:
        raise ServiceError(_("Give the project a title."), field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_TITLE), field="title")
    summary = (data.summary or "").strip()
    if len(summary) > MAX_SUMMARY:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_SUMMARY), field="summary")
    for name, day in (("starts_on", data.starts_on), ("ends_on", data.ends_on)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ServiceError(_("Choose a date between 2000 and 2100."), field=name)
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise ServiceError(_("The end cannot be before the start."), field="ends_on")
    return ProjectInput(title, summary, data.starts_on, data.ends_on)


def _community(community_id: int) -> OrgUnit:
    community = db.session.get(OrgUnit, community_id)
    if community is None or community.level is not OrgLevel.community:
        raise ServiceError(_("Choose a community."), field="community_id")
    return community


def _needs(community: OrgUnit, need_ids: list[int], project_id: int | None) -> list[Need]:
    """The community's needs ``need_ids``, none of them in another project."""
    ids = list(dict.fromkeys(need_ids))
    if len(ids) > MAX_NEEDS:
        raise ServiceError(_("At most %(n)d needs.", n=MAX_NEEDS), field="need_ids")
    if not ids:
        return []
    needs = list(db.session.scalars(select(Need).where(Need.id.in_(ids))))
    if len(needs) != len(ids) or any(
        n.community_id != community.id or n.status not in PROJECT_NEED_STATUSES for n in needs
    ):
        raise ServiceError(_("Choose needs of this community that were published."), "need_ids")
    taken = db.session.scalar(
        select(Need.title)
        .join(project_need, project_need.c.need_id == Need.id)
        .where(Need.id.in_(ids), project_need.c.project_id != (project_id or 0))
        .limit(1)
    )
    if taken is not None:
        raise ServiceError(
            _("%(title)s is already part of another project.", title=taken), field="need_ids"
        )
    return needs


def _partners(partner_ids: list[int]) -> list[Partner]:
    ids = list(dict.fromkeys(partner_ids))
    if not ids:
        return []
    partners = list(
        db.session.scalars(
            select(Partner).where(Partner.id.in_(ids), Partner.status == PartnerStatus.approved)
        )
    )
    if len(partners) != len(ids):
        raise ServiceError(_("Choose partners from the list."), field="partner_ids")
    return partners


def _set_needs(project: Project, needs: list[Need]) -> None:
    """Replace the project's needs (the UNIQUE need_id is the last line against a need in
    two projects at once)."""
    db.session.execute(delete(project_need).where(project_need.c.project_id == project.id))
    if needs:
        db.session.execute(
            insert(project_need), [{"project_id": project.id, "need_id": n.id} for n in needs]
        )


def _set_partners(project: Project, partners: list[Partner]) -> None:
    db.session.execute(delete(project_partner).where(project_partner.c.project_id == project.id))
    if partners:
        db.session.execute(
            insert(project_partner),
            [{"project_id": project.id, "partner_id": p.id} for p in partners],
        )


@transactional
def record(
    actor_id: int,
    community_id: int,
    data: ProjectInput,
    need_ids: list[int],
    partner_ids: list[int] | None = None,
    *,
    now: datetime,
) -> Project:
    """Record a project of the community from its needs (at least one), under way."""
    community = _community(community_id)
    data = _check(data)
    if not need_ids:
        raise ServiceError(_("Choose at least one need."), field="need_ids")
    needs = _needs(community, need_ids, None)
    partners = _partners(partner_ids or [])
    project = Project(
        community_id=community.id,
        title=data.title,
        summary=data.summary,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=ProjectStatus.active,
        origin=ProjectOrigin.need,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(project)
    db.session.flush()
    _set_needs(project, needs)
    _set_partners(project, partners)
    audit.record(
        actor_id, "project.recorded", RefType.project, project.id, needs=[n.id for n in needs]
    )
    return project


def _editable(project_id: int) -> Project:
    project = get_or_raise(Project, project_id, _l("No such project."))
    if project.status is not ProjectStatus.active:
        raise ServiceError(_("Only a project under way can be changed."))
    return project


@transactional
def edit(
    actor_id: int,
    project_id: int,
    data: ProjectInput,
    need_ids: list[int],
    partner_ids: list[int],
    *,
    now: datetime,
) -> Project:
    project = _editable(project_id)
    data = _check(data)
    needs = _needs(project.community, need_ids, project.id)
    if not needs and project.origin is ProjectOrigin.need:
        raise ServiceError(_("Choose at least one need."), field="need_ids")
    project.title, project.summary = data.title, data.summary
    project.starts_on, project.ends_on = data.starts_on, data.ends_on
    project.updated_at = now
    _set_needs(project, needs)
    _set_partners(project, _partners(partner_ids))
    db.session.flush()
    db.session.expire(project, ["needs", "partners"])
    audit.record(actor_id, "project.edited", RefType.project, project.id)
    return project


def _move(project: Project, leaving: ProjectStatus, to: ProjectStatus, **values: Any) -> None:
    """Change the status if it is still ``leaving``: one conditional UPDATE, so two
    decisions at once decide once."""
    moved = cast(
        CursorResult[Any],
        db.session.execute(
            update(Project)
            .where(Project.id == project.id, Project.status == leaving)
            .values(status=to, **values)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if moved != 1:
        raise ServiceError(_("This project was changed meanwhile. Check it and try again."))
    db.session.refresh(project)


@transactional
def complete(
    actor_id: int,
    project_id: int,
    *,
    people_served: int | None,
    outcome: str,
    photos: list[bytes] | None = None,
    published: bool = True,
    now: datetime,
) -> Project:
    """Record the outcome: people served, a short report, up to six photos (re-encoded,
    never the uploaded files), and whether it goes on the public page (居务公开)."""
    project = _editable(project_id)
    if people_served is None or not 0 <= people_served <= MAX_PEOPLE:
        raise ServiceError(
            _("Between %(low)d and %(high)d.", low=0, high=MAX_PEOPLE), field="people_served"
        )
    outcome = required_text(
        outcome, "outcome", MAX_OUTCOME, _("Say in a few sentences what the project achieved.")
    )
    photos = [p for p in (photos or []) if p]
    if len(project.photos) + len(photos) > MAX_PHOTOS:
        raise ServiceError(_("At most %(n)d photos.", n=MAX_PHOTOS), field="photos")
    encoded = []
    for upload in photos:
        try:
            encoded.append(photo_encoding.reencode(upload))
        except ServiceError as error:
            raise ServiceError(error.message, field="photos") from error
    _move(
        project,
        ProjectStatus.active,
        ProjectStatus.completed,
        people_served=people_served,
        outcome=outcome,
        published=published,
        completed_by_id=actor_id,
        completed_at=now,
        updated_at=now,
    )
    for item in encoded:
        db.session.add(
            ProjectPhoto(
                project_id=project.id, data=item.data, width=item.width, height=item.height
            )
        )
    audit.record(
        actor_id,
        "project.completed",
        RefType.project,
        project.id,
        people_served=people_served,
        published=published,
        photos=len(encoded),
    )
    return project


@transactional
def cancel(actor_id: int, project_id: int, reason: str, *, now: datetime) -> Project:
    project = get_or_raise(Project, project_id, _l("No such project."))
    reason = required_text(reason, "reason", MAX_REASON, _("Give a reason."))
    _move(project, ProjectStatus.active, ProjectStatus.cancelled, reason=reason, updated_at=now)
    audit.record(actor_id, "project.cancelled", RefType.project, project.id, reason=reason)
    return project


@transactional
def set_published(actor_id: int, project_id: int, published: bool, *, now: datetime) -> Project:
    """Put a completed project on the public page, or take it off."""
    project = get_or_raise(Project, project_id, _l("No such project."))
    if project.status is not ProjectStatus.completed:
        raise ServiceError(_("Only a completed project is published."))
    project.published, project.updated_at = published, now
    audit.record(actor_id, "project.published", RefType.project, project.id, published=published)
    return project


# --- 项目认领: a unit proposes, the community decides ---------------------------------


def _community_admin_ids(community: OrgUnit) -> list[int]:
    return list(
        db.session.scalars(
            select(RoleAssignment.user_id).where(
                RoleAssignment.role == Role.community_admin,
                RoleAssignment.org_unit_id == community.id,
            )
        )
    )


def proposal_communities(partner_id: int, today: date) -> list[OrgUnit]:
    """The communities a unit may propose projects to: those it has a counting report to."""
    query = (
        select(OrgUnit)
        .join(UnitReport, UnitReport.community_id == OrgUnit.id)
        .where(UnitReport.partner_id == partner_id, counts_clause(UnitReport, today))
        .order_by(OrgUnit.code)
        .distinct()
    )
    return list(db.session.scalars(query))


@transactional
def propose(
    actor_id: int,
    partner_id: int,
    community_id: int,
    data: ProjectInput,
    offer: str,
    *,
    now: datetime,
) -> Project:
    """A stationed unit proposes what it is willing to do (项目认领) to a community it
    reported to; the community's admins are told."""
    partner = get_or_raise(Partner, partner_id, _l("No such unit."))
    if partner.kind is not PartnerKind.unit or partner.status is not PartnerStatus.approved:
        raise ServiceError(_("Only an approved stationed unit proposes projects."))
    community = db.session.get(OrgUnit, community_id)
    if community is None or community not in proposal_communities(partner.id, local_date(now)):
        raise ServiceError(
            _("Propose to a community your unit has reported to."), field="community_id"
        )
    data = _check(data)
    offer = required_text(offer, "offer", MAX_OFFER, _("Say what your unit offers to do."))
    project = Project(
        community_id=community.id,
        title=data.title,
        summary=data.summary,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=ProjectStatus.proposed,
        origin=ProjectOrigin.proposal,
        proposed_by_partner_id=partner.id,
        offer=offer,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(project)
    db.session.flush()
    _set_partners(project, [partner])
    for admin_id in _community_admin_ids(community):
        notify(
            admin_id,
            NotificationKind.project_proposed,
            RefType.project,
            project.id,
            partner=partner.name,
            community=community.name,
            title=project.title,
        )
    audit.record(actor_id, "project.proposed", RefType.project, project.id, partner_id=partner.id)
    return project


def _tell_proposer(project: Project, kind: NotificationKind, **params: str) -> None:
    assert project.proposed_by_partner_id is not None
    for user_id in partners.staff_ids(project.proposed_by_partner_id):
        notify(
            user_id,
            kind,
            RefType.project,
            project.id,
            community=project.community.name,
            title=project.title,
            **params,
        )


@transactional
def accept_proposal(actor_id: int, project_id: int, *, now: datetime) -> Project:
    """Take a unit's proposal onto the community's projects list (under way)."""
    project = get_or_raise(Project, project_id, _l("No such project."))
    _move(
        project,
        ProjectStatus.proposed,
        ProjectStatus.active,
        decided_by_id=actor_id,
        decided_at=now,
        updated_at=now,
    )
    _tell_proposer(project, NotificationKind.project_proposal_accepted)
    audit.record(actor_id, "project.proposal_accepted", RefType.project, project.id)
    return project


@transactional
def decline_proposal(actor_id: int, project_id: int, reason: str, *, now: datetime) -> Project:
    project = get_or_raise(Project, project_id, _l("No such project."))
    reason = required_text(reason, "reason", MAX_REASON, _("Give a reason."))
    _move(
        project,
        ProjectStatus.proposed,
        ProjectStatus.declined,
        reason=reason,
        decided_by_id=actor_id,
        decided_at=now,
        updated_at=now,
    )
    _tell_proposer(project, NotificationKind.project_proposal_declined, reason=reason)
    audit.record(actor_id, "project.proposal_declined", RefType.project, project.id, reason=reason)
    return project


# --- Reading -------------------------------------------------------------------------


def for_community(community_id: int, status: ProjectStatus | None = None) -> list[Project]:
    """The community's projects (proposals waiting first, then the newest)."""
    query = select(Project).where(Project.community_id == community_id)
    if status is not None:
        query = query.where(Project.status == status)
    query = query.order_by(
        (Project.status == ProjectStatus.proposed).desc(), Project.id.desc()
    ).limit(LIST_LIMIT)
    return list(db.session.scalars(query))


def of_partner(partner_id: int) -> list[Project]:
    """The projects a unit proposed, newest first."""
    query = (
        select(Project)
        .where(Project.proposed_by_partner_id == partner_id)
        .order_by(Project.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(db.session.scalars(query))


def needs_to_add(community_id: int, project_id: int | None = None) -> list[Need]:
    """The community's published needs in no other project, newest first."""
    query = (
        select(Need)
        .outerjoin(project_need, project_need.c.need_id == Need.id)
        .where(
            Need.community_id == community_id,
            Need.status.in_(PROJECT_NEED_STATUSES),
            or_(
                project_need.c.project_id.is_(None), project_need.c.project_id == (project_id or 0)
            ),
        )
        .order_by(Need.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(db.session.scalars(query))


def partners_to_name(community: OrgUnit) -> list[Partner]:
    """Approved partners of the community's street (those who usually work with it)."""
    street_path = community.parent.path if community.parent else community.path
    query = (
        select(Partner)
        .join(OrgUnit, OrgUnit.id == Partner.community_id)
        .where(Partner.status == PartnerStatus.approved, OrgUnit.subtree_clause(street_path))
        .order_by(Partner.name)
        .limit(LIST_LIMIT)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Volunteer:
    user_id: int
    name: str
    minutes: int


@dataclass(frozen=True)
class Detail:
    project: Project
    volunteers: list[Volunteer]  # who served its needs' shifts (confirmed), most hours first
    minutes: int  # confirmed minutes in all
    commitments: list[ResourceCommitment]  # active, to its needs or to it
    partners: list[Partner]  # named on it, and the providers of its resources


def _need_ids(project: Project):
    return select(project_need.c.need_id).where(project_need.c.project_id == project.id)


def detail(project: Project) -> Detail:
    """What the project brought together, in three queries."""
    minutes = func.coalesce(func.sum(Attendance.minutes), 0)
    rows = db.session.execute(
        select(User.id, User.name, minutes)
        .join(Attendance, Attendance.volunteer_id == User.id)
        .join(Shift, Shift.id == Attendance.shift_id)
        .where(
            Shift.need_id.in_(_need_ids(project)), Attendance.status == AttendanceStatus.confirmed
        )
        .group_by(User.id, User.name)
        .order_by(minutes.desc(), User.id)
    ).all()
    volunteers = [Volunteer(int(i), name, int(m or 0)) for i, name, m in rows]
    commitments = list(
        db.session.scalars(
            select(ResourceCommitment)
            .join(Resource, Resource.id == ResourceCommitment.resource_id)
            .where(
                ResourceCommitment.status == CommitmentStatus.active,
                or_(
                    ResourceCommitment.need_id.in_(_need_ids(project)),
                    ResourceCommitment.project_id == project.id,
                ),
            )
            .order_by(ResourceCommitment.id)
        )
    )
    partners = {p.id: p for p in project.partners}
    for commitment in commitments:
        provider = commitment.resource.partner
        if provider is not None:
            partners.setdefault(provider.id, provider)
    return Detail(
        project,
        volunteers,
        sum(v.minutes for v in volunteers),
        commitments,
        sorted(partners.values(), key=lambda p: p.name),
    )


@dataclass(frozen=True)
class Figures:
    completed: int
    people_served: int


def figures(community_id: int, year: int) -> Figures:
    """Projects the community completed in ``year`` (local time) and the people they
    served: one aggregate query."""
    start, end = local_days(date(year, 1, 1), date(year, 12, 31))
    row = db.session.execute(
        select(func.count(Project.id), func.coalesce(func.sum(Project.people_served), 0)).where(
            and_(
                Project.community_id == community_id,
                Project.status == ProjectStatus.completed,
                Project.completed_at >= start,
                Project.completed_at < end,
            )
        )
    ).one()
    return Figures(int(row[0] or 0), int(row[1] or 0))


def proposals_waiting(community_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(Project.id)).where(
                Project.community_id == community_id, Project.status == ProjectStatus.proposed
            )
        )
        or 0
    )


def photo_data(photo_id: int) -> bytes | None:
    photo = db.session.get(ProjectPhoto, photo_id)
    return photo.data if photo is not None else None
