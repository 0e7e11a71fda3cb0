"""A community admin's request for part of a resource, and the provider side's answer.

A request takes nothing: accepting it commits the quantity through
``resources.services.commit`` in the same transaction, whose conditional UPDATE keeps the
resource from being over-committed however many requests are accepted at once. The
commit's key is ``request:<id>``, so accepting twice commits once.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from govhub.accounts.models import User
from govhub.audit import services as audit
from govhub.database import (
    RetryTransaction,
    ServiceError,
    get_or_raise,
    required_text,
    transactional,
)
from govhub.extensions import db
from govhub.matching.models import ResourceRequest, ResourceRequestStatus
from govhub.needs.models import Need, NeedStatus
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.partners import services as partners
from govhub.permissions import provider_scope
from govhub.references import RefType
from govhub.resources import services as resources
from govhub.resources.models import Resource, ResourceStatus

MAX_NOTE = 200
MAX_REASON = 500


class RecordedOnBehalf(ServiceError):
    """The resource was recorded for a unit without an account: nobody can answer a
    request, so the admin commits it directly (the resource's commit page)."""

    def __init__(self, message: str, resource_id: int, need_id: int) -> None:
        super().__init__(message, field="resource_id")
        self.resource_id = resource_id
        self.need_id = need_id


def provider_user_ids(resource: Resource) -> list[int]:
    """Who answers for a resource: its partner's staff, or the volunteer who offered it."""
    if resource.partner_id is not None:
        return partners.staff_ids(resource.partner_id)
    if resource.volunteer_id is not None:
        return [resource.volunteer_id]
    return []


def _points(quantity: int, resource: Resource) -> str:
    return f"{quantity}{resource.unit_label}"


@transactional
def request(
    actor_id: int,
    need_id: int,
    resource_id: int | None,
    quantity: int | None,
    note: str = "",
    *,
    key: str,
    now: datetime,
) -> ResourceRequest:
    """Ask the provider side of a resource for ``quantity`` of it for a need. Idempotent
    by ``key``: a double submit asks once."""
    if not key:
        raise ServiceError(_("This form is out of date. Check it and send it again."))
    existing = db.session.scalar(select(ResourceRequest).where(ResourceRequest.key == key))
    if existing is not None:
        if existing.requested_by_id == actor_id and existing.resource_id == resource_id:
            return existing
        raise ServiceError(_("This request was already used for something else."))
    need = get_or_raise(Need, need_id, _l("No such need."))
    if need.status is not NeedStatus.open:
        raise ServiceError(_("Resources can be requested for open needs only."))
    resource = db.session.get(Resource, resource_id) if resource_id else None
    if resource is None:
        raise ServiceError(_("Choose a resource."), field="resource_id")
    if resource.status is ResourceStatus.withdrawn:
        raise ServiceError(
            _("This resource has been withdrawn; nothing more can be committed."),
            field="resource_id",
        )
    if not resources.serves(resource, need.community):
        raise ServiceError(
            _("This resource does not serve the need's community."), field="resource_id"
        )
    if resource.partner_id is None and resource.volunteer_id is None:
        raise RecordedOnBehalf(
            _("Nobody answers for this resource online: commit it directly."),
            resource.id,
            need.id,
        )
    if quantity is None or not 1 <= quantity <= Resource.MAX_QUANTITY:
        raise ServiceError(
            _("Between %(low)d and %(high)d.", low=1, high=Resource.MAX_QUANTITY),
            field="quantity",
        )
    if quantity > resource.remaining:
        raise ServiceError(
            _("Only %(n)d %(unit)s are left.", n=resource.remaining, unit=resource.unit_label),
            field="quantity",
        )
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_NOTE), field="note")
    item = ResourceRequest(
        resource_id=resource.id,
        need_id=need.id,
        quantity=quantity,
        note=note,
        key=key,
        requested_by_id=actor_id,
        created_at=now,
    )
    db.session.add(item)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same key on two connections: look it up again
        raise RetryTransaction() from error
    for user_id in provider_user_ids(resource):
        notify(
            user_id,
            NotificationKind.resource_requested,
            RefType.resource_request,
            item.id,
            community=need.community.name,
            points=_points(quantity, resource),
            title=resource.title,
            what=need.title,
        )
    audit.record(
        actor_id,
        "resource_request.sent",
        RefType.resource_request,
        item.id,
        resource_id=resource.id,
        need_id=need.id,
        quantity=quantity,
    )
    return item


