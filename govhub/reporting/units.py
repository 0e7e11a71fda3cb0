"""驻区单位到社区报到: a stationed unit reports to a community, which confirms or returns it.

Life of a report (``UnitReport``)::

    pending ──confirm──▶ confirmed ──(valid_until passes)──▶ lapsed (no write: it stops
       │  ╲                 │                                counting, pages say 已过期)
       │   return            └──withdraw──▶ withdrawn
       │     ╲
       │      returned ──resubmit (corrected, the same row)──▶ pending
       └──withdraw──▶ withdrawn

A unit has at most one pending-or-counting report per community. Two staff submitting
at the same moment are serialised on the unit's row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already queues writers), so the second sees the
first's report and is refused. Every change of status is a conditional UPDATE from the
status it expects, so two admins deciding at once, or a decision racing a withdrawal,
leave exactly one outcome.

Renewal: from ``REPORT_RENEWAL_NOTICE_DAYS`` before a confirmed report ends, the unit
files a new pending report with ``renewal_of`` set. When it is confirmed before the old
term ends, its term starts the day after the old one ends (no gap, no overlap);
confirmed later, it starts on the day it is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, or_, select, update

from govhub.accounts import services as accounts
from govhub.accounts.models import Role, RoleAssignment, User
from govhub.audit import services as audit
from govhub.clock import local_date
from govhub.database import (
    NotFound,
    ServiceError,
    get_or_raise,
    required_text,
    transactional,
)
from govhub.extensions import db
from govhub.names import short_name
from govhub.needs.models import Category
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from govhub.references import RefType
from govhub.reporting import terms
from govhub.reporting.models import ReportStatus, UnitReport
from govhub.resources.models import Resource, ResourceStatus
from govhub.tokens import TokenRefused, read_unit_report_token

MAX_NOTE = 500
MAX_REASON = 500
MAX_PARTY_MEMBERS = 100_000
# Resources a unit can name on a report: still on the list with something left.
OFFERED = (ResourceStatus.offered, ResourceStatus.committed)
# The largest id a token may name (the databases' INTEGER); a larger one is not ours.
MAX_ID = 2**31 - 1


@dataclass
class ReportInput:
    """What the unit's staff fill in (from the form, or a test)."""

    community_id: int | None
    liaison_phone: str
    party_members: int | None
    resource_ids: list[int] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    note: str = ""


# --- Reading -------------------------------------------------------------------------


def masked_name(user: User) -> str:
    """A name to confirm a person by without showing it whole: 王*明, 李*, A***."""
    return short_name(user.name)


def find_liaison(phone: str) -> User | None:
    """The active account with this mobile number, or None."""
    user = accounts.find_by_phone(phone or "")
    return user if user is not None and user.is_active else None


def offered_resources(partner_id: int) -> list[Resource]:
    """The unit's resources it can name on a report, in the order it listed them."""
    query = select(Resource).where(Resource.partner_id == partner_id, Resource.status.in_(OFFERED))
    return list(db.session.scalars(query.order_by(Resource.id)))


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.id)))


def reports_of(partner_id: int) -> list[UnitReport]:
    """Every report of the unit, in every community, newest first."""
    query = select(UnitReport).where(UnitReport.partner_id == partner_id)
    return list(db.session.scalars(query.order_by(UnitReport.id.desc())))


def blocking_report(
    partner_id: int, community_id: int, today: date, *, besides: tuple[int | None, ...] = ()
) -> UnitReport | None:
    """The unit's pending or counting report to the community (other than ``besides``),
    which stops it from filing another."""
    query = select(UnitReport).where(
        UnitReport.partner_id == partner_id,
        UnitReport.community_id == community_id,
        or_(
            UnitReport.status == ReportStatus.pending,
            terms.counts_clause(UnitReport, today),
        ),
    )
    ids = [report_id for report_id in besides if report_id is not None]
    if ids:
        query = query.where(UnitReport.id.not_in(ids))
    return db.session.scalars(query.order_by(UnitReport.id.desc())).first()


def renewal(report: UnitReport) -> UnitReport | None:
    """The live renewal of ``report`` (pending, returned or confirmed), if any."""
    query = select(UnitReport).where(
        UnitReport.renewal_of_id == report.id,
        UnitReport.status.in_(
            [ReportStatus.pending, ReportStatus.returned, ReportStatus.confirmed]
        ),
    )
    return db.session.scalars(query.order_by(UnitReport.id.desc())).first()


def renewal_opens(report: UnitReport) -> date | None:
    """The first day the unit may renew ``report`` (None: it was never confirmed)."""
    if report.valid_until is None:
        return None
    return report.valid_until - timedelta(days=current_app.config["REPORT_RENEWAL_NOTICE_DAYS"])


