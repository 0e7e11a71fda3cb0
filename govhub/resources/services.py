"""The resources list (资源清单): offering, editing and withdrawing resources, and
committing part of one to a need (the projects list of the next issue commits the same
way).

Races: ``Resource.remaining`` and ``status`` change only in one conditional UPDATE each
(``_take``, ``_give_back``, ``_resize``): a commitment takes ``n`` only
``WHERE remaining >= n AND status <> withdrawn``, so two commitments racing for the last
units can never both win, on SQLite (writers queue on BEGIN IMMEDIATE) or PostgreSQL
(the second UPDATE waits for the first row lock and re-checks its WHERE). The status is
computed in the same statement from the old row (``CASE``), so it always follows
``remaining``: offered (nothing committed) → committed (some) → exhausted (nothing left);
withdrawn stays withdrawn. A commitment is released at most once: its own conditional
UPDATE ``WHERE status = active`` decides which of two releases gives the quantity back.
A retried commit carries the same ``key``: the UNIQUE key finds the commitment it made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from govhub import permissions
from govhub.accounts.models import User
from govhub.accounts.validation import normalize_phone, phone_error
from govhub.audit import services as audit
from govhub.database import (
    RetryTransaction,
    ServiceError,
    get_or_raise,
    required_text,
    transactional,
)
from govhub.extensions import db
from govhub.needs.models import Need, NeedStatus
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner, PartnerStatus
from govhub.references import RefType
from govhub.reporting.terms import liaison_units
from govhub.resources.models import (
    CommitmentStatus,
    Resource,
    ResourceCommitment,
    ResourceKind,
    ResourceStatus,
    ResourceWindow,
)

MAX_TITLE = 80
MAX_DESCRIPTION = 2000
MAX_UNIT_LABEL = 16
MAX_PROVIDER = 80
MAX_CONTACT = 40
MAX_PURPOSE = 200
MAX_REASON = 500
MAX_WINDOWS = 14
# The longest list a page shows (the resources of a community, the needs to commit to).
LIST_LIMIT = 200
AREA_LEVELS = (OrgLevel.grid, OrgLevel.community, OrgLevel.street, OrgLevel.district)


class KeyReused(ServiceError):
    """An idempotency key sent again for a different commitment."""


@dataclass
class WindowInput:
    """A weekly window as entered (weekday 0 = Monday); ``field`` is the form row
    ("windows-1") so an error lands beside it."""

    weekday: int | None
    starts: time | None
    ends: time | None
    field: str | None = None


@dataclass
class ResourceInput:
    kind: ResourceKind
    title: str
    quantity: int | None
    unit_label: str
    area_id: int | None
    description: str = ""
    available_from: date | None = None
    available_until: date | None = None
    contact_name: str = ""
    contact_phone: str = ""
    windows: list[WindowInput] = field(default_factory=list)
    # Only for a resource a community admin records on behalf of a unit without an account.
    provider_name: str = ""


@dataclass(frozen=True)
class Provider:
    """Who offers a resource: a partner (by its staff), the acting volunteer themself, or,
    ``on_behalf``, a unit without an account named in ``ResourceInput.provider_name``."""

    partner_id: int | None = None
    on_behalf: bool = False


# --- Areas -----------------------------------------------------------------------------


def _area_chain(community: OrgUnit) -> list[OrgUnit]:
    """The areas a provider based in ``community`` may serve: its district and street
    above, the community, and its grids."""
    above = db.session.scalars(
        select(OrgUnit).where(
            OrgUnit.id.in_(community.ancestor_ids[:-1]),
            OrgUnit.level.in_([OrgLevel.district, OrgLevel.street]),
        )
    ).all()
    grids = db.session.scalars(
        select(OrgUnit)
        .where(OrgUnit.parent_id == community.id, OrgUnit.level == OrgLevel.grid)
        .order_by(OrgUnit.code)
    ).all()
    return sorted(above, key=lambda u: u.level.rank) + [community, *grids]


def area_choices(actor: User, provider: Provider) -> list[OrgUnit]:
    """The areas ``actor`` may choose for a resource of ``provider``: around the partner's
    community, the volunteer's home community, or (on behalf) the admin's communities."""
    if provider.on_behalf:
        bases = permissions.admin_communities(actor)
    elif provider.partner_id is not None:
        partner = db.session.get(Partner, provider.partner_id)
        bases = [partner.community] if partner is not None else []
    else:
        bases = [actor.profile.community] if actor.profile is not None else []
    seen: dict[int, OrgUnit] = {}
    for base in bases:
        for unit in _area_chain(base):
            seen.setdefault(unit.id, unit)
    return list(seen.values())


def serves_clause(community: OrgUnit):
    """SQL on a query joined to the resource's area (``OrgUnit``): resources serving
    ``community`` (its own, its grids', its street's and district's)."""
    above = community.ancestor_ids[:-1]
    return or_(
        OrgUnit.subtree_clause(community.path),
        and_(
            OrgUnit.id.in_(above),
            OrgUnit.level.in_([OrgLevel.street, OrgLevel.district]),
        ),
    )


def serves(resource: Resource, community: OrgUnit) -> bool:
    area = resource.area
    if community.contains(area):
        return True
    return area.level in (OrgLevel.street, OrgLevel.district) and area.contains(community)


# --- Offering, editing, withdrawing -----------------------------------------------------


def _status_after(new_remaining, quantity):
    """SQL: the status for a row whose ``remaining`` becomes ``new_remaining`` (computed
    from the row as it was, in the same UPDATE)."""
    return case(
        (Resource.status == ResourceStatus.withdrawn, Resource.status),
        (new_remaining <= 0, ResourceStatus.exhausted),
        (new_remaining >= quantity, ResourceStatus.offered),
        else_=ResourceStatus.committed,
    )


def _check_windows(windows: list[WindowInput]) -> list[WindowInput]:
    kept = [w for w in windows if not (w.weekday is None and w.starts is None and w.ends is None)]
    if len(kept) > MAX_WINDOWS:
        raise ServiceError(_("At most %(n)d weekly windows.", n=MAX_WINDOWS))
    for window in kept:
        prefix = f"{window.field}-" if window.field else ""
        if window.weekday is None or not 0 <= window.weekday <= 6:
            raise ServiceError(_("Choose a weekday."), field=f"{prefix}weekday")
        if window.starts is None:
            raise ServiceError(_("Enter the start."), field=f"{prefix}starts")
        if window.ends is None:
            raise ServiceError(_("Enter the end."), field=f"{prefix}ends")
        if window.ends <= window.starts:
            raise ServiceError(_("The end must be after the start."), field=f"{prefix}ends")
    return kept


def _check_input(data: ResourceInput, areas: list[OrgUnit], *, on_behalf: bool) -> OrgUnit:
    data.title = required_text(data.title, "title", MAX_TITLE, _l("Enter a title."))
    data.description = (data.description or "").strip()
    if len(data.description) > MAX_DESCRIPTION:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_DESCRIPTION), field="description")
    if data.quantity is None or not 1 <= data.quantity <= Resource.MAX_QUANTITY:
        raise ServiceError(
            _("Between %(low)d and %(high)d.", low=1, high=Resource.MAX_QUANTITY),
            field="quantity",
        )
    data.unit_label = required_text(
        data.unit_label,
        "unit_label",
        MAX_UNIT_LABEL,
        _l("Enter the unit it is counted in, for example rooms, boxes or hours."),
    )
    if data.available_from and data.available_until and data.available_until < data.available_from:
        raise ServiceError(_("The last day cannot be before the first."), field="available_until")
    area = next((unit for unit in areas if unit.id == data.area_id), None)
    if area is None:
        raise ServiceError(_("Choose the area it serves."), field="area_id")
    data.contact_name = (data.contact_name or "").strip()
    if len(data.contact_name) > MAX_CONTACT:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_CONTACT), field="contact_name")
    data.contact_phone = normalize_phone(data.contact_phone)
    if data.contact_phone and (error := phone_error(data.contact_phone)):
        raise ServiceError(error, field="contact_phone")
    if on_behalf:
        data.provider_name = required_text(
            data.provider_name,
            "provider_name",
            MAX_PROVIDER,
            _l("Enter the name of the unit you record it for."),
        )
    data.windows = _check_windows(data.windows)
    return area


