"""在职党员到社区报到: an in-service party member reports to their home community.

The life of a report (``MemberReport``):

- **submitted** (pending) by the member, to their home community only, from the profile
  or by the community's reporting QR. The employer is a unit that has reported somewhere
  on govhub (``partner_id``; ``employer_name`` stays empty) or, when it is not there yet,
  a name (``employer_name``; ``partner_id`` null).
- **confirmed** by an admin of that community, who places the member in one of its grids
  (下沉网格); the term runs to ``terms.term_end`` (a renewal confirmed before the old term
  ends starts the day after it). Or **returned** with a reason; the member reports again.
- **withdrawn** by the member while it is pending.

A member has one report *in hand* at a time: pending, or counting (confirmed, term not
ended). The one exception is a renewal, submitted in the last
``REPORT_RENEWAL_NOTICE_DAYS`` days of the counting report's term (``renewal_of``).
Submitting locks the member's account row, so two submits at the same moment queue and
the second one sees the first (SQLite's BEGIN IMMEDIATE serializes writers anyway).

Decisions are conditional UPDATEs on ``status = pending``: a confirmation racing a return
or a withdrawal leaves exactly one of them.

A free-text employer can be **claimed** by the liaison of a unit whose name matches (see
:func:`names_match`); the report then names the unit (``partner_id`` set, the typed
``employer_name`` kept, which is how a claimed report is told from one chosen from the
list). The member can say no (:func:`refuse_claim`): the link is undone and that unit is
not offered the report again (``ClaimRefusal``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from govhub.accounts import services as accounts
from govhub.accounts.models import User
from govhub.audit import services as audit
from govhub.clock import local_date, show_day
from govhub.database import ServiceError, get_or_raise, required_text, transactional
from govhub.extensions import db
from govhub.names import short_name
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page
from govhub.partners.models import Partner
from govhub.references import RefType
from govhub.reporting import terms
from govhub.reporting.models import ClaimRefusal, MemberReport, ReportChannel, ReportStatus

MAX_REASON = 500
MAX_EMPLOYER = 80
# The shortest name that matches by containment (a unit called "税务局" matches a member's
# "咸安区税务局"); shorter names must match exactly.
MIN_CONTAINED = 3
# How many units the employer list shows at once; the search narrows it.
UNIT_CHOICES = 30


class AlreadyReported(ServiceError):
    """The member already has a report in hand; ``report`` is it (the form links to it)."""

    def __init__(self, message: str, report: MemberReport) -> None:
        super().__init__(message, field="partner_id")
        self.report = report


def _changed(statement) -> int:
    """Run a conditional UPDATE; how many rows it changed (0: it lost a race)."""
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


# --- Reading -------------------------------------------------------------------------


def _in_hand_clause(today: date):
    return or_(
        MemberReport.status == ReportStatus.pending,
        terms.counts_clause(MemberReport, today),
    )


def reports_of(user_id: int) -> list[MemberReport]:
    """The member's reports, newest first (with their grids and the reports they renew)."""
    query = (
        select(MemberReport)
        .where(MemberReport.user_id == user_id)
        .options(selectinload(MemberReport.grid), selectinload(MemberReport.renewal_of))
    )
    return list(db.session.scalars(query.order_by(MemberReport.id.desc())))


def pending_of(user_id: int) -> MemberReport | None:
    query = select(MemberReport).where(
        MemberReport.user_id == user_id, MemberReport.status == ReportStatus.pending
    )
    return db.session.scalars(query.order_by(MemberReport.id.desc())).first()


def counting_of(user_id: int, today: date) -> MemberReport | None:
    """The member's report that counts on ``today`` and runs longest, if any."""
    query = select(MemberReport).where(
        MemberReport.user_id == user_id, terms.counts_clause(MemberReport, today)
    )
    order = (MemberReport.valid_until.desc(), MemberReport.id.desc())
    return db.session.scalars(query.order_by(*order)).first()


def renewal_opens(report: MemberReport) -> date | None:
    """The first day a counting report can be renewed."""
    if report.valid_until is None:
        return None
    notice = current_app.config["REPORT_RENEWAL_NOTICE_DAYS"]
    return report.valid_until - timedelta(days=notice - 1)


@dataclass(frozen=True)
class Standing:
    """Where a member stands today: what the member's page and 我的 show."""

    latest: MemberReport | None  # the newest report, whatever its status
    counting: MemberReport | None
    pending: MemberReport | None
    renewal_opens: date | None  # when the counting report can be renewed

    @property
    def can_report(self) -> bool:
        """Nothing in hand: the member may report (again)."""
        return self.pending is None and self.counting is None

    def can_renew(self, today: date) -> bool:
        return (
            self.pending is None
            and self.counting is not None
            and self.renewal_opens is not None
            and today >= self.renewal_opens
        )