def can_renew(report: UnitReport, today: date) -> bool:
    """Confirmed, inside the renewal window (or already lapsed), and not renewed yet."""
    opens = renewal_opens(report)
    return (
        report.status is ReportStatus.confirmed
        and opens is not None
        and today >= opens
        and renewal(report) is None
    )


def can_withdraw(report: UnitReport, today: date) -> bool:
    """Pending, or confirmed and still counting (a lapsed report has nothing to end)."""
    return report.status is ReportStatus.pending or terms.counts(report, today)


def term_start(report: UnitReport) -> date | None:
    """The first day of the report's term: the day after the renewed report ended, when
    it was confirmed before that; else the day it was confirmed."""
    if report.valid_until is None or report.decided_at is None:
        return None  # never confirmed
    confirmed_on = local_date(report.decided_at)
    previous = report.renewal_of
    if previous is not None and previous.valid_until is not None:
        return _next_term_start(previous.valid_until, confirmed_on)
    return confirmed_on


def _next_term_start(previous_end: date, confirmed_on: date) -> date:
    """A renewal confirmed before the old term ends starts the day after it (no gap, no
    overlap); one confirmed later starts on the day it is confirmed."""
    return previous_end + timedelta(days=1) if confirmed_on <= previous_end else confirmed_on


class Standing:
    """What a report's verification page says about it today."""

    counts = "counts"
    lapsed = "lapsed"
    withdrawn = "withdrawn"
    not_confirmed = "not_confirmed"


def standing(report: UnitReport, today: date) -> str:
    if terms.counts(report, today):
        return Standing.counts
    if report.status is ReportStatus.withdrawn and report.valid_until is not None:
        return Standing.withdrawn
    if report.status is ReportStatus.confirmed:
        return Standing.lapsed
    return Standing.not_confirmed


def shown_status(report: UnitReport, today: date) -> str:
    """The status a page shows: a confirmed report past its term reads 已过期 (lapsed)."""
    if report.status is ReportStatus.confirmed and not terms.counts(report, today):
        return _("Lapsed")
    return report.status.label


def verify(token: str) -> UnitReport:
    """The report a receipt's QR token names, or NotFound (forged, altered, or naming a
    report that was never confirmed)."""
    try:
        report_id = read_unit_report_token(token)
    except TokenRefused:
        raise NotFound(_("This code was not issued by us or has been altered.")) from None
    report = db.session.get(UnitReport, report_id) if 0 < report_id <= MAX_ID else None
    if report is None or report.valid_until is None:
        raise NotFound(_("No confirmed report with this code exists."))
    return report


def review_queue(
    scope_clause, cursor: Cursor | None = None, *, limit: int = PAGE_SIZE
) -> KeysetPage[UnitReport]:
    """Pending reports to the communities inside ``scope_clause`` (a condition on
    ``OrgUnit``, from ``permissions.community_admin_scope``), oldest first."""
    query = (
        select(UnitReport)
        .join(OrgUnit, OrgUnit.id == UnitReport.community_id)
        .where(scope_clause, UnitReport.status == ReportStatus.pending)
    )
    return keyset_page(query, [UnitReport.id], cursor, descending=False, limit=limit)


def changed_rows(statement) -> int:
    """Run a conditional UPDATE and say how many rows it changed."""
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


# --- Checking what was filled in ------------------------------------------------------


@dataclass
class _Checked:
    community: OrgUnit
    liaison: User
    party_members: int
    resources: list[Resource]
    categories: list[Category]
    note: str


def _check(partner: Partner, data: ReportInput) -> _Checked:
    community = db.session.get(OrgUnit, data.community_id) if data.community_id else None
    if community is None or community.level is not OrgLevel.community:
        raise ServiceError(_("Choose the community you report to."), field="community_id")
    liaison = find_liaison(data.liaison_phone)
    if liaison is None:
        raise ServiceError(
            _(
                "No one has registered with this mobile number. The liaison needs a govhub "
                "account first."
            ),
            field="liaison_phone",
        )
    members = data.party_members
    if members is None or not 0 <= members <= MAX_PARTY_MEMBERS:
        raise ServiceError(
            _("Enter a number from 0 to %(max)d.", max=MAX_PARTY_MEMBERS), field="party_members"
        )
    resource_ids = sorted(set(data.resource_ids))
    resources = (
        list(db.session.scalars(select(Resource).where(Resource.id.in_(resource_ids))))
        if resource_ids
        else []
    )
    if len(resources) != len(resource_ids) or any(
        r.partner_id != partner.id or r.status not in OFFERED for r in resources
    ):
        raise ServiceError(
            _("Choose among the resources your unit has on offer."), field="resource_ids"
        )
    category_ids = sorted(set(data.category_ids))
    chosen = (
        list(db.session.scalars(select(Category).where(Category.id.in_(category_ids))))
        if category_ids
        else []
    )
    if len(chosen) != len(category_ids):
        raise ServiceError(_("Choose among the kinds of need listed."), field="category_ids")
    note = (data.note or "").strip()
    if len(note) > MAX_NOTE:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_NOTE), field="note")
    return _Checked(
        community,
        liaison,
        members,
        sorted(resources, key=lambda r: r.id),
        sorted(chosen, key=lambda c: c.id),
        note,
    )


