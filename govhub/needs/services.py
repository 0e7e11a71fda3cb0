"""The needs list: posting needs and shifts, their lifecycle, claiming, the waiting list.

Every function that changes something is one transaction (``@transactional``) and takes
the clock as ``now`` (naive UTC) so tests and jobs control time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from govhub.accounts.models import Skill, User
from govhub.accounts.validation import normalize_phone, phone_error
from govhub.audit import services as audit
from govhub.clock import local_text, to_utc
from govhub.database import NotFound, ServiceError, transactional
from govhub.extensions import db
from govhub.needs.models import (
    ACTIVE_CLAIM,
    Category,
    CategoryRate,
    Claim,
    ClaimStatus,
    Need,
    NeedStatus,
    PointsMode,
    Shift,
    Visibility,
    need_skill,
)
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.orgs.models import CommunitySettings, OrgLevel, OrgUnit
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page

MAX_TITLE = 80
MAX_DESCRIPTION = 2000
MAX_PLACE = 200
MAX_REASON = 500
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


class ClaimRefused(ServiceError):
    """A claim the rules do not allow. ``can_waitlist``: the shift is full, the list is open."""

    def __init__(self, message: str, *, can_waitlist: bool = False) -> None:
        super().__init__(message)
        self.can_waitlist = can_waitlist


# --- Lookups -------------------------------------------------------------------------


def get_need(need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if need is None:
        raise NotFound(_("No such need."))
    return need


def get_shift(shift_id: int) -> Shift:
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(_("No such shift."))
    return shift


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.id)))


def community_settings(community_id: int) -> CommunitySettings:
    """The community's settings row, or an unsaved one with the defaults."""
    return db.session.get(CommunitySettings, community_id) or CommunitySettings(
        community_id=community_id,
        points_per_hour=CommunitySettings.DEFAULT_POINTS_PER_HOUR,
        cancel_cutoff_minutes=CommunitySettings.DEFAULT_CANCEL_CUTOFF_MINUTES,
        checkin_opens_minutes=CommunitySettings.DEFAULT_CHECKIN_OPENS_MINUTES,
        rounding_minutes=CommunitySettings.DEFAULT_ROUNDING_MINUTES,
        auto_confirm_days=CommunitySettings.DEFAULT_AUTO_CONFIRM_DAYS,
        manual_hours_earn=True,
    )


def category_percents(community_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(CategoryRate.category_id, CategoryRate.percent).where(
            CategoryRate.community_id == community_id
        )
    )
    return dict(rows.all())


def default_points_per_hour(community_id: int, category_id: int | None) -> int:
    """The community's points per hour (10 if unset) times the category's coefficient."""
    base = community_settings(community_id).points_per_hour
    percent = category_percents(community_id).get(category_id, 100) if category_id else 100
    return base * percent // 100


# Each setting a community may change: its range, and the field its refusal is shown at.
SETTING_RANGES = {
    "points_per_hour": (0, 1000),
    "cancel_cutoff_minutes": (0, 7 * 24 * 60),
    "checkin_opens_minutes": (0, 24 * 60),
    "rounding_minutes": (1, 60),
    "auto_confirm_days": (1, 30),
}
SETTING_NAMES = (*SETTING_RANGES, "manual_hours_earn")


def _settings_values(settings: CommunitySettings) -> dict:
    return {name: getattr(settings, name) for name in SETTING_NAMES}