def standing(user_id: int, today: date) -> Standing:
    reports = reports_of(user_id)
    pending = next((r for r in reports if r.status is ReportStatus.pending), None)
    counting = max(
        (r for r in reports if terms.counts(r, today)),
        key=lambda r: (r.valid_until, r.id),
        default=None,
    )
    return Standing(
        latest=reports[0] if reports else None,
        counting=counting,
        pending=pending,
        renewal_opens=renewal_opens(counting) if counting else None,
    )


def employer_choices(today: date, q: str = "", *, limit: int = UNIT_CHOICES) -> list[Partner]:
    """Units that have reported somewhere (``terms.reported_units_query``) whose name
    contains ``q``, by name; at most ``limit``."""
    query = terms.reported_units_query(today)
    q = (q or "").strip()
    if q:
        query = query.where(Partner.name.contains(q, autoescape=True))
    return list(db.session.scalars(query.limit(limit)))


def reported_unit(partner_id: int, today: date) -> Partner | None:
    """The unit ``partner_id`` if a member may choose it as their employer today."""
    query = terms.reported_units_query(today).where(Partner.id == partner_id)
    return db.session.scalars(query).first()


def grids_of(community_id: int) -> list[OrgUnit]:
    query = select(OrgUnit).where(OrgUnit.parent_id == community_id, OrgUnit.level == OrgLevel.grid)
    return list(db.session.scalars(query.order_by(OrgUnit.code, OrgUnit.id)))


def review_queue(
    scope_clause,
    status: ReportStatus | None = ReportStatus.pending,
    cursor: Cursor | None = None,
    *,
    limit: int = PAGE_SIZE,
) -> KeysetPage[MemberReport]:
    """A page of the reports to communities inside ``scope_clause`` (from
    ``permissions.community_admin_scope``), oldest first."""
    query = (
        select(MemberReport)
        .join(OrgUnit, OrgUnit.id == MemberReport.community_id)
        .where(scope_clause)
    )
    if status is not None:
        query = query.where(MemberReport.status == status)
    return keyset_page(query, [MemberReport.id], cursor, descending=False, limit=limit)


def waiting_count_query(community_path: str):
    """SQL (a scalar subquery): members' reports waiting for the community's decision."""
    inside = select(OrgUnit.id).where(OrgUnit.subtree_clause(community_path))
    return (
        select(func.count())
        .select_from(MemberReport)
        .where(
            MemberReport.status == ReportStatus.pending,
            MemberReport.community_id.in_(inside),
        )
        .scalar_subquery()
    )


# --- Submitting ----------------------------------------------------------------------


def _employer(partner_id: int | None, employer_name: str | None, today: date) -> tuple:
    """(partner, free-text name) for a report: a reported unit, or a typed name."""
    if partner_id:
        partner = reported_unit(partner_id, today)
        if partner is None:
            raise ServiceError(
                _("Choose your employer from the list, or type its name if it is not there."),
                field="partner_id",
            )
        return partner, ""
    name = required_text(
        employer_name,
        "employer_name",
        MAX_EMPLOYER,
        _l("Type the name of your employer, or choose it from the list."),
    )
    return None, name


@transactional
def submit(
    user_id: int,
    *,
    community_id: int,
    partner_id: int | None,
    employer_name: str | None = None,
    channel: ReportChannel = ReportChannel.profile,
    now: datetime,
) -> MemberReport:
    """The member reports to ``community_id``, which must be their home community.

    Refused (:class:`AlreadyReported`) while another report is in hand, except a renewal
    in the last days of the counting one's term. Marks the profile as a party member's."""
    # Serialize this member's submits (PostgreSQL): the second one sees the first.
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    user = get_or_raise(User, user_id, _l("No such user."))
    if user.profile is None:
        raise ServiceError(_("Set your home community in your profile first."))
    home = user.profile.community
    if community_id != home.id:
        raise ServiceError(
            _("You report to your home community, %(name)s.", name=home.name), field="partner_id"
        )
    today = local_date(now)
    pending = pending_of(user_id)
    if pending is not None:
        raise AlreadyReported(
            _("Your report to %(name)s is waiting for confirmation.", name=pending.community.name),
            pending,
        )
    counting = counting_of(user_id, today)
    if counting is not None:
        opens = renewal_opens(counting)
        assert counting.valid_until is not None and opens is not None  # it counts
        if counting.community_id != home.id or today < opens:
            raise AlreadyReported(
                _(
                    "You are reported to %(name)s until %(date)s.",
                    name=counting.community.name,
                    date=show_day(counting.valid_until),
                ),
                counting,
            )
    partner, name = _employer(partner_id, employer_name, today)

    report = MemberReport(
        user_id=user_id,
        community_id=home.id,
        partner_id=partner.id if partner else None,
        employer_name=name,
        channel=channel,
        status=ReportStatus.pending,
        submitted_at=now,
        renewal_of_id=counting.id if counting else None,
    )
    db.session.add(report)
    db.session.flush()
    accounts.mark_party_member(user_id, employer_unit=partner.name if partner else name)
    audit.record(
        user_id,
        "member_report.submitted",
        RefType.member_report,
        report.id,
        community_id=home.id,
        partner_id=report.partner_id,
        channel=channel.value,
        renewal_of=report.renewal_of_id,
    ).created_at = now
    return report


