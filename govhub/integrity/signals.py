"""What makes an attendance or an adjustment worth a second look (防代刷时长).

Each detector reads the evidence govhub already keeps — the attendance's evidence, the
audit trail of who entered what and when, the ledger — over a recent window, in a few
aggregate queries, and returns ``Finding``s: the attendance (or ledger entry) and the
facts that explain the signal. ``explain`` turns the facts into a sentence.

The thresholds are the module's constants, named here so a reviewer can read why
something fired.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, extract, func, or_, select
from sqlalchemy.orm import aliased

from govhub.audit.models import AuditEvent
from govhub.checkin.models import Attendance, AttendanceStatus, Evidence
from govhub.clock import local_date, local_text
from govhub.extensions import db
from govhub.integrity.models import Signal
from govhub.needs.models import Need, NeedStatus, Shift
from govhub.references import RefType

WINDOW = timedelta(days=45)  # how far back a scan looks (by the shift's start)
BACK_DATED = timedelta(hours=24)  # entered this long after the moment it records
BURST_COUNT = 10  # one person entering this many attendances …
BURST_WITHIN = timedelta(minutes=10)  # … within this time
MOSTLY_MANUAL_AT_LEAST = 3  # an activity with at least this many attendances, most by hand

COUNTED = (AttendanceStatus.present, AttendanceStatus.confirmed)
MANUAL_ACTIONS = ("attendance.manual_check_in", "attendance.manual_check_out")
SCANNED = (Evidence.code_scan, Evidence.card_scan)


@dataclass(frozen=True)
class Finding:
    """A signal on an attendance (``attendance_id``) or on a manual adjustment
    (``entry_id``, with the community it was made in), with the facts that explain it."""

    facts: dict
    attendance_id: int | None = None
    entry_id: int | None = None
    community_id: int | None = None
    volunteer_id: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        if self.attendance_id is not None:
            return ("attendance", self.attendance_id)
        assert self.entry_id is not None
        return ("entry", self.entry_id)


def _recent_attendance(since: datetime):
    """The attendance that counts (present or confirmed) at shifts starting since ``since``."""
    return (
        select(Attendance.id)
        .join(Shift, Shift.id == Attendance.shift_id)
        .where(Shift.starts_at >= since, Attendance.status.in_(COUNTED))
    )


def _shift_minutes():
    """SQL: a shift's length in minutes, on either database."""
    if db.engine.dialect.name == "postgresql":
        return extract("epoch", Shift.ends_at - Shift.starts_at) / 60
    return (func.julianday(Shift.ends_at) - func.julianday(Shift.starts_at)) * 1440


# --- The detectors ---------------------------------------------------------------------


def _manual_events(since: datetime) -> list:
    """(attendance id, actor id, reason, action, entered at, checked in, checked out) of
    every check-in or check-out entered by hand at a recent shift."""
    return list(
        db.session.execute(
            select(
                AuditEvent.target_id,
                AuditEvent.actor_id,
                AuditEvent.reason,
                AuditEvent.action,
                AuditEvent.created_at,
                Attendance.checked_in_at,
                Attendance.checked_out_at,
            )
            .join(Attendance, Attendance.id == AuditEvent.target_id)
            .join(Shift, Shift.id == Attendance.shift_id)
            .where(
                AuditEvent.target_type == RefType.attendance.value,
                AuditEvent.action.in_(MANUAL_ACTIONS),
                Shift.starts_at >= since,
                Attendance.status.in_(COUNTED),
            )
            .order_by(AuditEvent.id)
        )
    )


def manual_and_back_dated(events: list) -> list[Finding]:
    """Hand-entered check-ins and check-outs (``events``: ``_manual_events``); back-dated
    when entered more than ``BACK_DATED`` after the moment they record."""
    found = []
    for attendance_id, actor_id, reason, action, entered, checked_in, checked_out in events:
        side = "in" if action.endswith("check_in") else "out"
        found.append(
            Finding(
                {"code": Signal.manual, "actor_id": actor_id, "reason": reason, "side": side},
                attendance_id=attendance_id,
            )
        )
        moment = checked_in if side == "in" else checked_out
        if moment is not None and entered - moment > BACK_DATED:
            found.append(
                Finding(
                    {
                        "code": Signal.back_dated,
                        "side": side,
                        "days": round((entered - moment) / timedelta(days=1), 1),
                        "entered_at": entered.isoformat(),
                        "records": moment.isoformat(),
                    },
                    attendance_id=attendance_id,
                )
            )
    return found