@transactional
def save_settings(
    actor_id: int,
    community_id: int,
    *,
    points_per_hour: int,
    cancel_cutoff_minutes: int,
    percents: dict[int, int],
    checkin_opens_minutes: int | None = None,
    rounding_minutes: int | None = None,
    auto_confirm_days: int | None = None,
    manual_hours_earn: bool | None = None,
) -> CommunitySettings:
    """Save a community's settings (None keeps a setting as it is), audited old → new."""
    given = {
        "points_per_hour": points_per_hour,
        "cancel_cutoff_minutes": cancel_cutoff_minutes,
        "checkin_opens_minutes": checkin_opens_minutes,
        "rounding_minutes": rounding_minutes,
        "auto_confirm_days": auto_confirm_days,
        "manual_hours_earn": manual_hours_earn,
    }
    for name, (low, high) in SETTING_RANGES.items():
        value = given[name]
        if value is not None and not low <= value <= high:
            raise ServiceError(_("Between %(low)d and %(high)d.", low=low, high=high), field=name)
    before = _settings_values(community_settings(community_id))
    old_percents = category_percents(community_id)
    settings = db.session.get(CommunitySettings, community_id)
    if settings is None:
        settings = CommunitySettings(community_id=community_id, **before)
        db.session.add(settings)
    for name, value in given.items():
        if value is not None:
            setattr(settings, name, value)
    known = {c.id for c in categories()}
    for category_id, percent in percents.items():
        if category_id not in known:
            continue
        if not 10 <= percent <= 1000:
            raise ServiceError(
                _("Between %(low)d and %(high)d.", low=10, high=1000), field=f"rate_{category_id}"
            )
        rate = db.session.get(CategoryRate, (community_id, category_id))
        if rate is None:
            db.session.add(
                CategoryRate(community_id=community_id, category_id=category_id, percent=percent)
            )
        else:
            rate.percent = percent
    after = _settings_values(settings)
    for category_id, percent in percents.items():
        if category_id in known:
            before[f"rate_{category_id}"] = old_percents.get(category_id, 100)
            after[f"rate_{category_id}"] = percent
    changed = [name for name in after if before[name] != after[name]]
    audit.record(
        actor_id,
        "community.settings_saved",
        "org_unit",
        community_id,
        points_per_hour=settings.points_per_hour,
        cancel_cutoff_minutes=settings.cancel_cutoff_minutes,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return settings


# --- Posting and editing needs -------------------------------------------------------


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

    need = get_need(need_id) if need_id else None
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
                claim.volunteer_id, NotificationKind.need_changed, "need", need.id, title=need.title
            )
    for shift in grown:
        _promote_waitlist(shift, now)

    if request_id is not None:
        from govhub.needs import requests

        requests.accept(actor_id, request_id, need)
    audit.record(
        actor_id,
        "need.created" if creating else "need.updated",
        "need",
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
    need = get_need(need_id)
    if not any(shift.starts_at > now for shift in need.shifts):
        raise ServiceError(_("Add a shift in the future before publishing."))
    _transition(need, NeedStatus.open)
    # Places freed while the need was closed go to the waiting list first.
    for shift in need.shifts:
        _promote_waitlist(shift, now)
    audit.record(actor_id, "need.published", "need", need.id)
    return need


@transactional
def close(actor_id: int, need_id: int) -> Need:
    """Stop new claims; existing claims stand."""
    need = get_need(need_id)
    _transition(need, NeedStatus.closed)
    audit.record(actor_id, "need.closed", "need", need.id)
    return need


@transactional
def complete(actor_id: int, need_id: int, *, now: datetime) -> Need:
    need = get_need(need_id)
    if need.shifts and min(s.starts_at for s in need.shifts) > now:
        raise ServiceError(_("A need can be completed once its first shift has started."))
    _transition(need, NeedStatus.completed)
    audit.record(actor_id, "need.completed", "need", need.id)
    return need


@transactional
def cancel(actor_id: int, need_id: int, reason: str) -> Need:
    """Cancel a need: every claim ends and every claimant is told why."""
    need = get_need(need_id)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give a reason; the claimants will see it."), field="reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_REASON), field="reason")
    _transition(need, NeedStatus.cancelled)
    need.cancel_reason = reason
    for claim in _active_claims([s.id for s in need.shifts]):
        claim.status = ClaimStatus.cancelled
        claim.reason = reason
        notify(
            claim.volunteer_id,
            NotificationKind.need_cancelled,
            "need",
            need.id,
            title=need.title,
            reason=reason,
        )
    for shift in need.shifts:
        shift.claimed = 0
    # Whoever had checked in earns nothing: their attendance is settled now, not
    # auto-confirmed later. (checkin imports this module: import here.)
    from govhub.checkin import services as checkin
    from govhub.checkin.models import VoidReason

    checkin.void_attendance([s.id for s in need.shifts], VoidReason.need_cancelled, note=reason)
    audit.record(actor_id, "need.cancelled", "need", need.id, reason=reason)
    return need


# --- Claiming ------------------------------------------------------------------------