def _locked_unit(partner_id: int) -> Partner:
    """The unit, its row locked until the transaction ends (PostgreSQL), so two
    submissions for it run one after the other and the second sees the first."""
    db.session.execute(select(Partner.id).where(Partner.id == partner_id).with_for_update())
    partner = get_or_raise(Partner, partner_id, _l("No such unit."))
    if partner.kind is not PartnerKind.unit or partner.status is not PartnerStatus.approved:
        raise ServiceError(_("Only an approved stationed unit can report to a community."))
    return partner


def _refuse_duplicate(partner: Partner, community: OrgUnit, today: date, *besides) -> None:
    existing = blocking_report(partner.id, community.id, today, besides=besides)
    if existing is not None:
        raise DuplicateReport(existing)


class DuplicateReport(ServiceError):
    """The unit already has a pending or counting report to this community; ``report``
    is it (the form links to it)."""

    def __init__(self, report: UnitReport) -> None:
        super().__init__(
            _(
                "%(unit)s already has a report to %(community)s that is %(status)s.",
                unit=report.partner.name,
                community=report.community.name,
                status=report.status.label,
            ),
            field="community_id",
        )
        self.report_id = report.id


def _is_staff(user_id: int, partner_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == user_id,
                RoleAssignment.role == Role.partner_staff,
                RoleAssignment.partner_id == partner_id,
            )
        )
    )


def _require_staff(actor_id: int, partner: Partner) -> None:
    if not _is_staff(actor_id, partner.id):
        raise ServiceError(_("Only the unit's own staff can report for it."))


# --- Submitting, correcting, renewing, withdrawing -----------------------------------


@transactional
def submit(
    actor_id: int,
    partner_id: int,
    data: ReportInput,
    *,
    now: datetime,
    renewal_of_id: int | None = None,
) -> UnitReport:
    """File the unit's report to a community; it waits for the community's confirmation.

    ``renewal_of_id``: the confirmed report this one renews (the same community), inside
    its renewal window."""
    partner = _locked_unit(partner_id)
    _require_staff(actor_id, partner)
    checked = _check(partner, data)
    today = local_date(now)
    previous = None
    if renewal_of_id is not None:
        previous = get_or_raise(UnitReport, renewal_of_id, _l("No such report."))
        if previous.partner_id != partner.id or not can_renew(previous, today):
            raise ServiceError(_("This report cannot be renewed now."))
        if checked.community.id != previous.community_id:
            raise ServiceError(
                _(
                    "A renewal is to the same community: %(community)s.",
                    community=previous.community.name,
                ),
                field="community_id",
            )
    _refuse_duplicate(partner, checked.community, today, renewal_of_id)
    report = UnitReport(
        partner_id=partner.id,
        community_id=checked.community.id,
        liaison_id=checked.liaison.id,
        party_members=checked.party_members,
        note=checked.note,
        status=ReportStatus.pending,
        submitted_by_id=actor_id,
        submitted_at=now,
        renewal_of_id=renewal_of_id,
        resources=checked.resources,
        categories=checked.categories,
    )
    db.session.add(report)
    db.session.flush()
    audit.record(
        actor_id,
        "unit_report.renewed" if previous is not None else "unit_report.submitted",
        RefType.unit_report,
        report.id,
        partner_id=partner.id,
        community_id=checked.community.id,
        renewal_of=renewal_of_id,
    )
    return report