def bursts(events: list) -> list[Finding]:
    """Every hand entry (``events``: ``_manual_events``) of a person who entered
    ``BURST_COUNT`` or more within ``BURST_WITHIN``."""
    by_actor: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for attendance_id, actor_id, _reason, _action, entered, *_times in events:
        if actor_id is not None:
            by_actor[actor_id].append((entered, attendance_id))
    found = []
    for actor_id, entries in by_actor.items():
        entries.sort()
        flagged: dict[int, int] = {}
        start = 0
        for end in range(len(entries)):
            while entries[end][0] - entries[start][0] > BURST_WITHIN:
                start += 1
            count = end - start + 1
            if count >= BURST_COUNT:
                for _moment, attendance_id in entries[start : end + 1]:
                    flagged[attendance_id] = max(flagged.get(attendance_id, 0), count)
        for attendance_id, count in flagged.items():
            found.append(
                Finding(
                    {
                        "code": Signal.burst,
                        "actor_id": actor_id,
                        "count": count,
                        "minutes": int(BURST_WITHIN / timedelta(minutes=1)),
                    },
                    attendance_id=attendance_id,
                )
            )
    return found


def hours_changed(since: datetime) -> list[Finding]:
    """Attendance whose hours the confirming admin changed from what was recorded."""
    rows = db.session.execute(
        select(AuditEvent.target_id, AuditEvent.actor_id, AuditEvent.reason, AuditEvent.data)
        .join(Attendance, Attendance.id == AuditEvent.target_id)
        .join(Shift, Shift.id == Attendance.shift_id)
        .where(
            AuditEvent.target_type == RefType.attendance.value,
            AuditEvent.action == "attendance.hours_changed",
            Shift.starts_at >= since,
            Attendance.status.in_(COUNTED),
        )
    ).all()
    return [
        Finding(
            {
                "code": Signal.hours_changed,
                "actor_id": actor_id,
                "reason": reason,
                "recorded": (data or {}).get("recorded"),
                "minutes": (data or {}).get("minutes"),
            },
            attendance_id=attendance_id,
        )
        for attendance_id, actor_id, reason, data in rows
    ]


def over_length(since: datetime) -> list[Finding]:
    """Confirmed minutes above the length of the shift (the shift was shortened after the
    hours were confirmed, or the hours came from outside the check-in flow)."""
    length = _shift_minutes()
    rows = db.session.execute(
        select(Attendance.id, Attendance.minutes, length)
        .join(Shift, Shift.id == Attendance.shift_id)
        .where(
            Shift.starts_at >= since,
            Attendance.status == AttendanceStatus.confirmed,
            Attendance.minutes > length + 0.5,
        )
    ).all()
    return [
        Finding(
            {"code": Signal.over_length, "minutes": minutes, "length": round(float(shift_len))},
            attendance_id=attendance_id,
        )
        for attendance_id, minutes, shift_len in rows
    ]