@transactional
def withdraw(user_id: int, report_id: int, *, now: datetime) -> MemberReport:
    """The member takes back a report that is still pending."""
    report = get_or_raise(MemberReport, report_id, _l("No such report."))
    if report.user_id != user_id:
        raise ServiceError(_("This is not your report."))
    _leave_pending(
        report,
        status=ReportStatus.withdrawn,
        decided_by_id=user_id,
        decided_at=now,
    )
    audit.record(
        user_id, "member_report.withdrawn", RefType.member_report, report.id
    ).created_at = now
    return report


# --- The community's decision --------------------------------------------------------


def _leave_pending(report: MemberReport, **values) -> None:
    """Move ``report`` out of pending, once: a decision or withdrawal that lost the race
    is refused."""
    moved = _changed(
        update(MemberReport)
        .where(MemberReport.id == report.id, MemberReport.status == ReportStatus.pending)
        .values(**values)
    )
    if moved != 1:
        db.session.refresh(report)
        raise ServiceError(
            _(
                "This report is no longer waiting for confirmation (%(status)s).",
                status=report.status.label,
            )
        )
    db.session.refresh(report)


def _check_decider(actor_id: int, report: MemberReport) -> None:
    if actor_id == report.user_id:
        raise ServiceError(
            _("You cannot decide your own report; another admin of the community does.")
        )


def new_term_end(report: MemberReport, today: date) -> date:
    """The last day ``report`` counts if confirmed ``today``: a renewal of a report still
    counting starts the day after the old term ends."""
    old = report.renewal_of
    if old is not None and terms.counts(old, today):
        assert old.valid_until is not None
        return terms.term_end(old.valid_until + timedelta(days=1))
    return terms.term_end(today)


@transactional
def confirm(actor_id: int, report_id: int, *, grid_id: int | None, now: datetime) -> MemberReport:
    """Confirm the report and place the member in ``grid_id``, a grid of the community."""
    report = get_or_raise(MemberReport, report_id, _l("No such report."))
    _check_decider(actor_id, report)
    grid = db.session.get(OrgUnit, grid_id) if grid_id else None
    if grid is None or grid.level is not OrgLevel.grid or grid.parent_id != report.community_id:
        raise ServiceError(
            _("Choose the grid of %(name)s the member will serve in.", name=report.community.name),
            field="grid_id",
        )
    today = local_date(now)
    valid_until = new_term_end(report, today)
    _leave_pending(
        report,
        status=ReportStatus.confirmed,
        grid_id=grid.id,
        decided_by_id=actor_id,
        decided_at=now,
        reason=None,
        valid_until=valid_until,
    )
    audit.record(
        actor_id,
        "member_report.confirmed",
        RefType.member_report,
        report.id,
        user_id=report.user_id,
        grid_id=grid.id,
        valid_until=valid_until.isoformat(),
    ).created_at = now
    notify(
        report.user_id,
        NotificationKind.member_report_confirmed,
        RefType.member_report,
        report.id,
        community=report.community.name,
        grid=grid.name,
        date=valid_until.isoformat(),
    )
    return report


@transactional
def return_report(
    actor_id: int, report_id: int, *, reason: str | None, now: datetime
) -> MemberReport:
    """Return the report to the member with a reason (they can report again)."""
    report = get_or_raise(MemberReport, report_id, _l("No such report."))
    _check_decider(actor_id, report)
    reason = required_text(
        reason, "reason", MAX_REASON, _l("Give a reason; the member will see it.")
    )
    _leave_pending(
        report,
        status=ReportStatus.returned,
        decided_by_id=actor_id,
        decided_at=now,
        reason=reason,
    )
    audit.record(
        actor_id,
        "member_report.returned",
        RefType.member_report,
        report.id,
        reason=reason,
        user_id=report.user_id,
    ).created_at = now
    notify(
        report.user_id,
        NotificationKind.member_report_returned,
        RefType.member_report,
        report.id,
        community=report.community.name,
        reason=reason,
    )
    return report


# --- A unit's liaison claims a free-text employer ------------------------------------


