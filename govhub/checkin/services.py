"""Check-in and check-out, hours served, confirmation and the points it earns."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, or_, select, true, union, update

from govhub.accounts.models import User
from govhub.audit import services as audit
from govhub.checkin.models import (
    Attendance,
    AttendanceStatus,
    Evidence,
    ShiftLeader,
    VoidReason,
    VolunteerCard,
)
from govhub.clock import local_date, local_text, show_day, to_utc
from govhub.database import (
    NotFound,
    ServiceError,
    check_text,
    get_or_raise,
    in_batches,
    insert_ignoring_conflict,
    read_apart,
    required_text,
    transactional,
)
from govhub.enums import LabelledEnum
from govhub.extensions import db
from govhub.needs import claims as needs_claims
from govhub.needs.models import Claim, ClaimStatus, Need, NeedStatus, Shift
from govhub.orgs import settings as org_settings
from govhub.orgs.models import CommunitySettings
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page
from govhub.points import services as points
from govhub.points.models import EntryKind
from govhub.references import RefType

MAX_REASON = 500
# Volunteers may scan the check-out code until this long after the shift ends.
CHECKOUT_GRACE = timedelta(hours=2)
RUNNING = (NeedStatus.open, NeedStatus.closed)
# A shift can be run (check-in screen, cards) until this long after it ends.
RUNNABLE_AFTER_END = timedelta(days=1)


class CheckinRefused(ServiceError):
    pass


@dataclass(frozen=True)
class Seat:
    """One volunteer's place at one shift: what ``permissions.Action.CONFIRM_ATTENDANCE`` is
    asked about (their attendance may not exist yet)."""

    shift: Shift
    volunteer_id: int


def _not_own(actor_id: int | None, volunteer_id: int, message: str) -> None:
    """Defence in depth for the separation of duties that ``permissions`` decides: a
    service never lets an actor credit or confirm themselves."""
    if actor_id is not None and actor_id == volunteer_id:
        raise CheckinRefused(message)


def _own_hours_message() -> str:
    return _(
        "Your own hours are confirmed by another admin of the community, "
        "or automatically after the grace period."
    )


@dataclass
class ScanResult:
    attendance: Attendance
    already: bool  # nothing changed: it had been recorded before


def window(shift: Shift, settings: CommunitySettings | None = None) -> tuple[datetime, datetime]:
    """When volunteers may check in: from N minutes before the start until the end.
    ``settings``: the community's, when the caller has read them already."""
    settings = settings or org_settings.community_settings(shift.need.community_id)
    return shift.starts_at - timedelta(minutes=settings.checkin_opens_minutes), shift.ends_at


def _reason(reason: str | None, field: str = "reason") -> str:
    return required_text(
        reason, field, MAX_REASON, _l("Give a reason; it is kept in the audit trail.")
    )


def _entered_time(
    shift: Shift, at: datetime | str | None, now: datetime, *, earliest: datetime
) -> datetime:
    """The time an admin enters by hand ("HH:MM" on the shift's local day, or a stored
    time; empty: now): on the shift's day, not in the future, not before ``earliest``."""
    if at is None or (isinstance(at, str) and not at.strip()):
        return now
    day = local_date(shift.starts_at)
    if isinstance(at, str):
        try:
            clock = datetime.strptime(at.strip(), "%H:%M").time()
        except ValueError:
            raise ServiceError(_("Enter a time like 18:30."), field="at") from None
        at = to_utc(datetime.combine(day, clock))
    if not day <= local_date(at) <= local_date(shift.ends_at):
        raise ServiceError(
            _("The time must be on the day of the shift, %(day)s.", day=show_day(day)),
            field="at",
        )
    if at > now:
        raise ServiceError(_("The time cannot be in the future."), field="at")
    if at < earliest:
        raise ServiceError(
            _("The time must be after %(time)s.", time=local_text(earliest)), field="at"
        )
    return at