def visible_clause(community: OrgUnit):
    """SQL: needs that a volunteer living in ``community`` may see (query joined to the
    need's community as ``OrgUnit``)."""
    return or_(
        Need.community_id == community.id,
        and_(Need.visibility == Visibility.street, OrgUnit.parent_id == community.parent_id),
    )


def can_see(volunteer: User, need: Need) -> bool:
    profile = volunteer.profile
    if profile is None:
        return False
    return need.community_id == profile.community_id or (
        need.visibility is Visibility.street
        and need.community.parent_id == profile.community.parent_id
    )


def _overlapping_claim(volunteer_id: int, shift: Shift) -> Claim | None:
    query = (
        select(Claim)
        .join(Claim.shift)
        .where(
            Claim.volunteer_id == volunteer_id,
            Claim.status == ClaimStatus.confirmed,
            Claim.shift_id != shift.id,
            Shift.starts_at < shift.ends_at,
            Shift.ends_at > shift.starts_at,
        )
        .limit(1)
    )
    return db.session.scalar(query)


def _take_place(shift_id: int) -> bool:
    """Take one place if one is left: a conditional UPDATE, safe under concurrency."""
    result = db.session.execute(
        update(Shift)
        .where(Shift.id == shift_id, Shift.claimed < Shift.capacity)
        .values(claimed=Shift.claimed + 1)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _free_place(shift_id: int) -> None:
    db.session.execute(
        update(Shift)
        .where(Shift.id == shift_id, Shift.claimed > 0)
        .values(claimed=Shift.claimed - 1)
        .execution_options(synchronize_session=False)
    )


def waitlist_position(claim: Claim) -> int:
    ahead = db.session.scalar(
        select(func.count()).where(
            Claim.shift_id == claim.shift_id,
            Claim.status == ClaimStatus.waitlisted,
            or_(
                Claim.queued_at < claim.queued_at,
                and_(Claim.queued_at == claim.queued_at, Claim.id < claim.id),
            ),
        )
    )
    return (ahead or 0) + 1


@transactional
def claim_shift(
    volunteer_id: int,
    shift_id: int,
    *,
    now: datetime,
    waitlist: bool = False,
    walk_in: bool = False,
) -> Claim:
    """Claim a place in a shift, or (``waitlist=True``) join its waiting list when full.

    ``walk_in``: claimed at the door while checking in, which shifts that welcome
    walk-ins allow until they end."""
    # Serialize this volunteer's claims (PostgreSQL), so two overlapping shifts claimed
    # at the same moment cannot both pass the overlap check. SQLite's BEGIN IMMEDIATE
    # already serializes writers.
    db.session.execute(select(User.id).where(User.id == volunteer_id).with_for_update())
    volunteer = db.session.get(User, volunteer_id)
    shift = get_shift(shift_id)
    need = shift.need
    if volunteer is None or volunteer.profile is None:
        raise ClaimRefused(_("Set your home community in your profile before claiming."))
    if need.status is not NeedStatus.open or not can_see(volunteer, need):
        raise ClaimRefused(_("This need is not open for claims."))
    if walk_in and not shift.walk_ins:
        raise ClaimRefused(_("This shift does not take walk-ins."))
    if now >= (shift.ends_at if walk_in else shift.starts_at):
        raise ClaimRefused(_("This shift has already started."))

    claim = db.session.scalar(
        select(Claim).where(Claim.shift_id == shift.id, Claim.volunteer_id == volunteer_id)
    )
    if claim is not None and claim.status is ClaimStatus.confirmed:
        raise ClaimRefused(_("You have already claimed this shift."))
    if claim is not None and claim.status is ClaimStatus.removed:
        raise ClaimRefused(
            _(
                "The organizer took you off this shift. Please talk to %(name)s (%(phone)s).",
                name=need.contact_name,
                phone=need.contact_phone,
            )
        )
    if other := _overlapping_claim(volunteer_id, shift):
        raise ClaimRefused(
            _(
                "This overlaps another shift you claimed: %(title)s, %(when)s.",
                title=other.shift.need.title,
                when=local_text(other.shift.starts_at),
            )
        )
    if claim is not None and claim.status is ClaimStatus.waitlisted:
        # Someone passed over while another claim overlapped may take a free place now.
        if not _take_place(shift.id):
            raise ClaimRefused(
                _("You are already on the waiting list (number %(n)d).", n=waitlist_position(claim))
            )
        claim.status = ClaimStatus.confirmed
        _tell(volunteer_id, NotificationKind.claim_confirmed, shift)
        return claim

    taken = _take_place(shift.id)
    if not taken and not waitlist:
        raise ClaimRefused(
            _("This shift is full. You can join the waiting list."), can_waitlist=True
        )
    status = ClaimStatus.confirmed if taken else ClaimStatus.waitlisted
    if claim is None:
        claim = Claim(shift_id=shift.id, volunteer_id=volunteer_id)
        db.session.add(claim)
    claim.status, claim.queued_at, claim.reason, claim.removed_by_id = status, now, None, None
    try:
        db.session.flush()
    except IntegrityError as error:  # the same volunteer's double click, on PostgreSQL
        raise ClaimRefused(_("You have already claimed this shift.")) from error
    if taken:
        _tell(volunteer_id, NotificationKind.claim_confirmed, shift)
    return claim


def _tell(volunteer_id: int, kind: NotificationKind, shift: Shift) -> None:
    """Notify a volunteer about their place in a shift (in the current transaction)."""
    notify(
        volunteer_id,
        kind,
        "need",
        shift.need_id,
        title=shift.need.title,
        starts_at=shift.starts_at.isoformat(),
    )


def _cutoff(shift: Shift) -> datetime:
    minutes = community_settings(shift.need.community_id).cancel_cutoff_minutes
    return shift.starts_at - timedelta(minutes=minutes)


def cancellable_until(claim: Claim) -> datetime:
    return _cutoff(claim.shift)


def can_cancel_online(shift: Shift, *, now: datetime) -> bool:
    """Whether a claim on ``shift`` may still be cancelled online: before the community's
    cut-off. After it the volunteer calls the organizer; claiming is still allowed, with a
    warning that it cannot be undone online."""
    return now < _cutoff(shift)


@transactional
def cancel_claim(volunteer_id: int, claim_id: int, *, now: datetime) -> Claim:
    """The volunteer gives up a place (before the cut-off) or leaves the waiting list."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.volunteer_id != volunteer_id or claim.status not in ACTIVE_CLAIM:
        raise NotFound(_("You have no claim on this shift."))
    shift = claim.shift
    if claim.status is ClaimStatus.confirmed:
        if not can_cancel_online(shift, now=now):
            raise ClaimRefused(
                _(
                    "It is too late to cancel online. "
                    "Please call the organizer, %(name)s, on %(phone)s.",
                    name=shift.need.contact_name,
                    phone=shift.need.contact_phone,
                )
            )
        _free_place(shift.id)
    claim.status = ClaimStatus.cancelled
    db.session.flush()
    _promote_waitlist(shift, now)
    # The volunteer's time is free again: their own waiting-list places may now be given.
    waiting = db.session.scalars(
        select(Claim).where(
            Claim.volunteer_id == volunteer_id, Claim.status == ClaimStatus.waitlisted
        )
    ).all()
    for other in waiting:
        _promote_waitlist(other.shift, now)
    return claim


@transactional
def remove_claimant(actor_id: int, claim_id: int, reason: str, *, now: datetime) -> Claim:
    """The organizer takes a volunteer off a shift (or its waiting list), saying why."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.status not in ACTIVE_CLAIM:
        raise NotFound(_("This claim no longer exists."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give a reason; the volunteer will see it."), field="reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_REASON), field="reason")
    if claim.status is ClaimStatus.confirmed:
        _free_place(claim.shift_id)
    claim.status, claim.reason, claim.removed_by_id = ClaimStatus.removed, reason, actor_id
    # A check-in before the removal earns nothing (checkin imports this module).
    from govhub.checkin import services as checkin
    from govhub.checkin.models import VoidReason

    checkin.void_attendance(
        [claim.shift_id], VoidReason.removed, note=reason, volunteer_id=claim.volunteer_id
    )
    need = claim.shift.need
    notify(
        claim.volunteer_id,
        NotificationKind.claim_removed,
        "need",
        need.id,
        title=need.title,
        reason=reason,
    )
    audit.record(
        actor_id,
        "claim.removed",
        "claim",
        claim.id,
        reason=reason,
        volunteer_id=claim.volunteer_id,
        shift_id=claim.shift_id,
    )
    db.session.flush()
    _promote_waitlist(claim.shift, now)
    return claim


def _promote_waitlist(shift: Shift, now: datetime) -> list[Claim]:
    """Give free places to the waiting list, first come first served (inside a transaction).

    Someone whose other claims now overlap this shift keeps their place in the queue.
    """
    if shift.starts_at <= now or shift.need.status is not NeedStatus.open:
        return []
    promoted = []
    queue = db.session.scalars(
        select(Claim)
        .where(Claim.shift_id == shift.id, Claim.status == ClaimStatus.waitlisted)
        .order_by(Claim.queued_at, Claim.id)
    ).all()
    for claim in queue:
        if _overlapping_claim(claim.volunteer_id, shift) is not None:
            continue
        if not _take_place(shift.id):
            break
        claim.status = ClaimStatus.confirmed
        _tell(claim.volunteer_id, NotificationKind.waitlist_promoted, shift)
        promoted.append(claim)
    db.session.flush()
    return promoted


# --- Recurring shifts ----------------------------------------------------------------


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


# --- The board -----------------------------------------------------------------------


@dataclass
class BoardFilters:
    q: str = ""
    category_id: int | None = None
    skill_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    my_skills: bool = False
    has_places: bool = False
    page: int = 1


@dataclass
class BoardCard:
    need: Need
    next_shift: Shift
    upcoming: int  # how many upcoming shifts

    @property
    def places_left(self) -> int:
        return self.next_shift.places_left


@dataclass
class BoardPage:
    cards: list[BoardCard]
    has_more: bool
    page: int


BOARD_PAGE_SIZE = 12


def board(
    volunteer: User, filters: BoardFilters, *, now: datetime, per_page: int = BOARD_PAGE_SIZE
) -> BoardPage:
    """Open needs a volunteer may claim, soonest first. Two queries for the whole page:
    the needs (every filter is an indexed EXISTS), then their upcoming shifts."""
    profile = volunteer.profile
    if profile is None:
        return BoardPage([], False, 1)
    shift_conditions = [Shift.need_id == Need.id, Shift.starts_at > now]
    if filters.date_from:
        shift_conditions.append(
            Shift.starts_at >= to_utc(datetime.combine(filters.date_from, time.min))
        )
    if filters.date_to:
        shift_conditions.append(
            Shift.starts_at
            < to_utc(datetime.combine(filters.date_to + timedelta(days=1), time.min))
        )
    if filters.has_places:
        shift_conditions.append(Shift.claimed < Shift.capacity)
    next_start = (
        select(func.min(Shift.starts_at)).where(*shift_conditions).correlate(Need).scalar_subquery()
    )

    query = (
        select(Need)
        .join(OrgUnit, Need.community_id == OrgUnit.id)
        .where(Need.status == NeedStatus.open, visible_clause(profile.community))
        .where(exists().where(*shift_conditions))
    )
    if filters.category_id:
        query = query.where(Need.category_id == filters.category_id)
    if filters.skill_id:
        query = query.where(
            exists().where(
                need_skill.c.need_id == Need.id, need_skill.c.skill_id == filters.skill_id
            )
        )
    if filters.my_skills:
        mine = [skill.id for skill in profile.skills]
        query = query.where(
            exists().where(need_skill.c.need_id == Need.id, need_skill.c.skill_id.in_(mine or [-1]))
        )
    if text := filters.q.strip():
        query = query.where(
            or_(
                Need.title.icontains(text, autoescape=True),
                Need.description.icontains(text, autoescape=True),
            )
        )
    page = max(filters.page, 1)
    query = (
        query.order_by(next_start, Need.id)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
        .options(selectinload(Need.skills))
    )
    needs = list(db.session.scalars(query))
    has_more = len(needs) > per_page
    needs = needs[:per_page]

    upcoming: dict[int, list[Shift]] = {need.id: [] for need in needs}
    if needs:
        shift_query = select(Shift).where(*shift_conditions[1:], Shift.need_id.in_(upcoming))
        for shift in db.session.scalars(shift_query.order_by(Shift.starts_at)):
            upcoming[shift.need_id].append(shift)
    cards = [
        BoardCard(need, upcoming[need.id][0], len(upcoming[need.id]))
        for need in needs
        if upcoming[need.id]
    ]
    return BoardPage(cards, has_more, page)


# --- Volunteers' and admins' lists ---------------------------------------------------


@dataclass
class MyTasks:
    upcoming: list[Claim]
    waitlisted: list[tuple[Claim, int]]
    past: list[Claim]


def my_tasks(volunteer_id: int, *, now: datetime) -> MyTasks:
    claims = db.session.scalars(
        select(Claim)
        .join(Claim.shift)
        .where(Claim.volunteer_id == volunteer_id, Claim.status.in_(ACTIVE_CLAIM))
        .options(selectinload(Claim.shift).joinedload(Shift.need))
        .order_by(Shift.starts_at)
    ).all()
    upcoming = [c for c in claims if c.status is ClaimStatus.confirmed and c.shift.ends_at > now]
    past = [c for c in claims if c.status is ClaimStatus.confirmed and c.shift.ends_at <= now]
    past.reverse()
    waitlisted = [
        (c, waitlist_position(c))
        for c in claims
        if c.status is ClaimStatus.waitlisted and c.shift.starts_at > now
    ]
    return MyTasks(upcoming, waitlisted, past)


def upcoming_count(volunteer_id: int, *, now: datetime) -> int:
    """How many claimed shifts lie ahead of the volunteer."""
    query = (
        select(func.count())
        .select_from(Claim)
        .join(Claim.shift)
        .where(
            Claim.volunteer_id == volunteer_id,
            Claim.status == ClaimStatus.confirmed,
            Shift.ends_at > now,
        )
    )
    return db.session.scalar(query) or 0


def managed_needs(
    scope_clause,
    status: NeedStatus | None = None,
    cursor: Cursor | None = None,
    *,
    limit: int = PAGE_SIZE,
) -> KeysetPage[Need]:
    """A page of the needs inside ``scope_clause`` (from ``permissions.community_admin_scope``),
    newest first."""
    query = select(Need).join(OrgUnit, Need.community_id == OrgUnit.id).where(scope_clause)
    if status is not None:
        query = query.where(Need.status == status)
    query = query.options(selectinload(Need.shifts))
    return keyset_page(query, [Need.id], cursor, descending=True, limit=limit)


@dataclass
class RosterShift:
    shift: Shift
    confirmed: list[Claim]
    waitlisted: list[Claim]


def roster(need: Need) -> list[RosterShift]:
    """Each shift with its claimants and waiting list (three queries for the whole need)."""
    claims = db.session.scalars(
        select(Claim)
        .join(Claim.shift)
        .where(Shift.need_id == need.id, Claim.status.in_(ACTIVE_CLAIM))
        .options(selectinload(Claim.volunteer).selectinload(User.profile))
        .order_by(Claim.queued_at, Claim.id)
    ).all()
    by_shift: dict[int, list[Claim]] = {}
    for claim in claims:
        by_shift.setdefault(claim.shift_id, []).append(claim)
    return [
        RosterShift(
            shift,
            [c for c in by_shift.get(shift.id, []) if c.status is ClaimStatus.confirmed],
            [c for c in by_shift.get(shift.id, []) if c.status is ClaimStatus.waitlisted],
        )
        for shift in need.shifts
    ]


def my_claims_for(volunteer_id: int, need: Need) -> dict[int, Claim]:
    """The volunteer's active claims on a need's shifts, by shift id."""
    query = select(Claim).where(
        Claim.volunteer_id == volunteer_id,
        Claim.status.in_(ACTIVE_CLAIM),
        Claim.shift_id.in_([s.id for s in need.shifts] or [-1]),
    )
    return {claim.shift_id: claim for claim in db.session.scalars(query)}


def shift_calendar(shift: Shift) -> bytes:
    """An iCalendar (.ics) file for one shift, for the volunteer's phone calendar."""
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//govhub//needs//ZH")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"shift-{shift.id}@govhub")
    event.add("summary", shift.need.title)
    event.add("location", shift.need.place)
    event.add(
        "description",
        f"{shift.need.description}\n{shift.need.contact_name} {shift.need.contact_phone}".strip(),
    )
    utc = ZoneInfo("UTC")
    event.add("dtstart", shift.starts_at.replace(tzinfo=utc))
    event.add("dtend", shift.ends_at.replace(tzinfo=utc))
    event.add("dtstamp", shift.need.updated_at.replace(tzinfo=utc))
    calendar.add_component(event)
    return calendar.to_ical()