def mostly_manual(since: datetime) -> list[Finding]:
    """The hand-entered attendance of activities (shifts) with at least
    ``MOSTLY_MANUAL_AT_LEAST`` attendances where most were entered by hand."""
    manual = or_(
        Attendance.check_in_evidence == Evidence.manual,
        Attendance.check_out_evidence == Evidence.manual,
    )
    counts = (
        select(
            Attendance.shift_id,
            func.count().label("total"),
            func.sum(case((manual, 1), else_=0)).label("by_hand"),
        )
        .join(Shift, Shift.id == Attendance.shift_id)
        .where(
            Shift.starts_at >= since,
            Attendance.status.in_(COUNTED),
            Attendance.checked_in_at.is_not(None),
        )
        .group_by(Attendance.shift_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Attendance.id, counts.c.by_hand, counts.c.total)
        .join(counts, counts.c.shift_id == Attendance.shift_id)
        .where(
            counts.c.total >= MOSTLY_MANUAL_AT_LEAST,
            counts.c.by_hand * 2 > counts.c.total,
            manual,
            Attendance.status.in_(COUNTED),
        )
    ).all()
    return [
        Finding(
            {"code": Signal.mostly_manual, "by_hand": int(by_hand), "total": int(total)},
            attendance_id=attendance_id,
        )
        for attendance_id, by_hand, total in rows
    ]


def overlaps(since: datetime) -> list[Finding]:
    """A volunteer present at two activities at the same time (their times overlap)."""
    other, other_shift = aliased(Attendance), aliased(Shift)
    own_end = func.coalesce(Attendance.checked_out_at, Shift.ends_at)
    other_end = func.coalesce(other.checked_out_at, other_shift.ends_at)
    rows = db.session.execute(
        select(Attendance.id, other.id, other_shift.need_id, other.checked_in_at)
        .join(Shift, Shift.id == Attendance.shift_id)
        .join(other, and_(other.volunteer_id == Attendance.volunteer_id, other.id != Attendance.id))
        .join(other_shift, other_shift.id == other.shift_id)
        .where(
            Shift.starts_at >= since,
            Attendance.status.in_(COUNTED),
            other.status.in_(COUNTED),
            Attendance.checked_in_at.is_not(None),
            other.checked_in_at.is_not(None),
            Attendance.checked_in_at < other_end,
            other.checked_in_at < own_end,
        )
    ).all()
    return [
        Finding(
            {
                "code": Signal.overlap,
                "other_attendance_id": other_id,
                "other_need_id": need_id,
                "other_at": other_at.isoformat() if other_at else None,
            },
            attendance_id=attendance_id,
        )
        for attendance_id, other_id, need_id, other_at in rows
    ]


def same_day_without_scans(since: datetime) -> list[Finding]:
    """The attendance of needs created and completed on the same (local) day where nobody
    scanned a code or a card."""
    scanned = exists().where(
        Attendance.shift_id == Shift.id,
        or_(Attendance.check_in_evidence.in_(SCANNED), Attendance.check_out_evidence.in_(SCANNED)),
    )
    completions = db.session.execute(
        select(Need.id, Need.created_at, func.max(AuditEvent.created_at))
        .join(
            AuditEvent,
            and_(
                AuditEvent.target_type == RefType.need.value,
                AuditEvent.target_id == Need.id,
                AuditEvent.action == "need.completed",
            ),
        )
        .where(
            Need.status == NeedStatus.completed,
            AuditEvent.created_at >= since,
            ~select(Shift.id).where(Shift.need_id == Need.id, scanned).exists(),
        )
        .group_by(Need.id, Need.created_at)
    ).all()
    same_day = {
        need_id: completed
        for need_id, created, completed in completions
        if local_date(created) == local_date(completed)
    }
    if not same_day:
        return []
    rows = db.session.execute(
        select(Attendance.id, Shift.need_id)
        .join(Shift, Shift.id == Attendance.shift_id)
        .where(Shift.need_id.in_(sorted(same_day)), Attendance.status.in_(COUNTED))
    ).all()
    return [
        Finding(
            {"code": Signal.same_day_no_scans, "completed_at": same_day[need_id].isoformat()},
            attendance_id=attendance_id,
        )
        for attendance_id, need_id in rows
    ]