def _set_windows(resource: Resource, windows: list[WindowInput]) -> None:
    resource.windows = [
        ResourceWindow(weekday=w.weekday, starts=w.starts, ends=w.ends) for w in windows
    ]


@transactional
def offer(actor_id: int, provider: Provider, data: ResourceInput, *, now: datetime) -> Resource:
    """Put a resource on the list: for a partner (its staff), as the volunteer themself,
    or on behalf of a unit without an account (a community admin)."""
    actor = get_or_raise(User, actor_id, _l("No such user."))
    partner = None
    if provider.partner_id is not None:
        partner = get_or_raise(Partner, provider.partner_id, _l("No such partner."))
        if partner.status is not PartnerStatus.approved:
            raise ServiceError(_("Resources can be offered once the unit is approved."))
    elif not provider.on_behalf and actor.profile is None:
        raise ServiceError(_("Set your home community in your profile first."))
    area = _check_input(data, area_choices(actor, provider), on_behalf=provider.on_behalf)
    resource = Resource(
        kind=data.kind,
        title=data.title,
        description=data.description,
        quantity=data.quantity,
        remaining=data.quantity,
        unit_label=data.unit_label,
        available_from=data.available_from,
        available_until=data.available_until,
        area_id=area.id,
        partner_id=partner.id if partner else None,
        volunteer_id=None if partner or provider.on_behalf else actor.id,
        provider_name=data.provider_name if provider.on_behalf else "",
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        status=ResourceStatus.offered,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    _set_windows(resource, data.windows)
    db.session.add(resource)
    db.session.flush()
    audit.record(
        actor_id,
        "resource.offered",
        RefType.resource,
        resource.id,
        title=resource.title,
        quantity=resource.quantity,
        partner_id=resource.partner_id,
        on_behalf=provider.on_behalf,
    )
    return resource


def provider_of(resource: Resource) -> Provider:
    if resource.partner_id is not None:
        return Provider(partner_id=resource.partner_id)
    return Provider(on_behalf=resource.volunteer_id is None)


def _resize(resource: Resource, quantity: int) -> None:
    """Change the quantity offered, keeping what is committed: one UPDATE that applies the
    difference to both ``quantity`` and ``remaining`` (commitments may be taking it)."""
    delta = quantity - resource.quantity
    if delta == 0:
        return
    changed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Resource)
            .where(Resource.id == resource.id, Resource.remaining + delta >= 0)
            .values(
                quantity=Resource.quantity + delta,
                remaining=Resource.remaining + delta,
                status=_status_after(Resource.remaining + delta, Resource.quantity + delta),
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.refresh(resource, ["quantity", "remaining", "status"])
    if not changed:
        raise ServiceError(
            _(
                "%(n)d %(unit)s are already committed: the quantity cannot be less.",
                n=resource.committed,
                unit=resource.unit_label,
            ),
            field="quantity",
        )


@transactional
def edit(actor_id: int, resource_id: int, data: ResourceInput, *, now: datetime) -> Resource:
    """Change a resource's details. A new quantity keeps what is committed (it cannot go
    below it); a withdrawn resource is not edited."""
    resource = get_or_raise(Resource, resource_id, _l("No such resource."))
    if resource.status is ResourceStatus.withdrawn:
        raise ServiceError(_("This resource has been withdrawn."))
    actor = get_or_raise(User, actor_id, _l("No such user."))
    provider = provider_of(resource)
    areas = area_choices(actor, provider)
    if all(unit.id != resource.area_id for unit in areas):
        areas.append(resource.area)  # keep the area it was offered for
    area = _check_input(data, areas, on_behalf=provider.on_behalf)
    _resize(resource, cast(int, data.quantity))
    resource.kind = data.kind
    resource.title = data.title
    resource.description = data.description
    resource.unit_label = data.unit_label
    resource.available_from = data.available_from
    resource.available_until = data.available_until
    resource.area_id = area.id
    resource.contact_name = data.contact_name
    resource.contact_phone = data.contact_phone
    if provider.on_behalf:
        resource.provider_name = data.provider_name
    resource.updated_at = now
    _set_windows(resource, data.windows)
    audit.record(
        actor_id,
        "resource.edited",
        RefType.resource,
        resource.id,
        title=resource.title,
        quantity=resource.quantity,
    )
    return resource


@transactional
def withdraw(actor_id: int, resource_id: int, reason: str = "", *, now: datetime) -> Resource:
    """Take what is left of a resource off the list. Commitments already made stand (and
    can still be released); nothing more can be committed."""
    resource = get_or_raise(Resource, resource_id, _l("No such resource."))
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_REASON), field="reason")
    changed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Resource)
            .where(Resource.id == resource.id, Resource.status != ResourceStatus.withdrawn)
            .values(status=ResourceStatus.withdrawn, updated_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.refresh(resource, ["status", "updated_at"])
    if not changed:
        raise ServiceError(_("This resource has already been withdrawn."))
    audit.record(
        actor_id,
        "resource.withdrawn",
        RefType.resource,
        resource.id,
        reason=reason or None,
        remaining=resource.remaining,
    )
    return resource


# --- Committing and releasing ------------------------------------------------------------


def _left_message(resource: Resource) -> str:
    if resource.status is ResourceStatus.withdrawn:
        return _("This resource has been withdrawn; nothing more can be committed.")
    if resource.remaining == 0:
        return _("Nothing is left of this resource.")
    return _("Only %(n)d %(unit)s are left.", n=resource.remaining, unit=resource.unit_label)


def _need_for(resource: Resource, need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if need is None:
        raise ServiceError(_("Choose a need."), field="need_id")
    if need.status is not NeedStatus.open:
        raise ServiceError(_("Resources can be committed to open needs only."), field="need_id")
    if not serves(resource, need.community):
        raise ServiceError(_("This resource does not serve the need's community."), field="need_id")
    return need


def _project_for(resource: Resource, project_id: int):
    """A project under way of a community ``resource`` serves (项目清单)."""
    from govhub.projects.models import Project, ProjectStatus

    project = db.session.get(Project, project_id)
    if project is None or project.status is not ProjectStatus.active:
        raise ServiceError(_("Choose a project under way."), field="project_id")
    if not serves(resource, project.community):
        raise ServiceError(
            _("This resource does not serve the project's community."), field="project_id"
        )
    return project


@transactional
def commit(
    actor_id: int,
    resource_id: int,
    quantity: int | None,
    *,
    need_id: int | None = None,
    project_id: int | None = None,
    purpose: str = "",
    key: str,
    now: datetime,
) -> ResourceCommitment:
    """Commit ``quantity`` of a resource to a need (or, with ``purpose``, to what the text
    says), taking it from what is left; never more than is left.

    ``key`` is the commit form's idempotency key: sent again for the same resource it
    returns the commitment it made; sent for another one it is refused (KeyReused)."""
    if not key:
        raise ServiceError(_("This form is out of date. Check it and send it again."))
    existing = db.session.scalar(select(ResourceCommitment).where(ResourceCommitment.key == key))
    if existing is not None:
        if existing.resource_id == resource_id and existing.committed_by_id == actor_id:
            return existing
        raise KeyReused(_("This request was already used for something else."))
    resource = get_or_raise(Resource, resource_id, _l("No such resource."))
    if resource.status is ResourceStatus.withdrawn:
        raise ServiceError(_left_message(resource), field="quantity")
    if quantity is None or not 1 <= quantity <= Resource.MAX_QUANTITY:
        raise ServiceError(
            _("Between %(low)d and %(high)d.", low=1, high=Resource.MAX_QUANTITY),
            field="quantity",
        )
    need = _need_for(resource, need_id) if need_id is not None else None
    project = _project_for(resource, project_id) if project_id is not None else None
    purpose = (purpose or "").strip()
    if len(purpose) > MAX_PURPOSE:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_PURPOSE), field="purpose")
    if need is None and project is None and not purpose:
        raise ServiceError(_("Choose a need, or say what it is for."), field="need_id")

    taken = cast(
        CursorResult[Any],
        db.session.execute(
            update(Resource)
            .where(
                Resource.id == resource.id,
                Resource.remaining >= quantity,
                Resource.status != ResourceStatus.withdrawn,
            )
            .values(
                remaining=Resource.remaining - quantity,
                status=_status_after(Resource.remaining - quantity, Resource.quantity),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.refresh(resource, ["remaining", "status", "updated_at"])
    if taken != 1:
        raise ServiceError(_left_message(resource), field="quantity")
    commitment = ResourceCommitment(
        resource_id=resource.id,
        quantity=quantity,
        need_id=need.id if need else None,
        project_id=project.id if project else None,
        purpose=purpose,
        status=CommitmentStatus.active,
        key=key,
        committed_by_id=actor_id,
        created_at=now,
    )
    db.session.add(commitment)
    try:
        db.session.flush()
    except IntegrityError as error:
        # The same key committed meanwhile (a double tap on two connections): run again,
        # and the lookup above returns that commitment.
        raise RetryTransaction() from error
    audit.record(
        actor_id,
        "resource.committed",
        RefType.resource,
        resource.id,
        commitment_id=commitment.id,
        quantity=quantity,
        need_id=commitment.need_id,
        remaining=resource.remaining,
    )
    return commitment


@transactional
def release(actor_id: int, commitment_id: int, reason: str, *, now: datetime) -> ResourceCommitment:
    """Give a commitment's quantity back to the resource, once; a reason is required."""
    commitment = get_or_raise(ResourceCommitment, commitment_id, _l("No such commitment."))
    reason = required_text(
        reason, "reason", MAX_REASON, _l("Give a reason; the provider will see it.")
    )
    released = cast(
        CursorResult[Any],
        db.session.execute(
            update(ResourceCommitment)
            .where(
                ResourceCommitment.id == commitment.id,
                ResourceCommitment.status == CommitmentStatus.active,
            )
            .values(
                status=CommitmentStatus.released,
                released_by_id=actor_id,
                released_at=now,
                reason=reason,
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if released != 1:
        raise ServiceError(_("This commitment has already been released."))
    db.session.execute(
        update(Resource)
        .where(Resource.id == commitment.resource_id)
        .values(
            remaining=Resource.remaining + commitment.quantity,
            status=_status_after(Resource.remaining + commitment.quantity, Resource.quantity),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(commitment)
    db.session.refresh(commitment.resource, ["remaining", "status", "updated_at"])
    audit.record(
        actor_id,
        "resource.released",
        RefType.resource,
        commitment.resource_id,
        reason=reason,
        commitment_id=commitment.id,
        quantity=commitment.quantity,
    )
    return commitment


# --- Reading ---------------------------------------------------------------------------


def _listing(query, kind: ResourceKind | None):
    if kind is not None:
        query = query.where(Resource.kind == kind)
    query = query.options(selectinload(Resource.volunteer)).order_by(
        Resource.created_at.desc(), Resource.id.desc()
    )
    return list(db.session.scalars(query.limit(LIST_LIMIT)).unique())


def serving(community: OrgUnit, kind: ResourceKind | None = None) -> list[Resource]:
    """The resources on offer to ``community``: what is still available (not withdrawn,
    something left), newest first."""
    query = (
        select(Resource)
        .join(Resource.area)
        .where(
            serves_clause(community),
            Resource.status.in_([ResourceStatus.offered, ResourceStatus.committed]),
        )
    )
    return _listing(query, kind)


def in_scope(
    scope_clause, kind: ResourceKind | None = None, status: ResourceStatus | None = None
) -> list[Resource]:
    """The resources whose area lies inside ``scope_clause`` (``permissions
    .community_admin_scope`` or ``oversight_scope``, on the area), in every status."""
    query = select(Resource).join(Resource.area).where(scope_clause)
    if status is not None:
        query = query.where(Resource.status == status)
    return _listing(query, kind)


def of_provider(user: User, today: date) -> list[Resource]:
    """ "My resources": the volunteer's own, those of the partners they staff or are the
    liaison of, and those they recorded on behalf of a unit."""
    partner_ids = {p.id for p in permissions.staffed_partners(user)}
    partner_ids |= {p.id for p in liaison_units(user, today)}
    clauses = [Resource.volunteer_id == user.id]
    if partner_ids:
        clauses.append(Resource.partner_id.in_(partner_ids))
    clauses.append(
        and_(
            Resource.created_by_id == user.id,
            Resource.partner_id.is_(None),
            Resource.volunteer_id.is_(None),
        )
    )
    return _listing(select(Resource).where(or_(*clauses)), None)


def commitments_of(resource_id: int) -> list[ResourceCommitment]:
    return list(
        db.session.scalars(
            select(ResourceCommitment)
            .where(ResourceCommitment.resource_id == resource_id)
            .options(
                joinedload(ResourceCommitment.need), joinedload(ResourceCommitment.committed_by)
            )
            .order_by(ResourceCommitment.id.desc())
        )
    )


def committed_to_need(need_id: int) -> list[ResourceCommitment]:
    """The active commitments to a need, with their resources (the need page's list)."""
    return list(
        db.session.scalars(
            select(ResourceCommitment)
            .where(
                ResourceCommitment.need_id == need_id,
                ResourceCommitment.status == CommitmentStatus.active,
            )
            .options(joinedload(ResourceCommitment.resource))
            .order_by(ResourceCommitment.id)
        )
    )


def _served_communities(resource: Resource, community_id_column):
    """SQL: ``community_id_column`` names a community ``resource`` serves (a grid's
    resource serves its community)."""
    area = resource.area
    if area.level is OrgLevel.grid:
        return community_id_column == area.parent_id
    inside = select(OrgUnit.id).where(OrgUnit.subtree_clause(area.path))
    return community_id_column.in_(inside)


def needs_to_commit(resource: Resource) -> list[Need]:
    """The open needs of the communities ``resource`` serves, newest first."""
    query = (
        select(Need)
        .where(_served_communities(resource, Need.community_id), Need.status == NeedStatus.open)
        .order_by(Need.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(db.session.scalars(query))


def projects_to_commit(resource: Resource) -> list:
    """The projects under way of the communities ``resource`` serves, newest first."""
    from govhub.projects.models import Project, ProjectStatus

    query = (
        select(Project)
        .where(
            _served_communities(resource, Project.community_id),
            Project.status == ProjectStatus.active,
        )
        .order_by(Project.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(db.session.scalars(query))


def committed_total(resource_id: int) -> int:
    """The sum of a resource's active commitments (always quantity − remaining)."""
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(ResourceCommitment.quantity), 0)).where(
                ResourceCommitment.resource_id == resource_id,
                ResourceCommitment.status == CommitmentStatus.active,
            )
        )
        or 0
    )
