"""Posting needs and their shifts, recurring shifts, and a need's lifecycle (draft →
open → closed → completed, or cancelled).

Every function that changes something is one transaction (``@transactional``) and takes
the clock as ``now`` (naive UTC) so tests and jobs control time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from govhub.accounts.models import Skill
from govhub.accounts.validation import normalize_phone, phone_error
from govhub.audit import services as audit
from govhub.clock import local_text, to_utc
from govhub.database import ServiceError, get_or_raise, required_text, transactional
from govhub.extensions import db
from govhub.needs import unit_holds
from govhub.needs.claims import MAX_REASON, promote_waitlist
from govhub.needs.models import (
    ACTIVE_CLAIM,
    Category,
    Claim,
    ClaimStatus,
    Need,
    NeedStatus,
    PointsMode,
    Shift,
    Visibility,
)
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.orgs.settings import default_points_per_hour
from govhub.references import RefType

MAX_TITLE = 80


MAX_DESCRIPTION = 2000


MAX_PLACE = 200


MAX_SHIFTS = 200


# Allowed lifecycle moves; anything else is refused.
TRANSITIONS = {
    NeedStatus.draft: {NeedStatus.open, NeedStatus.cancelled},
    NeedStatus.open: {NeedStatus.closed, NeedStatus.completed, NeedStatus.cancelled},
    NeedStatus.closed: {NeedStatus.open, NeedStatus.completed, NeedStatus.cancelled},
    NeedStatus.completed: set(),
    NeedStatus.cancelled: set(),
}


EDITABLE = {NeedStatus.draft, NeedStatus.open, NeedStatus.closed}


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.id)))


@dataclass
class ShiftInput:
    """A shift as entered: ``id`` of an existing shift, or None for a new one (times in UTC)."""

    starts_at: datetime | None
    ends_at: datetime | None
    capacity: int | None
    walk_ins: bool = False
    id: int | None = None
    # The form field the shift came from, so errors land beside it ("shifts-2").
    field: str | None = None


@dataclass
class NeedInput:
    title: str
    description: str
    category_id: int | None
    place: str
    contact_name: str
    contact_phone: str
    skill_ids: list[int] = field(default_factory=list)
    points_mode: PointsMode = PointsMode.per_hour
    points_per_hour: int | None = None  # None: the community's default for the category
    fixed_points: int | None = None
    max_minutes_per_shift: int | None = None
    visibility: Visibility = Visibility.community
    party_task: bool = False  # 党员先锋岗: matching ranks party members higher
    grid_id: int | None = None  # the community's grid where it happens; None: all of it


def _grid_of(community: OrgUnit, grid_id: int | None) -> int | None:
    """``grid_id`` when it is a grid of ``community``, else a refusal at its field."""
    if grid_id is None:
        return None
    grid = db.session.get(OrgUnit, grid_id)
    if grid is None or grid.parent_id != community.id or grid.level is not OrgLevel.grid:
        raise ServiceError(_("Choose a grid of the need's community."), field="grid_id")
    return grid.id


def shift_error(
    starts_at, ends_at, capacity, now: datetime, *, new: bool = True
) -> tuple[str, str] | None:
    """The first problem with a shift as ``(field, message)``, or None.

    Shared by the inline validation and the save, so both say the same thing.
    """
    if starts_at is None:
        return "starts_at", _("Enter the start.")
    if ends_at is None:
        return "ends_at", _("Enter the end.")
    if new and starts_at <= now:
        return "starts_at", _("The start must be in the future.")
    if ends_at <= starts_at:
        return "ends_at", _("The end must be after the start.")
    if ends_at - starts_at > timedelta(hours=24):
        return "ends_at", _("A shift lasts at most 24 hours.")
    if capacity is None or not 1 <= capacity <= Shift.MAX_CAPACITY:
        return "capacity", _("Between %(low)d and %(high)d.", low=1, high=Shift.MAX_CAPACITY)
    return None


def _check_need_input(data: NeedInput) -> None:
    def require(value: str, name: str, limit: int, message: str) -> None:
        if not value:
            raise ServiceError(message, field=name)
        if len(value) > limit:
            raise ServiceError(_("At most %(n)d characters.", n=limit), field=name)

    require(data.title, "title", MAX_TITLE, _("Enter a title."))
    if len(data.description) > MAX_DESCRIPTION:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_DESCRIPTION), field="description")
    if data.category_id is None or db.session.get(Category, data.category_id) is None:
        raise ServiceError(_("Choose a category."), field="category_id")
    require(data.place, "place", MAX_PLACE, _("Enter the place."))
    require(data.contact_name, "contact_name", 40, _("Enter a contact person."))
    if error := phone_error(data.contact_phone):
        raise ServiceError(error, field="contact_phone")
    if data.points_mode is PointsMode.fixed:
        if data.fixed_points is None or not 0 <= data.fixed_points <= 100_000:
            raise ServiceError(
                _("Between %(low)d and %(high)d.", low=0, high=100_000), field="fixed_points"
            )
    elif data.points_per_hour is not None and not 0 <= data.points_per_hour <= 1000:
        raise ServiceError(
            _("Between %(low)d and %(high)d.", low=0, high=1000), field="points_per_hour"
        )
    if data.max_minutes_per_shift is not None and data.max_minutes_per_shift <= 0:
        raise ServiceError(_("Enter a positive number of hours."), field="max_hours")


def _clean(data: NeedInput) -> NeedInput:
    data.title = (data.title or "").strip()
    data.description = (data.description or "").strip()
    data.place = (data.place or "").strip()
    data.contact_name = (data.contact_name or "").strip()
    data.contact_phone = normalize_phone(data.contact_phone)
    return data


def _active_claims(shift_ids: list[int]) -> list[Claim]:
    if not shift_ids:
        return []
    query = select(Claim).where(Claim.shift_id.in_(shift_ids), Claim.status.in_(ACTIVE_CLAIM))
    return list(db.session.scalars(query))


@transactional
def save_need(
    actor_id: int | None,
    community_id: int,
    data: NeedInput,
    shifts: list[ShiftInput],
    *,
    now: datetime,
    need_id: int | None = None,
    request_id: int | None = None,
) -> Need:
    """Create a need (a draft) or update one, with all its shifts, in one go.

    Existing shifts keep their claims; a shift removed from the list must have no active
    claims. Claimants are notified when the place or their shift's time changes.
    ``request_id`` marks a resident request as accepted and linked to this need.
    """
    data = _clean(data)
    _check_need_input(data)
    community = db.session.get(OrgUnit, community_id)
    if community is None or community.level is not OrgLevel.community:
        raise ServiceError(_("Choose a community."))

    need = get_or_raise(Need, need_id, _l("No such need.")) if need_id else None
    if need is not None and need.status not in EDITABLE:
        raise ServiceError(
            _("A %(status)s need can no longer be changed.", status=need.status.label)
        )
    if not shifts:
        raise ServiceError(_("Add at least one shift."), field="shifts")
    if too_many := shift_limit_error(len(shifts)):
        raise ServiceError(too_many, field="shifts")

    existing = {s.id: s for s in need.shifts} if need else {}
    for entry in shifts:
        old = existing.get(entry.id) if entry.id else None
        if entry.id and old is None:
            raise ServiceError(
                _("This shift no longer exists; reload the page."), field=entry.field
            )
        unchanged_time = old is not None and (old.starts_at, old.ends_at) == (
            entry.starts_at,
            entry.ends_at,
        )
        problem = shift_error(
            entry.starts_at, entry.ends_at, entry.capacity, now, new=not unchanged_time
        )
        if problem:
            raise ServiceError(
                problem[1], field=f"{entry.field}-{problem[0]}" if entry.field else problem[0]
            )
        assert entry.capacity is not None  # shift_error refused a missing one
        if old is not None and entry.capacity < old.claimed:
            raise ServiceError(
                _(
                    "%(n)d people have claimed this shift; the capacity cannot be lower.",
                    n=old.claimed,
                ),
                field=f"{entry.field}-capacity" if entry.field else "capacity",
            )

    skills = list(db.session.scalars(select(Skill).where(Skill.id.in_(data.skill_ids or []))))
    if len(skills) != len(set(data.skill_ids or [])):
        raise ServiceError(_("Choose skills from the list."), field="skill_ids")

    creating = need is None
    if creating:
        need = Need(community_id=community.id, created_by_id=actor_id, status=NeedStatus.draft)
        db.session.add(need)
    assert need is not None
    assert data.category_id is not None  # _check_need_input refused a missing one
    place_changed = not creating and need.place != data.place

    need.title = data.title
    need.description = data.description
    need.category_id = data.category_id
    need.place = data.place
    need.contact_name = data.contact_name
    need.contact_phone = data.contact_phone
    need.skills = skills
    need.points_mode = data.points_mode
    need.points_per_hour = (
        data.points_per_hour
        if data.points_per_hour is not None
        else default_points_per_hour(community.id, data.category_id)
    )
    need.fixed_points = data.fixed_points if data.points_mode is PointsMode.fixed else None
    need.max_minutes_per_shift = data.max_minutes_per_shift
    need.visibility = data.visibility
    need.party_task = bool(data.party_task)
    need.grid_id = _grid_of(community, data.grid_id)
    db.session.flush()

    kept = {entry.id for entry in shifts if entry.id}
    removed = [s for s in existing.values() if s.id not in kept]
    if busy := _active_claims([s.id for s in removed]):
        shift = db.session.get_one(Shift, busy[0].shift_id)
        raise ServiceError(
            _(
                "The shift of %(when)s has claimants. Remove them first (they will be told), "
                "or cancel the whole need.",
                when=local_text(shift.starts_at),
            ),
            field="shifts",
        )
    # 一键认领: a unit's held places are not the admin's to drop with a shift.
    if unit_holds.held_places([s.id for s in removed]):
        raise ServiceError(
            _(
                "A unit holds places in a shift you removed. It can release them, "
                "or you can cancel the whole need."
            ),
            field="shifts",
        )
    for shift in removed:
        need.shifts.remove(shift)

    moved_shift_ids: list[int] = []
    grown: list[Shift] = []
    for entry in shifts:
        # shift_error refused missing times and capacities above.
        assert entry.starts_at and entry.ends_at and entry.capacity is not None
        if entry.id:
            shift = existing[entry.id]
            if (shift.starts_at, shift.ends_at) != (entry.starts_at, entry.ends_at):
                moved_shift_ids.append(shift.id)
            if entry.capacity > shift.capacity:
                grown.append(shift)
        else:
            shift = Shift(need=need, claimed=0)
            db.session.add(shift)
        shift.starts_at, shift.ends_at = entry.starts_at, entry.ends_at
        shift.capacity, shift.walk_ins = entry.capacity, entry.walk_ins
    db.session.flush()

    if not creating and (place_changed or moved_shift_ids):
        affected = list(existing) if place_changed else moved_shift_ids
        for claim in _active_claims(affected):
            notify(
                claim.volunteer_id,
                NotificationKind.need_changed,
                RefType.need,
                need.id,
                title=need.title,
            )
    for shift in grown:
        promote_waitlist(shift, now)

    if request_id is not None:
        from govhub.needs import resident_requests

        resident_requests.accept(actor_id, request_id, need, now=now)
    audit.record(
        actor_id,
        "need.created" if creating else "need.updated",
        RefType.need,
        need.id,
        title=need.title,
        shifts=len(shifts),
    )
    return need


def _transition(need: Need, target: NeedStatus) -> None:
    if target not in TRANSITIONS[need.status]:
        raise ServiceError(
            _(
                "A %(status)s need cannot be changed to %(target)s.",
                status=need.status.label,
                target=target.label,
            )
        )
    need.status = target


@transactional
def publish(actor_id: int | None, need_id: int, *, now: datetime) -> Need:
    """Put a draft (or a closed need) on the board."""
    need = get_or_raise(Need, need_id, _l("No such need."))
    if not any(shift.starts_at > now for shift in need.shifts):
        raise ServiceError(_("Add a shift in the future before publishing."))
    _transition(need, NeedStatus.open)
    # Places freed while the need was closed go to the waiting list first.
    for shift in need.shifts:
        promote_waitlist(shift, now)
    audit.record(actor_id, "need.published", RefType.need, need.id)
    return need


@transactional
def close(actor_id: int, need_id: int) -> Need:
    """Stop new claims; existing claims stand."""
    need = get_or_raise(Need, need_id, _l("No such need."))
    _transition(need, NeedStatus.closed)
    audit.record(actor_id, "need.closed", RefType.need, need.id)
    return need


@transactional
def close_ended_needs(*, now: datetime) -> int:
    """Close open needs whose every shift has ended: no more claims (the scheduler's
    end-of-shift job, through the same lifecycle transition as :func:`close`)."""
    ended = db.session.scalars(
        select(Need).where(
            Need.status == NeedStatus.open,
            ~select(Shift.id).where(Shift.need_id == Need.id, Shift.ends_at > now).exists(),
        )
    ).all()
    for need in ended:
        _transition(need, NeedStatus.closed)
    return len(ended)


@transactional
def complete(actor_id: int, need_id: int, *, now: datetime) -> Need:
    need = get_or_raise(Need, need_id, _l("No such need."))
    if need.shifts and min(s.starts_at for s in need.shifts) > now:
        raise ServiceError(_("A need can be completed once its first shift has started."))
    _transition(need, NeedStatus.completed)
    audit.record(actor_id, "need.completed", RefType.need, need.id, at=now)
    return need


@transactional
def cancel(actor_id: int, need_id: int, reason: str) -> Need:
    """Cancel a need: every claim ends and every claimant is told why."""
    need = get_or_raise(Need, need_id, _l("No such need."))
    reason = required_text(
        reason, "reason", MAX_REASON, _l("Give a reason; the claimants will see it.")
    )
    _transition(need, NeedStatus.cancelled)
    need.cancel_reason = reason
    for claim in _active_claims([s.id for s in need.shifts]):
        claim.status = ClaimStatus.cancelled
        claim.reason = reason
        notify(
            claim.volunteer_id,
            NotificationKind.need_cancelled,
            RefType.need,
            need.id,
            title=need.title,
            reason=reason,
        )
    for shift in need.shifts:
        shift.claimed = 0
    # The units' held places (一键认领) end with the need.
    unit_holds.end_with_need([s.id for s in need.shifts])
    # Whoever had checked in earns nothing: their attendance is settled now, not
    # auto-confirmed later. (checkin imports this module: import here.)
    from govhub.checkin import services as checkin
    from govhub.checkin.models import VoidReason

    checkin.void_attendance([s.id for s in need.shifts], VoidReason.need_cancelled, note=reason)
    audit.record(actor_id, "need.cancelled", RefType.need, need.id, reason=reason)
    return need


def recurring_slots(
    weekdays: set[int], start: time, end: time, first_day: date, weeks: int
) -> list[tuple[datetime, datetime]]:
    """Local (start, end) pairs on ``weekdays`` (0 = Monday) for ``weeks`` weeks from
    ``first_day``. Plain calendar arithmetic: China has no daylight saving time, and
    month and year ends need no special care with ``date + timedelta``."""
    if end <= start:
        raise ServiceError(_("The end must be after the start."), field="end_time")
    if not weekdays:
        raise ServiceError(_("Choose at least one weekday."), field="weekdays")
    if not 1 <= weeks <= 52:
        raise ServiceError(_("Between %(low)d and %(high)d.", low=1, high=52), field="weeks")
    slots = []
    for offset in range(weeks * 7):
        day = first_day + timedelta(days=offset)
        if day.weekday() in weekdays:
            slots.append((datetime.combine(day, start), datetime.combine(day, end)))
    return slots


def shift_limit_error(count: int) -> str | None:
    """Why a need cannot have ``count`` shifts, or None."""
    if count > MAX_SHIFTS:
        return _("At most %(n)d shifts.", n=MAX_SHIFTS)
    return None


def recurring_shifts(
    weekdays, start, end, first_day, weeks, capacity, *, now: datetime, existing: int = 0
) -> list[ShiftInput]:
    """The shifts of a recurring pattern, in UTC, checked like any other shift; refused
    at ``weeks`` when they and the need's ``existing`` shifts would pass the limit."""
    slots = recurring_slots(weekdays, start, end, first_day, weeks)
    if shift_limit_error(existing + len(slots)):
        message = _(
            "At most %(n)d shifts: this pattern makes %(adding)d and the need has %(existing)d.",
            n=MAX_SHIFTS,
            adding=len(slots),
            existing=existing,
        )
        raise ServiceError(message, field="weeks")
    result = []
    for local_start, local_end in slots:
        entry = ShiftInput(to_utc(local_start), to_utc(local_end), capacity)
        if problem := shift_error(entry.starts_at, entry.ends_at, entry.capacity, now):
            name = {"starts_at": "first_day", "ends_at": "end_time"}.get(problem[0], problem[0])
            raise ServiceError(problem[1], field=name)
        result.append(entry)
    return result