def employer_key(name: str) -> str:
    """``name`` as compared: full-width letters and digits as half-width (NFKC), case
    folded, without spaces (also the ideographic space) or punctuation."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "ZPC")


def names_match(unit_name: str, employer_name: str) -> bool:
    """Whether a member's typed employer may be the unit: the same name once normalised
    (:func:`employer_key`), or one containing the other when the contained one has at
    least ``MIN_CONTAINED`` characters ("区税务局" and "咸安区税务局")."""
    unit, typed = employer_key(unit_name), employer_key(employer_name)
    if not unit or not typed:
        return False
    if unit == typed:
        return True
    shorter, longer = sorted((unit, typed), key=len)
    return len(shorter) >= MIN_CONTAINED and shorter in longer


@dataclass(frozen=True)
class Candidate:
    """A free-text report a liaison may claim, with only what they may see before."""

    report_id: int
    short_name: str
    community: str


def _claimable_clause(partner_id: int, today: date):
    refused = exists().where(
        ClaimRefusal.member_report_id == MemberReport.id, ClaimRefusal.partner_id == partner_id
    )
    return (
        MemberReport.partner_id.is_(None),
        MemberReport.employer_name != "",
        _in_hand_clause(today),
        ~refused,
    )


def claim_candidates(partner_id: int, today: date) -> list[Candidate]:
    """Free-text reports in hand (in every community) whose employer name matches the
    unit's, that no member has said no to for this unit; oldest first.

    The names are compared in Python (NFKC has no SQL form on SQLite), over the free-text
    reports only: two small columns, then the matching rows."""
    partner = get_or_raise(Partner, partner_id, _l("No such partner."))
    rows = db.session.execute(
        select(MemberReport.id, MemberReport.employer_name)
        .where(*_claimable_clause(partner_id, today))
        .order_by(MemberReport.id)
    ).all()
    matching = [report_id for report_id, typed in rows if names_match(partner.name, typed)]
    if not matching:
        return []
    reports = db.session.scalars(
        select(MemberReport).where(MemberReport.id.in_(matching)).order_by(MemberReport.id)
    )
    return [Candidate(r.id, short_name(r.user.name), r.community.name) for r in reports]


@transactional
def claim_for_unit(
    actor_id: int, partner_id: int, report_id: int, *, now: datetime
) -> MemberReport:
    """The unit's liaison says the report's typed employer is their unit."""
    partner = get_or_raise(Partner, partner_id, _l("No such partner."))
    today = local_date(now)
    if not terms.is_liaison(get_or_raise(User, actor_id, _l("No such user.")), partner.id, today):
        raise ServiceError(_("Only the unit's liaison can claim members for it."))
    report = get_or_raise(MemberReport, report_id, _l("No such report."))
    if not names_match(partner.name, report.employer_name):
        raise ServiceError(_("This member's employer does not match your unit's name."))
    claimed = _changed(
        update(MemberReport)
        .where(MemberReport.id == report.id, *_claimable_clause(partner.id, today))
        .values(partner_id=partner.id)
    )
    if claimed != 1:
        raise ServiceError(_("This report can no longer be claimed: it was claimed or closed."))
    db.session.refresh(report)
    audit.record(
        actor_id,
        "member_report.claimed",
        RefType.member_report,
        report.id,
        partner_id=partner.id,
    ).created_at = now
    notify(
        report.user_id,
        NotificationKind.member_report_claimed,
        RefType.member_report,
        report.id,
        partner=partner.name,
        community=report.community.name,
    )
    return report


@transactional
def refuse_claim(user_id: int, report_id: int, *, now: datetime) -> MemberReport:
    """The member says the unit that claimed their report is not their employer: the
    report names their typed employer again and that unit is not offered it again."""
    report = get_or_raise(MemberReport, report_id, _l("No such report."))
    if report.user_id != user_id:
        raise ServiceError(_("This is not your report."))
    partner_id = report.partner_id
    if partner_id is None or not report.employer_name:
        raise ServiceError(_("No unit has claimed this report."))
    undone = _changed(
        update(MemberReport)
        .where(MemberReport.id == report.id, MemberReport.partner_id == partner_id)
        .values(partner_id=None)
    )
    if undone != 1:
        raise ServiceError(_("No unit has claimed this report."))
    db.session.add(ClaimRefusal(member_report_id=report.id, partner_id=partner_id, refused_at=now))
    db.session.refresh(report)
    audit.record(
        user_id,
        "member_report.claim_refused",
        RefType.member_report,
        report.id,
        partner_id=partner_id,
    ).created_at = now
    return report


def was_claimed(report: MemberReport) -> bool:
    """The report names a unit because its liaison claimed it (the member typed a name)."""
    return report.partner_id is not None and bool(report.employer_name)