def attendance_of(shift_id: int, volunteer_id: int) -> Attendance | None:
    return db.session.scalar(
        select(Attendance).where(
            Attendance.shift_id == shift_id, Attendance.volunteer_id == volunteer_id
        )
    )


def _confirmed_claim(shift_id: int, volunteer_id: int) -> Claim | None:
    return db.session.scalar(
        select(Claim).where(
            Claim.shift_id == shift_id,
            Claim.volunteer_id == volunteer_id,
            Claim.status == ClaimStatus.confirmed,
        )
    )


@transactional
def check_in(
    volunteer_id: int,
    shift_id: int,
    *,
    now: datetime,
    evidence: Evidence,
    actor_id: int | None = None,
    reason: str | None = None,
    at: datetime | str | None = None,
) -> ScanResult:
    """Record that a volunteer is at a shift, once.

    Scans (the volunteer's, or the organizer's of a card) are accepted inside the window
    and only for a volunteer who claimed the shift — or, where the shift welcomes
    walk-ins and has places left, they claim a place and check in in one step. An admin
    may enter a check-in by hand at any time before confirmation, with a reason.
    """
    shift = get_or_raise(Shift, shift_id, _l("No such shift."))
    need = shift.need
    if need.status not in RUNNING:
        raise CheckinRefused(
            _("This activity is not running (%(status)s).", status=need.status.label)
        )
    settings = org_settings.community_settings(need.community_id)
    manual = evidence is Evidence.manual
    entered_at = now  # when the admin typed it in (``now`` becomes the time entered)
    if manual:
        _not_own(actor_id, volunteer_id, _own_hours_message())
        reason = _reason(reason)
        now = _entered_time(shift, at, now, earliest=window(shift, settings)[0])
    else:
        opens, closes = window(shift, settings)
        if now < opens:
            raise CheckinRefused(_("Check-in opens at %(time)s.", time=local_text(opens)))
        if now > closes:
            raise CheckinRefused(_("This shift has ended; check-in is closed."))

    existing = attendance_of(shift_id, volunteer_id)
    if existing is not None and existing.checked_in_at is not None:
        return ScanResult(existing, already=True)
    if existing is None and _confirmed_claim(shift_id, volunteer_id) is None:
        if manual or not shift.walk_ins:
            raise CheckinRefused(
                _("You have not claimed this shift. Claim it first, or ask the organizer.")
                if not manual
                else _("This volunteer has not claimed this shift.")
            )
        try:
            needs_claims.claim_shift(volunteer_id, shift_id, now=now, walk_in=True)
        except needs_claims.ClaimRefused as refused:
            raise CheckinRefused(refused.message) from refused

    if existing is None:
        inserted = insert_ignoring_conflict(
            Attendance,
            {
                "shift_id": shift_id,
                "volunteer_id": volunteer_id,
                "checked_in_at": now,
                "check_in_evidence": evidence.value,
                "status": AttendanceStatus.present.value,
                "needs_review": manual and settings.manual_hours_earn,
                "created_at": now,
            },
            "shift_id",
            "volunteer_id",
        )
        attendance = attendance_of(shift_id, volunteer_id)
        assert attendance is not None  # inserted now or by the concurrent scan
        if not inserted:  # the same volunteer's second scan at the same moment
            return ScanResult(attendance, already=True)
    else:  # marked a no-show earlier, then turned up after all
        attendance = existing
        attendance.checked_in_at, attendance.check_in_evidence = now, evidence
        attendance.status = AttendanceStatus.present
        attendance.needs_review = manual and settings.manual_hours_earn
    if manual:
        audit.record(
            actor_id,
            "attendance.manual_check_in",
            RefType.attendance,
            attendance.id,
            reason=reason,
            at=entered_at,
            shift_id=shift_id,
            volunteer_id=volunteer_id,
        )
    return ScanResult(attendance, already=False)