@transactional
def resubmit(actor_id: int, report_id: int, data: ReportInput, *, now: datetime) -> UnitReport:
    """Correct a returned report and send it again (the same report, pending again)."""
    report = get_or_raise(UnitReport, report_id, _l("No such report."))
    partner = _locked_unit(report.partner_id)
    _require_staff(actor_id, partner)
    if report.status is not ReportStatus.returned:
        raise ServiceError(_("Only a returned report can be corrected and sent again."))
    checked = _check(partner, data)
    if report.renewal_of_id is not None and checked.community.id != report.community_id:
        raise ServiceError(
            _(
                "A renewal is to the same community: %(community)s.",
                community=report.community.name,
            ),
            field="community_id",
        )
    _refuse_duplicate(partner, checked.community, local_date(now), report.id, report.renewal_of_id)
    moved = changed_rows(
        update(UnitReport)
        .where(UnitReport.id == report.id, UnitReport.status == ReportStatus.returned)
        .values(status=ReportStatus.pending)
    )
    if moved != 1:
        raise ServiceError(_("Only a returned report can be corrected and sent again."))
    db.session.refresh(report)
    report.community_id = checked.community.id
    report.liaison_id = checked.liaison.id
    report.party_members = checked.party_members
    report.note = checked.note
    report.resources = checked.resources
    report.categories = checked.categories
    report.submitted_by_id = actor_id
    report.submitted_at = now
    report.decided_by_id = None
    report.decided_at = None
    returned_for, report.reason = report.reason, None  # the audit trail keeps it
    audit.record(
        actor_id,
        "unit_report.resubmitted",
        RefType.unit_report,
        report.id,
        community_id=checked.community.id,
        returned_for=returned_for,
    )
    return report


@transactional
def withdraw(actor_id: int, report_id: int, *, now: datetime) -> UnitReport:
    """The unit takes back a pending report, or ends a counting one early (it stops
    counting at once; its receipt then verifies as withdrawn)."""
    report = get_or_raise(UnitReport, report_id, _l("No such report."))
    _require_staff(actor_id, report.partner)
    was = report.status
    moved = changed_rows(
        update(UnitReport)
        .where(
            UnitReport.id == report.id,
            or_(
                UnitReport.status == ReportStatus.pending,
                terms.counts_clause(UnitReport, local_date(now)),
            ),
        )
        .values(status=ReportStatus.withdrawn)
    )
    if moved != 1:
        raise ServiceError(
            _("This report is %(status)s and cannot be withdrawn.", status=report.status.label)
        )
    db.session.refresh(report)
    audit.record(actor_id, "unit_report.withdrawn", RefType.unit_report, report.id, was=was.value)
    return report


# --- The community's decision --------------------------------------------------------


def _decide(actor_id: int, report_id: int, now: datetime, **values) -> UnitReport:
    report = get_or_raise(UnitReport, report_id, _l("No such report."))
    if actor_id in (report.submitted_by_id, report.liaison_id):
        raise ServiceError(
            _(
                "You submitted this report or are its liaison: another admin of the "
                "community decides it."
            )
        )
    moved = changed_rows(
        update(UnitReport)
        .where(UnitReport.id == report.id, UnitReport.status == ReportStatus.pending)
        .values(decided_by_id=actor_id, decided_at=now, **values)
    )
    if moved != 1:
        db.session.refresh(report)
        raise ServiceError(
            _("This report has already been handled (%(status)s).", status=report.status.label)
        )
    db.session.refresh(report)
    return report


def recipients(report: UnitReport) -> list[int]:
    """Who hears about a report: the unit's staff and its liaison, each once."""
    return sorted({*partners.staff_ids(report.partner_id), report.liaison_id})


def new_term_end(report: UnitReport, today: date) -> date:
    """The last day the report counts if confirmed ``today``."""
    previous = report.renewal_of
    if previous is not None and previous.valid_until is not None:
        return terms.term_end(_next_term_start(previous.valid_until, today))
    return terms.term_end(today)


@transactional
def confirm(actor_id: int, report_id: int, *, now: datetime) -> UnitReport:
    """The community confirms the report: it counts until the end of its term."""
    report = get_or_raise(UnitReport, report_id, _l("No such report."))
    valid_until = new_term_end(report, local_date(now))
    report = _decide(
        actor_id,
        report_id,
        now,
        status=ReportStatus.confirmed,
        valid_until=valid_until,
        reason=None,
    )
    audit.record(
        actor_id,
        "unit_report.confirmed",
        RefType.unit_report,
        report.id,
        valid_until=valid_until.isoformat(),
    )
    for user_id in recipients(report):
        notify(
            user_id,
            NotificationKind.unit_report_confirmed,
            RefType.unit_report,
            report.id,
            partner=report.partner.name,
            title=report.community.name,
            date=valid_until.isoformat(),
        )
    return report


@transactional
def return_report(
    actor_id: int, report_id: int, reason: str | None, *, now: datetime
) -> UnitReport:
    """The community returns the report for correction, with a reason the unit sees."""
    reason = required_text(
        reason,
        "reason",
        MAX_REASON,
        _l("Give a reason; the unit will see it and correct the report."),
    )
    report = _decide(actor_id, report_id, now, status=ReportStatus.returned, reason=reason)
    audit.record(actor_id, "unit_report.returned", RefType.unit_report, report.id, reason=reason)
    for user_id in recipients(report):
        notify(
            user_id,
            NotificationKind.unit_report_returned,
            RefType.unit_report,
            report.id,
            partner=report.partner.name,
            title=report.community.name,
            reason=reason,
        )
    return report