def adjustments(since: datetime) -> list[Finding]:
    """Every points adjustment an admin made by hand (``points.adjust``), in the community
    it was made in."""
    rows = db.session.execute(
        select(
            AuditEvent.data,
            AuditEvent.actor_id,
            AuditEvent.reason,
            AuditEvent.target_id,
            AuditEvent.org_unit_id,
        ).where(AuditEvent.action == "points.adjusted", AuditEvent.created_at >= since)
    ).all()
    found = []
    for data, actor_id, reason, volunteer_id, unit_id in rows:
        entry_id = (data or {}).get("entry_id")
        if entry_id is None or unit_id is None:
            continue
        found.append(
            Finding(
                {
                    "code": Signal.adjustment,
                    "actor_id": actor_id,
                    "reason": reason,
                    "amount": (data or {}).get("amount"),
                },
                entry_id=int(entry_id),
                community_id=unit_id,
                volunteer_id=volunteer_id,
            )
        )
    return found


# Read from the hand entries of the window, fetched once for both.
ENTRY_DETECTORS = (manual_and_back_dated, bursts)
# Each reads what it needs from ``since`` on.
DETECTORS = (
    hours_changed,
    over_length,
    mostly_manual,
    overlaps,
    same_day_without_scans,
    adjustments,
)


def detect(*, now: datetime) -> dict[tuple[str, int], list[Finding]]:
    """Every finding of the window ending at ``now``, by attendance or entry."""
    since = now - WINDOW
    found: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    events = _manual_events(since)
    findings = [f for detector in ENTRY_DETECTORS for f in detector(events)]
    findings += [f for detector in DETECTORS for f in detector(since)]
    for finding in findings:
        found[finding.key].append(finding)
    return found


# --- Explaining a signal ---------------------------------------------------------------


def _hours(minutes) -> str:
    if minutes is None:
        return "?"
    hours = minutes / 60
    return _("%(hours)s h", hours=f"{hours:g}" if hours == int(hours) else f"{hours:.1f}")


def explain(facts: dict, names: dict[int, str], titles: dict[int, str]) -> str:
    """The sentence a reviewer reads for one signal (``names``: people by id, ``titles``:
    needs by id)."""
    who = names.get(facts.get("actor_id") or 0, _("someone"))
    reason = facts.get("reason") or "—"
    match facts.get("code"):
        case Signal.manual:
            if facts.get("side") == "out":
                return _("Check-out entered by hand by %(who)s: 「%(why)s」", who=who, why=reason)
            return _("Check-in entered by hand by %(who)s: 「%(why)s」", who=who, why=reason)
        case Signal.back_dated:
            return _(
                "Entered %(days)s days after the time it records (%(moment)s).",
                days=facts.get("days"),
                moment=local_text(datetime.fromisoformat(facts["records"])),
            )
        case Signal.burst:
            return _(
                "%(who)s entered %(count)d attendances by hand within %(minutes)d minutes.",
                who=who,
                count=facts.get("count", 0),
                minutes=facts.get("minutes", 0),
            )
        case Signal.hours_changed:
            return _(
                "%(who)s changed the hours from %(recorded)s to %(confirmed)s: 「%(why)s」",
                who=who,
                recorded=_hours(facts.get("recorded")),
                confirmed=_hours(facts.get("minutes")),
                why=reason,
            )
        case Signal.over_length:
            return _(
                "%(confirmed)s confirmed for a shift of %(length)s.",
                confirmed=_hours(facts.get("minutes")),
                length=_hours(facts.get("length")),
            )
        case Signal.mostly_manual:
            return _(
                "%(by_hand)d of the %(total)d attendances at this activity were entered by hand.",
                by_hand=facts.get("by_hand", 0),
                total=facts.get("total", 0),
            )
        case Signal.overlap:
            return _(
                "Also present at 「%(title)s」 at the same time (from %(moment)s).",
                title=titles.get(facts.get("other_need_id") or 0, "?"),
                moment=local_text(datetime.fromisoformat(facts["other_at"]))
                if facts.get("other_at")
                else "?",
            )
        case Signal.same_day_no_scans:
            return _(
                "The need was created and completed on the same day, and nobody scanned a "
                "code or a card."
            )
        case Signal.adjustment:
            return _(
                "%(who)s adjusted the points by %(amount)+d: 「%(why)s」",
                who=who,
                amount=facts.get("amount") or 0,
                why=reason,
            )
    return str(facts.get("code"))