@transactional
def check_out(
    volunteer_id: int,
    shift_id: int,
    *,
    now: datetime,
    evidence: Evidence,
    actor_id: int | None = None,
    reason: str | None = None,
    at: datetime | str | None = None,
) -> ScanResult:
    shift = get_or_raise(Shift, shift_id, _l("No such shift."))
    attendance = attendance_of(shift_id, volunteer_id)
    if attendance is None or attendance.checked_in_at is None:
        raise CheckinRefused(_("There is no check-in to check out from. Check in first."))
    if attendance.void_reason is not None:
        raise CheckinRefused(
            _("This attendance earns nothing: %(why)s.", why=attendance.void_reason.label)
        )
    if attendance.status is not AttendanceStatus.present:
        raise CheckinRefused(_("These hours are already confirmed."))
    if attendance.checked_out_at is not None:
        return ScanResult(attendance, already=True)
    manual = evidence is Evidence.manual
    entered_at = now
    if manual:
        _not_own(actor_id, volunteer_id, _own_hours_message())
        reason = _reason(reason)
        now = _entered_time(shift, at, now, earliest=attendance.checked_in_at)
    elif now > shift.ends_at + CHECKOUT_GRACE:
        raise CheckinRefused(_("Check-out by scanning has closed. Ask the organizer."))
    attendance.checked_out_at = max(now, attendance.checked_in_at)
    attendance.check_out_evidence = evidence
    if manual:
        settings = org_settings.community_settings(shift.need.community_id)
        attendance.needs_review = attendance.needs_review or settings.manual_hours_earn
        audit.record(
            actor_id,
            "attendance.manual_check_out",
            RefType.attendance,
            attendance.id,
            reason=reason,
            at=entered_at,
            shift_id=shift_id,
            volunteer_id=volunteer_id,
        )
    return ScanResult(attendance, already=False)