def _open(request_id: int) -> ResourceRequest:
    item = get_or_raise(ResourceRequest, request_id, _l("No such request."))
    if item.status is not ResourceRequestStatus.pending:
        raise ServiceError(
            _("This request is no longer open: %(status)s.", status=item.status.label)
        )
    return item


def _tell_requester(item: ResourceRequest, kind: NotificationKind) -> None:
    if item.requested_by_id is None:
        return
    notify(
        item.requested_by_id,
        kind,
        RefType.resource_request,
        item.id,
        partner=item.resource.provider,
        title=item.resource.title,
        what=item.need.title,
        reason=item.reason or "",
    )


@transactional
def accept(actor_id: int, request_id: int, *, now: datetime) -> ResourceRequest:
    """Accept: commit the quantity to the need (never more than is left: the commit's
    conditional UPDATE); accepting twice commits once."""
    item = get_or_raise(ResourceRequest, request_id, _l("No such request."))
    if item.status is ResourceRequestStatus.accepted:
        return item
    item = _open(request_id)
    commitment = resources.commit(
        actor_id,
        item.resource_id,
        item.quantity,
        need_id=item.need_id,
        key=f"request:{item.id}",
        now=now,
    )
    item.status = ResourceRequestStatus.accepted
    item.commitment_id = commitment.id
    item.decided_by_id = actor_id
    item.decided_at = now
    _tell_requester(item, NotificationKind.resource_request_accepted)
    audit.record(
        actor_id,
        "resource_request.accepted",
        RefType.resource_request,
        item.id,
        commitment_id=commitment.id,
    )
    return item


@transactional
def decline(
    actor_id: int, request_id: int, reason: str | None, *, now: datetime
) -> ResourceRequest:
    """Decline, with a reason the requester is told."""
    reason = required_text(reason, "reason", MAX_REASON, _l("Give a reason."))
    item = _open(request_id)
    item.status = ResourceRequestStatus.declined
    item.reason = reason
    item.decided_by_id = actor_id
    item.decided_at = now
    _tell_requester(item, NotificationKind.resource_request_declined)
    audit.record(actor_id, "resource_request.declined", RefType.resource_request, item.id)
    return item


@transactional
def withdraw(actor_id: int, request_id: int, *, now: datetime) -> ResourceRequest:
    """The requesting side takes back a pending request."""
    item = _open(request_id)
    item.status = ResourceRequestStatus.withdrawn
    item.decided_at = now
    audit.record(actor_id, "resource_request.withdrawn", RefType.resource_request, item.id)
    return item


# --- Reading ---------------------------------------------------------------------------


def queue(user: User) -> list[ResourceRequest]:
    """The requests for the resources ``user`` answers for, the waiting ones first."""
    waiting_first = ResourceRequest.status != ResourceRequestStatus.pending
    return list(
        db.session.scalars(
            select(ResourceRequest)
            .join(ResourceRequest.resource)
            .options(joinedload(ResourceRequest.resource), joinedload(ResourceRequest.need))
            .where(provider_scope(user))
            .order_by(waiting_first, ResourceRequest.created_at.desc(), ResourceRequest.id.desc())
            .limit(200)
        )
    )


def waiting_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ResourceRequest)
            .join(ResourceRequest.resource)
            .where(provider_scope(user), ResourceRequest.status == ResourceRequestStatus.pending)
        )
        or 0
    )


def for_need(need_id: int) -> list[ResourceRequest]:
    """A need's requests, newest first."""
    return list(
        db.session.scalars(
            select(ResourceRequest)
            .options(joinedload(ResourceRequest.resource))
            .where(ResourceRequest.need_id == need_id)
            .order_by(ResourceRequest.created_at.desc(), ResourceRequest.id.desc())
        )
    )
