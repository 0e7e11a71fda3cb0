"""Resident requests (居民诉求) and ratings (评价)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, select
from sqlalchemy.exc import IntegrityError

from govhub.accounts.models import User
from govhub.audit import services as audit
from govhub.database import (
    NotFound,
    ServiceError,
    get_or_raise,
    required_text,
    transactional,
)
from govhub.extensions import db
from govhub.needs.models import (
    Claim,
    ClaimStatus,
    Need,
    NeedStatus,
    Rating,
    RequestStatus,
    ResidentRequest,
    Shift,
    Urgency,
)
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page
from govhub.references import RefType

MAX_WHAT = 80
MAX_DETAILS = 2000
MAX_REASON = 500


@transactional
def submit(
    requester_id: int,
    *,
    what: str | None,
    details: str | None,
    when_text: str | None,
    place: str | None,
    urgency: Urgency,
    community_id: int | None = None,
    resident_name: str | None = None,
    resident_building: str | None = None,
    now: datetime,
) -> ResidentRequest:
    """A resident asks their community for help; or (with ``resident_name``) a community
    worker records a request for a resident without a phone.

    The same request sent again while the first waits (within ``REQUEST_DUPLICATE_MINUTES``)
    is refused: a double tap or a script must not fill the review queue."""
    requester = db.session.get_one(User, requester_id)
    on_behalf = resident_name is not None
    what, place = (what or "").strip(), (place or "").strip()
    if not what:
        raise ServiceError(_("Say briefly what help is needed."), field="what")
    if len(what) > MAX_WHAT:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_WHAT), field="what")
    if len(details or "") > MAX_DETAILS:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_DETAILS), field="details")
    if not place:
        raise ServiceError(_("Enter the place."), field="place")
    if on_behalf:
        resident_name = (resident_name or "").strip()
        if not resident_name:
            raise ServiceError(_("Enter the resident's name."), field="resident_name")
        if not (resident_building or "").strip():
            raise ServiceError(
                _("Enter the resident's building and room."), field="resident_building"
            )
        community = db.session.get(OrgUnit, community_id) if community_id else None
    else:
        community = requester.profile.community if requester.profile else None
    if community is None or community.level is not OrgLevel.community:
        raise ServiceError(_("Set your home community in your profile first."))
    _refuse_duplicate(requester_id, what, place, resident_name, now=now)
    request = ResidentRequest(
        community_id=community.id,
        requester_id=requester_id,
        on_behalf=on_behalf,
        resident_name=resident_name,
        resident_building=(resident_building or "").strip() or None,
        what=what,
        details=(details or "").strip(),
        when_text=(when_text or "").strip()[:100],
        place=place,
        urgency=urgency,
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        requester_id, "request.submitted", RefType.resident_request, request.id, on_behalf=on_behalf
    )
    return request


def _refuse_duplicate(
    requester_id: int, what: str, place: str, resident_name: str | None, *, now: datetime
) -> None:
    minutes = current_app.config["REQUEST_DUPLICATE_MINUTES"]
    same = select(ResidentRequest.id).where(
        ResidentRequest.requester_id == requester_id,
        ResidentRequest.status == RequestStatus.submitted,
        ResidentRequest.created_at >= now - timedelta(minutes=minutes),
        func.lower(ResidentRequest.what) == what.lower(),
        func.lower(ResidentRequest.place) == place.lower(),
    )
    if resident_name is not None:
        same = same.where(ResidentRequest.resident_name == resident_name)
    if db.session.scalar(same.limit(1)) is not None:
        raise ServiceError(
            _(
                "The same request was sent less than %(n)d minutes ago and is waiting for "
                "the community; there is no need to send it again.",
                n=minutes,
            ),
            field="what",
        )


def accept(actor_id: int | None, request_id: int, need: Need, *, now: datetime) -> None:
    """Mark a request accepted with the need made from it (inside ``save_need``)."""
    request = get_or_raise(ResidentRequest, request_id, _l("No such request."))
    if request.status is not RequestStatus.submitted:
        raise ServiceError(_("This request has already been decided."))
    if request.community_id != need.community_id:
        raise ServiceError(_("The need must be posted in the request's community."))
    request.status = RequestStatus.accepted
    request.need_id = need.id
    request.decided_by_id, request.decided_at = actor_id, now
    notify(
        request.requester_id,
        NotificationKind.request_accepted,
        RefType.resident_request,
        request.id,
        what=request.what,
    )


@transactional
def decline(actor_id: int, request_id: int, reason: str, *, now: datetime) -> ResidentRequest:
    request = get_or_raise(ResidentRequest, request_id, _l("No such request."))
    if request.status is not RequestStatus.submitted:
        raise ServiceError(_("This request has already been decided."))
    reason = required_text(
        reason, "reason", MAX_REASON, _l("Give a reason; the resident will see it.")
    )
    request.status = RequestStatus.declined
    request.decline_reason = reason
    request.decided_by_id, request.decided_at = actor_id, now
    notify(
        request.requester_id,
        NotificationKind.request_declined,
        RefType.resident_request,
        request.id,
        what=request.what,
        reason=reason,
    )
    audit.record(actor_id, "request.declined", RefType.resident_request, request.id, reason=reason)
    return request


# 0 for the most urgent: the review queue's first sort key.
_URGENCY_RANK = {u: i for i, u in enumerate(reversed(list(Urgency)))}


def _urgency_rank():
    return case(_URGENCY_RANK, value=ResidentRequest.urgency, else_=len(Urgency))


def review_queue(
    scope_clause, cursor: Cursor | None = None, *, limit: int = PAGE_SIZE
) -> KeysetPage[ResidentRequest]:
    """A page of the requests waiting in the admin's scope (``permissions.community_admin_scope``),
    most urgent first, then oldest first. The cursor is (urgency rank, id)."""
    query = (
        select(ResidentRequest)
        .join(OrgUnit, ResidentRequest.community_id == OrgUnit.id)
        .where(scope_clause, ResidentRequest.status == RequestStatus.submitted)
    )
    return keyset_page(
        query,
        [_urgency_rank(), ResidentRequest.id],
        cursor,
        descending=False,
        limit=limit,
        key_of=lambda r: (_URGENCY_RANK[r.urgency], r.id),
    )


def pending_count(scope_clause) -> int:
    query = (
        select(func.count())
        .select_from(ResidentRequest)
        .join(OrgUnit, ResidentRequest.community_id == OrgUnit.id)
        .where(scope_clause, ResidentRequest.status == RequestStatus.submitted)
    )
    return db.session.scalar(query) or 0


def mine(user_id: int) -> list[ResidentRequest]:
    query = (
        select(ResidentRequest)
        .where(ResidentRequest.requester_id == user_id)
        .order_by(ResidentRequest.created_at.desc())
    )
    return list(db.session.scalars(query))


# --- Ratings -------------------------------------------------------------------------


def rating_role(user: User, need: Need, *, now: datetime) -> str | None:
    """How ``user`` may rate ``need``: "resident" (it came from their request), "volunteer"
    (they held a place in a shift that has ended), or None."""
    if need.status is not NeedStatus.completed:
        return None
    request = need.request
    if request is not None and request.requester_id == user.id and not request.on_behalf:
        return "resident"
    attended = db.session.scalar(
        select(
            exists().where(
                Claim.volunteer_id == user.id,
                Claim.status == ClaimStatus.confirmed,
                Claim.shift_id == Shift.id,
                Shift.need_id == need.id,
                Shift.ends_at <= now,
            )
        )
    )
    return "volunteer" if attended else None


def existing_rating(user_id: int, need_id: int) -> Rating | None:
    return db.session.scalar(
        select(Rating).where(Rating.user_id == user_id, Rating.need_id == need_id)
    )


@transactional
def rate(user_id: int, need_id: int, stars: int, comment: str, *, now: datetime) -> Rating:
    need = db.session.get(Need, need_id)
    user = db.session.get_one(User, user_id)
    if need is None:
        raise NotFound(_("No such need."))
    role = rating_role(user, need, now=now)
    if role is None:
        raise ServiceError(
            _("Only the resident who asked and the volunteers who served can rate this.")
        )
    if stars not in range(1, 6):
        raise ServiceError(_("Choose 1 to 5 stars."), field="stars")
    comment = (comment or "").strip()
    if len(comment) > MAX_REASON:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_REASON), field="comment")
    if existing_rating(user_id, need_id) is not None:
        raise ServiceError(_("You have already rated this."))
    rating = Rating(need_id=need_id, user_id=user_id, role=role, stars=stars, comment=comment)
    db.session.add(rating)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise ServiceError(_("You have already rated this.")) from error
    return rating


def ratings_for(need_id: int) -> list[Rating]:
    return list(
        db.session.scalars(select(Rating).where(Rating.need_id == need_id).order_by(Rating.id))
    )