def recorded_minutes(attendance: Attendance, shift: Shift, rounding: int) -> int:
    """The overlap of [check-in, check-out] with [start, end], rounded down to
    ``rounding`` minutes, never negative, never more than the shift."""
    if attendance.checked_in_at is None:
        return 0
    out = attendance.checked_out_at or shift.ends_at
    start = max(attendance.checked_in_at, shift.starts_at)
    end = min(out, shift.ends_at)
    minutes = max(0, int((end - start).total_seconds() // 60))
    minutes -= minutes % rounding
    return min(minutes, shift.minutes)


@transactional
def auto_check_out(*, now: datetime) -> int:
    """At the end of every shift, check out whoever forgot (flagged as automatic)."""
    open_rows = db.session.scalars(
        select(Attendance)
        .join(Attendance.shift)
        .where(
            Attendance.checked_in_at.is_not(None),
            Attendance.checked_out_at.is_(None),
            Attendance.status == AttendanceStatus.present,
            Shift.ends_at <= now,
        )
    ).all()
    for attendance in open_rows:
        assert attendance.checked_in_at is not None  # the query asked for these
        attendance.checked_out_at = max(attendance.shift.ends_at, attendance.checked_in_at)
        attendance.check_out_evidence = Evidence.auto
    return len(open_rows)


# --- Confirmation --------------------------------------------------------------------


@dataclass
class Decision:
    """What the admin decided for one attendance: keep, change the minutes, or no-show."""

    minutes: int | None = None  # None: as recorded
    no_show: bool = False
    note: str | None = None


@dataclass
class AttendanceRow:
    attendance: Attendance | None
    claim: Claim | None
    volunteer_id: int
    recorded: int  # minutes as recorded
    points: int  # what confirming as recorded would earn
    given: int | None = None  # once confirmed: the points the ledger credited
    volunteer: User | None = None

    @property
    def pending(self) -> bool:
        """Checked in, hours not confirmed yet: what confirming the shift decides."""
        return self.attendance is not None and self.attendance.status is AttendanceStatus.present


class AttendanceFilter(LabelledEnum):
    """The attendance page's status filter (``?status=``)."""

    everyone = "everyone", _l("Everyone")
    present = "present", _l("Waiting to be confirmed")  # checked in, not confirmed
    not_arrived = "not_arrived", _l("Not arrived")  # claimed, no attendance
    confirmed = "confirmed", _l("Confirmed")
    no_show = "no_show", _l("No-show")

    @classmethod
    def parse(cls, value: str | None) -> AttendanceFilter:
        """The filter named in a URL; anything else is everyone."""
        try:
            return cls(value or "")
        except ValueError:
            return cls.everyone


# A search longer than a name or a phone number is no search (see ``parse_search``).
MAX_SEARCH = 30


def parse_search(value: str | None) -> str:
    """A search typed into the attendance page, trimmed; "" for one that cannot match a name
    or a phone number (too long, or with control characters such as NUL)."""
    text = (value or "").strip()
    if len(text) > MAX_SEARCH or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return ""
    return text


@dataclass(frozen=True)
class AttendanceQuery:
    """Which of a shift's people the attendance page lists."""

    status: AttendanceFilter = AttendanceFilter.everyone
    search: str = ""  # a part of the name, or of the phone number where ``phones``
    phones: bool = False  # the reader sees phone numbers whole, so may search by them


def _people(shift: Shift, listing: AttendanceQuery, *columns) -> Select:
    """``columns`` of everyone who claimed the shift (confirmed claims) or attended it, one
    row each with their user, claim and attendance (either may be missing), narrowed by
    ``listing``'s search; the status filter is the caller's."""
    who = union(
        select(Claim.volunteer_id.label("volunteer_id")).where(
            Claim.shift_id == shift.id, Claim.status == ClaimStatus.confirmed
        ),
        select(Attendance.volunteer_id).where(Attendance.shift_id == shift.id),
    ).subquery()
    query = (
        select(*columns)
        .select_from(who)
        .join(User, User.id == who.c.volunteer_id)
        .outerjoin(
            Claim,
            and_(
                Claim.shift_id == shift.id,
                Claim.volunteer_id == who.c.volunteer_id,
                Claim.status == ClaimStatus.confirmed,
            ),
        )
        .outerjoin(
            Attendance,
            and_(Attendance.shift_id == shift.id, Attendance.volunteer_id == who.c.volunteer_id),
        )
    )
    if listing.search:
        matches = User.name.contains(listing.search, autoescape=True)
        if listing.phones and listing.search.isascii() and listing.search.isdigit():
            matches = or_(matches, User.phone.contains(listing.search, autoescape=True))
        query = query.where(matches)
    return query


def _status_clause(status: AttendanceFilter):
    if status is AttendanceFilter.not_arrived:
        return Attendance.id.is_(None)
    return Attendance.status == AttendanceStatus(status.value)


@dataclass(frozen=True)
class AttendanceCounts:
    listed: dict[AttendanceFilter, int]  # how many people each filter lists
    others_waiting: int  # pending attendances but the reader's own: what they may confirm


def attendance_counts(shift: Shift, reader_id: int | None = None) -> AttendanceCounts:
    """How many of the shift's people each filter lists, and how many pending hours are
    not ``reader_id``'s own: one grouped query."""
    own = func.sum(case((Attendance.volunteer_id == reader_id, 1), else_=0))
    query = _people(shift, AttendanceQuery(), Attendance.status, func.count(), own)
    found = {
        status: (n, mine or 0)
        for status, n, mine in db.session.execute(query.group_by(Attendance.status))
    }
    listed = dict.fromkeys(AttendanceFilter, 0)
    listed[AttendanceFilter.everyone] = sum(n for n, _mine in found.values())
    listed[AttendanceFilter.not_arrived] = found.get(None, (0, 0))[0]
    for status in (AttendanceFilter.present, AttendanceFilter.confirmed, AttendanceFilter.no_show):
        listed[status] = found.get(AttendanceStatus(status.value), (0, 0))[0]
    pending, own_pending = found.get(AttendanceStatus.present, (0, 0))
    return AttendanceCounts(listed, pending - own_pending)


def attendance_list(
    shift: Shift,
    listing: AttendanceQuery | None = None,
    cursor: Cursor | None = None,
    *,
    limit: int = PAGE_SIZE,
) -> KeysetPage[AttendanceRow]:
    """A page of the people ``listing`` selects at the shift, with recorded hours and, once
    confirmed, the points credited: confirmed claims first, in the order they were made,
    then those who attended without one (a removed claimant, say), by attendance. Three
    queries whatever the page's size: the settings, the page, the points of its rows."""
    listing = listing or AttendanceQuery()
    settings = org_settings.community_settings(shift.need.community_id)
    rounding = settings.rounding_minutes
    # The key is (0, claim id) for a claimant, (1, attendance id) for the others: a
    # cursor reads "0.123".
    group = case((Claim.id.is_(None), 1), else_=0)
    position = func.coalesce(Claim.id, Attendance.id)
    query = _people(
        shift, listing, User, Claim, Attendance, group.label("k0"), position.label("k1")
    )
    if listing.status is not AttendanceFilter.everyone:
        query = query.where(_status_clause(listing.status))
    page = keyset_page(
        query,
        [group, position],
        cursor,
        descending=False,
        limit=limit,
        key_of=lambda row: (row.k0, row.k1),
        rows=True,
    )
    attended = [row.Attendance for row in page.items if row.Attendance is not None]
    given = points.earned_for(
        RefType.attendance,
        [a.id for a in attended if a.status is AttendanceStatus.confirmed],
    )
    rows = []
    for row in page.items:
        user, claim, attendance = row.User, row.Claim, row.Attendance
        minutes = recorded_minutes(attendance, shift, rounding) if attendance else 0
        rows.append(
            AttendanceRow(
                attendance,
                claim,
                user.id,
                minutes,
                _points_for(shift, attendance, minutes, settings),
                given.get(attendance.id, 0)
                if attendance and attendance.status is AttendanceStatus.confirmed
                else None,
                volunteer=user,
            )
        )
    return KeysetPage(rows, older=page.older, newer=page.newer, past_the_end=page.past_the_end)


def _points_for(
    shift: Shift,
    attendance: Attendance | None,
    minutes: int,
    settings: CommunitySettings | None = None,
) -> int:
    """What confirming ``attendance`` with ``minutes`` earns: hours × the rate, or the
    need's fixed amount whatever the hours; nothing for a no-show or void attendance.
    ``settings``: the community's, read once by a caller that asks for many rows (a
    community without a settings row would otherwise be looked up again for each)."""
    if attendance is None or attendance.checked_in_at is None:
        return 0
    if attendance.status in (AttendanceStatus.no_show, AttendanceStatus.void):
        return 0
    settings = settings or org_settings.community_settings(shift.need.community_id)
    if attendance.manual and not settings.manual_hours_earn:
        return 0
    return shift.need.points_for(minutes)


def _confirm_one(
    attendance: Attendance, minutes: int, *, actor_id: int | None, now: datetime, note: str | None
) -> None:
    shift = attendance.shift
    attendance.status = AttendanceStatus.confirmed
    attendance.minutes = minutes
    attendance.confirmed_at = now
    attendance.confirmed_by_id = actor_id
    attendance.note = note
    amount = _points_for(shift, attendance, minutes)
    if amount or minutes:
        points.post_entry(
            attendance.volunteer_id,
            amount,
            EntryKind.earn,
            key=f"attendance:{attendance.id}:earn",
            ref=(RefType.attendance, attendance.id),
            actor_id=actor_id,
            minutes=minutes,
            now=now,
        )


@transactional
def confirm_shift(
    actor_id: int,
    shift_id: int,
    decisions: dict[int, Decision],
    *,
    now: datetime,
    attendance_ids: Collection[int] | None = None,
) -> int:
    """Confirm a shift's attendance: one earn entry per attendance (hours × the need's rate,
    or its fixed amount). Changed hours and no-shows need a note. Returns how many
    attendances were confirmed now; running it again confirms nothing twice.

    ``attendance_ids``: only these are decided (the rows the admin saw on a page of the
    list; ids of other shifts or already settled are ignored); None: every pending one.
    The actor's own attendance is skipped (nobody confirms their own hours): another
    admin confirms it, or ``auto_confirm`` does. Void attendance is never pending."""
    shift = get_or_raise(Shift, shift_id, _l("No such shift."))
    if now < shift.ends_at:
        raise ServiceError(_("Hours can be confirmed once the shift has ended."))
    community_id = shift.need.community_id  # where its audit events belong
    rounding = org_settings.community_settings(community_id).rounding_minutes
    pending = db.session.scalars(
        select(Attendance)
        .where(
            Attendance.shift_id == shift_id,
            Attendance.status == AttendanceStatus.present,
            Attendance.volunteer_id != actor_id,
            true() if attendance_ids is None else Attendance.id.in_(set(attendance_ids)),
        )
        .order_by(Attendance.id)
    ).all()
    confirmed = 0
    for attendance in pending:
        decision = decisions.get(attendance.id, Decision())
        recorded = recorded_minutes(attendance, shift, rounding)
        note_field = f"note-{attendance.id}"  # where the page shows a refused note
        if decision.no_show:
            attendance.status = AttendanceStatus.no_show
            attendance.minutes, attendance.note = 0, _reason(decision.note, note_field)
            attendance.confirmed_at, attendance.confirmed_by_id = now, actor_id
            audit.record(
                actor_id,
                "attendance.no_show",
                RefType.attendance,
                attendance.id,
                reason=attendance.note,
                at=now,
                unit_id=community_id,
                shift_id=shift_id,
                volunteer_id=attendance.volunteer_id,
            )
            continue
        minutes = recorded if decision.minutes is None else decision.minutes
        if not 0 <= minutes <= shift.minutes:
            raise ServiceError(
                _("Between %(low)d and %(high)d.", low=0, high=shift.minutes),
                field=f"minutes-{attendance.id}",
            )
        changed = minutes != recorded
        note = _reason(decision.note, note_field) if changed else (decision.note or None)
        check_text(Attendance.note, note, field=note_field)
        _confirm_one(attendance, minutes, actor_id=actor_id, now=now, note=note)
        if changed:
            audit.record(
                actor_id,
                "attendance.hours_changed",
                RefType.attendance,
                attendance.id,
                reason=note,
                at=now,
                unit_id=community_id,
                shift_id=shift_id,
                volunteer_id=attendance.volunteer_id,
                recorded=recorded,
                minutes=minutes,
            )
        confirmed += 1
    audit.record(
        actor_id,
        "shift.confirmed",
        RefType.shift,
        shift_id,
        at=now,
        unit_id=community_id,
        confirmed=confirmed,
    )
    return confirmed


@transactional
def mark_no_show(
    actor_id: int, shift_id: int, volunteer_id: int, reason: str | None, *, now: datetime
) -> Attendance:
    """A claimant who never came (no check-in): recorded, with a reason."""
    _not_own(actor_id, volunteer_id, _own_hours_message())
    reason = _reason(reason)
    if _confirmed_claim(shift_id, volunteer_id) is None:
        raise NotFound(_("This volunteer has not claimed this shift."))
    insert_ignoring_conflict(
        Attendance,
        {
            "shift_id": shift_id,
            "volunteer_id": volunteer_id,
            "status": AttendanceStatus.no_show.value,
            "minutes": 0,
            "note": reason,
            "confirmed_at": now,
            "confirmed_by_id": actor_id,
            "created_at": now,
            "needs_review": False,
        },
        "shift_id",
        "volunteer_id",
    )
    attendance = attendance_of(shift_id, volunteer_id)
    assert attendance is not None  # inserted just now or before
    audit.record(
        actor_id, "attendance.no_show", RefType.attendance, attendance.id, reason=reason, at=now
    )
    return attendance


# Attendances confirmed per write transaction by the job (``database.in_batches``).
AUTO_CONFIRM_BATCH = 50


def auto_confirm(*, now: datetime) -> int:
    """Confirm, as recorded, attendance left unconfirmed past the community's grace period.

    The attendances that may be due are found outside any write transaction; then they
    are confirmed ``AUTO_CONFIRM_BATCH`` a transaction, each one checked again there (a
    community admin may have confirmed it meanwhile)."""
    candidates = read_apart(
        select(Attendance.id)
        .join(Attendance.shift)
        .where(
            Attendance.status == AttendanceStatus.present,
            Shift.ends_at <= now - timedelta(days=1),
        )
        .order_by(Attendance.id)
    )
    return in_batches(candidates, AUTO_CONFIRM_BATCH, lambda ids: _auto_confirm(ids, now))


@transactional
def _auto_confirm(attendance_ids: list[int], now: datetime) -> int:
    done = 0
    for attendance in db.session.scalars(
        select(Attendance)
        .where(Attendance.id.in_(attendance_ids), Attendance.status == AttendanceStatus.present)
        .order_by(Attendance.id)
    ):
        shift = attendance.shift
        settings = org_settings.community_settings(shift.need.community_id)
        if shift.ends_at > now - timedelta(days=settings.auto_confirm_days):
            continue
        if attendance.checked_out_at is None:
            assert attendance.checked_in_at is not None  # present: it was checked in
            attendance.checked_out_at = max(shift.ends_at, attendance.checked_in_at)
            attendance.check_out_evidence = Evidence.auto
        minutes = recorded_minutes(attendance, shift, settings.rounding_minutes)
        _confirm_one(attendance, minutes, actor_id=None, now=now, note=None)
        done += 1
    return done


@transactional
def void_attendance(
    shift_ids: list[int],
    why: VoidReason,
    *,
    note: str | None = None,
    volunteer_id: int | None = None,
) -> int:
    """Settle, without points, the unconfirmed attendance at ``shift_ids`` (of one
    volunteer, or of everyone): the need was cancelled or the volunteer removed. The rows
    stay, marked why; the jobs and confirmation no longer touch them. Called inside the
    caller's transaction (``posting.cancel``, ``needs_claims.remove_claimant``)."""
    query = select(Attendance).where(
        Attendance.shift_id.in_(shift_ids or [-1]),
        Attendance.status == AttendanceStatus.present,
    )
    if volunteer_id is not None:
        query = query.where(Attendance.volunteer_id == volunteer_id)
    rows = db.session.scalars(query).all()
    for attendance in rows:
        attendance.status = AttendanceStatus.void
        attendance.void_reason = why
        attendance.minutes = 0
        attendance.note = note
        attendance.needs_review = False
    return len(rows)


# --- Shift leaders and cards ---------------------------------------------------------


def is_leader(user_id: int, shift_id: int) -> bool:
    return db.session.get(ShiftLeader, (shift_id, user_id)) is not None


def leads_runnable_shift(user_id: int, *, now: datetime) -> bool:
    """Whether ``user_id`` leads a shift that can still be run (the window of
    ``led_shifts``): a leader's rights end with the shift."""
    return (
        db.session.scalar(
            select(ShiftLeader.shift_id)
            .join(Shift, ShiftLeader.shift_id == Shift.id)
            .join(Shift.need)
            .where(
                ShiftLeader.user_id == user_id,
                Shift.ends_at >= now - RUNNABLE_AFTER_END,
                Need.status.in_(RUNNING),
            )
            .limit(1)
        )
        is not None
    )


def leads_any_shift(user_id: int) -> bool:
    return (
        db.session.scalar(
            select(ShiftLeader.shift_id).where(ShiftLeader.user_id == user_id).limit(1)
        )
        is not None
    )


def led_shifts(user_id: int, *, now: datetime) -> list[Shift]:
    """Shifts ``user_id`` leads that have not been over for more than a day."""
    query = (
        select(Shift)
        .join(ShiftLeader, ShiftLeader.shift_id == Shift.id)
        .where(ShiftLeader.user_id == user_id, Shift.ends_at >= now - RUNNABLE_AFTER_END)
        .order_by(Shift.starts_at)
    )
    return list(db.session.scalars(query))


def runnable_shift_ids(user_id: int, admin_scope, *, now: datetime) -> list[int]:
    """Shifts the user may run: those they lead, and their communities' (``admin_scope``
    from ``permissions.community_admin_scope``), not over for more than a day."""
    from govhub.orgs.models import OrgUnit

    ids = {shift.id for shift in led_shifts(user_id, now=now)}
    ids.update(
        db.session.scalars(
            select(Shift.id)
            .join(Shift.need)
            .join(OrgUnit, Need.community_id == OrgUnit.id)
            .where(admin_scope, Shift.ends_at >= now - RUNNABLE_AFTER_END)
        )
    )
    return list(ids)


def leaders(shift_id: int) -> list[ShiftLeader]:
    return list(db.session.scalars(select(ShiftLeader).where(ShiftLeader.shift_id == shift_id)))


@transactional
def name_leader(actor_id: int, shift_id: int, user_id: int) -> None:
    insert_ignoring_conflict(
        ShiftLeader, {"shift_id": shift_id, "user_id": user_id}, "shift_id", "user_id"
    )
    audit.record(actor_id, "shift.leader_named", RefType.shift, shift_id, user_id=user_id)


@transactional
def remove_leader(actor_id: int, shift_id: int, user_id: int) -> None:
    leader = db.session.get(ShiftLeader, (shift_id, user_id))
    if leader is not None:
        db.session.delete(leader)
        audit.record(actor_id, "shift.leader_removed", RefType.shift, shift_id, user_id=user_id)


def card_version(user_id: int) -> int | None:
    card = db.session.get(VolunteerCard, user_id)
    return card.version if card else None


@transactional
def issue_card(user_id: int, *, now: datetime) -> int:
    """The volunteer's card version (issuing version 1 the first time)."""
    insert_ignoring_conflict(
        VolunteerCard, {"user_id": user_id, "version": 1, "issued_at": now}, "user_id"
    )
    return db.session.get_one(VolunteerCard, user_id).version


@transactional
def revoke_card(user_id: int, *, now: datetime) -> int:
    """Invalidate every printed copy of the card; returns the new version."""
    issue_card(user_id, now=now)
    db.session.execute(
        update(VolunteerCard)
        .where(VolunteerCard.user_id == user_id)
        .values(version=VolunteerCard.version + 1, issued_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    audit.record(user_id, "card.revoked", RefType.user, user_id)
    return db.session.get_one(VolunteerCard, user_id).version


def shifts_for_card(volunteer_id: int, shift_ids_in_scope, *, now: datetime) -> list[Shift]:
    """Shifts open for check-in now that the organizer may run and the volunteer can join."""
    query = (
        select(Shift)
        .join(Shift.need)
        .where(
            Shift.id.in_(shift_ids_in_scope),
            Need.status.in_(RUNNING),
            Shift.starts_at <= now + timedelta(hours=24),
            Shift.ends_at >= now,
        )
        .order_by(Shift.starts_at)
    )
    shifts = [s for s in db.session.scalars(query) if window(s)[0] <= now <= window(s)[1]]
    claimed = {
        c.shift_id
        for c in db.session.scalars(
            select(Claim).where(
                Claim.volunteer_id == volunteer_id,
                Claim.status == ClaimStatus.confirmed,
                Claim.shift_id.in_([s.id for s in shifts] or [-1]),
            )
        )
    }
    return [s for s in shifts if s.id in claimed or s.walk_ins]


def counts(shift_id: int) -> tuple[int, int, int]:
    """(checked in, checked out, claimed) for the live counter: two indexed queries."""
    checked_in, checked_out = db.session.execute(
        select(func.count(Attendance.checked_in_at), func.count(Attendance.checked_out_at)).where(
            Attendance.shift_id == shift_id
        )
    ).one()
    claimed = db.session.scalar(select(Shift.claimed).where(Shift.id == shift_id))
    return checked_in, checked_out, claimed or 0
