"""The quarterly service cards (服务登记卡): a community issues them, the unit receives them.

``issue_quarter`` writes one card per member whose report to the community counted in the
quarter (confirmed on or before the quarter's last day, ``valid_until`` on or after its
first day; the member's latest such report), with the figures as of issue: confirmed
minutes of the quarter, of the year up to the quarter's end, the claims of the quarter
and the yearly target (``figures``). It is one ``INSERT … SELECT … ON CONFLICT DO
NOTHING`` on the card's UNIQUE (member report, year, quarter): issuing again, or two
admins issuing at the same moment, creates no card twice and never changes one already
issued. A quarter that has not ended cannot be issued. An admin's own card is left for
another admin of the community (separation of duties).

``receive`` marks a card received by the unit's liaison once: a conditional UPDATE on
``received_at IS NULL``; the second time changes nothing.

Each card's QR names it with a signed token (``tokens.service_card_token``); ``verify``
reads it for the public page that confirms a card is genuine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from govhub.audit import services as audit
from govhub.clock import local_date, local_days
from govhub.database import MAX_DB_INT, NotFound, ServiceError, transactional
from govhub.extensions import db
from govhub.needs.models import Claim, ClaimStatus, Shift
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.references import RefType
from govhub.reporting import figures
from govhub.reporting.models import MemberReport, ReportStatus, ServiceCard
from govhub.tokens import TokenRefused, read_service_card_token


@dataclass(frozen=True)
class Issued:
    issued: int  # cards written now
    members: int  # members whose report counted in the quarter
    own_left: bool  # the admin's own card was left for another admin


def quarter_ended(year: int, quarter: int, today: date) -> bool:
    return figures.quarter_days(year, quarter)[1] < today


def _counted_in_quarter(community_id: int, first: date, last: date):
    """Ids of the latest report per member to ``community_id`` that counted at some time
    in the local days ``first`` to ``last``."""
    _start, end = local_days(last, last)
    return (
        select(func.max(MemberReport.id))
        .where(
            MemberReport.community_id == community_id,
            MemberReport.status == ReportStatus.confirmed,
            MemberReport.decided_at < end,
            MemberReport.valid_until >= first,
        )
        .group_by(MemberReport.user_id)
    )


def _check_quarter(year: int, quarter: int, today: date) -> None:
    if not 1 <= quarter <= 4:
        raise ServiceError(_("Choose a quarter from 1 to 4."), field="quarter")
    if not figures.FIRST_YEAR <= year <= today.year:
        raise ServiceError(
            _(
                "Choose a year from %(first)d to %(last)d.",
                first=figures.FIRST_YEAR,
                last=today.year,
            ),
            field="year",
        )
    if not quarter_ended(year, quarter, today):
        raise ServiceError(
            _("This quarter has not ended yet: its cards can be issued after its last day."),
            field="quarter",
        )


@transactional
def issue_quarter(
    actor_id: int, community_id: int, year: int, quarter: int, *, now: datetime
) -> Issued:
    """Issue the quarter's service cards of ``community_id``. The caller checks the actor
    administers the community."""
    today = local_date(now)
    _check_quarter(year, quarter, today)
    community = db.session.get(OrgUnit, community_id)
    if community is None or community.level is not OrgLevel.community:
        raise NotFound(_("No such community."))

    first, last = figures.quarter_days(year, quarter)
    quarter_minutes = figures.minutes_by_volunteer(first, last)
    year_minutes = figures.minutes_by_volunteer(date(year, 1, 1), last)
    start, end = local_days(first, last)
    claims = (
        select(Claim.volunteer_id.label("volunteer_id"), func.count().label("claims"))
        .join(Shift, Shift.id == Claim.shift_id)
        .where(
            Claim.status == ClaimStatus.confirmed,
            Shift.starts_at >= start,
            Shift.starts_at < end,
        )
        .group_by(Claim.volunteer_id)
        .subquery()
    )
    reports = _counted_in_quarter(community_id, first, last)
    members = int(db.session.scalar(select(func.count()).select_from(reports.subquery())) or 0)
    own_left = bool(
        db.session.scalar(
            select(func.count()).where(
                MemberReport.id.in_(reports), MemberReport.user_id == actor_id
            )
        )
    )
    columns = [
        "member_report_id",
        "user_id",
        "partner_id",
        "community_id",
        "year",
        "quarter",
        "quarter_minutes",
        "year_minutes",
        "target_minutes",
        "claims",
        "issued_by_id",
        "issued_at",
    ]
    source = (
        select(
            MemberReport.id,
            MemberReport.user_id,
            MemberReport.partner_id,
            MemberReport.community_id,
            literal(year),
            literal(quarter),
            func.coalesce(quarter_minutes.c.minutes, 0),
            func.coalesce(year_minutes.c.minutes, 0),
            literal(figures.target_minutes()),
            func.coalesce(claims.c.claims, 0),
            literal(actor_id),
            literal(now),
        )
        .outerjoin(quarter_minutes, quarter_minutes.c.volunteer_id == MemberReport.user_id)
        .outerjoin(year_minutes, year_minutes.c.volunteer_id == MemberReport.user_id)
        .outerjoin(claims, claims.c.volunteer_id == MemberReport.user_id)
        .where(MemberReport.id.in_(reports), MemberReport.user_id != actor_id)
    )
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ServiceCard)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["member_report_id", "year", "quarter"])
        .returning(ServiceCard.id)
    )
    issued = len(db.session.execute(statement).all())
    if issued:
        audit.record(
            actor_id,
            "service_cards.issued",
            RefType.org_unit,
            community_id,
            year=year,
            quarter=quarter,
            issued=issued,
        )
    return Issued(issued=issued, members=members, own_left=own_left)


@transactional
def receive(actor_id: int, card_id: int, *, now: datetime) -> bool:
    """Mark the card received by the unit (once). True when this call received it, False
    when it had been received already. The caller checks the actor is the unit's liaison."""
    card = db.session.get(ServiceCard, card_id)
    if card is None:
        raise NotFound(_("No such service card."))
    if card.user_id == actor_id:
        raise ServiceError(
            _("You cannot receive your own service card: another liaison does that.")
        )
    changed = cast(
        CursorResult[Any],
        db.session.execute(
            update(ServiceCard)
            .where(ServiceCard.id == card_id, ServiceCard.received_at.is_(None))
            .values(received_at=now, received_by_id=actor_id)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if changed:
        audit.record(actor_id, "service_card.received", RefType.service_card, card_id)
    return bool(changed)


def verify(token: str) -> ServiceCard:
    """The card a QR token names, or NotFound when the token is forged or altered (or the
    card no longer exists)."""
    try:
        card_id = read_service_card_token(token)
    except TokenRefused:
        raise NotFound(_("This code was not issued by us or has been altered.")) from None
    if not 0 < card_id <= MAX_DB_INT:
        raise NotFound(_("This code was not issued by us or has been altered."))
    card = db.session.get(ServiceCard, card_id)
    if card is None:
        raise NotFound(_("No service card with this code exists."))
    return card


def _cards(*conditions) -> list[ServiceCard]:
    query = (
        select(ServiceCard)
        .where(*conditions)
        .options(
            joinedload(ServiceCard.user),
            joinedload(ServiceCard.partner),
            joinedload(ServiceCard.member_report).joinedload(MemberReport.grid),
            joinedload(ServiceCard.community),
        )
        .order_by(ServiceCard.year.desc(), ServiceCard.quarter.desc(), ServiceCard.id)
    )
    return list(db.session.scalars(query).unique())


def unit_cards(partner_id: int, year: int, quarter: int) -> list[ServiceCard]:
    """The cards issued to a unit for one quarter."""
    return _cards(
        ServiceCard.partner_id == partner_id,
        ServiceCard.year == year,
        ServiceCard.quarter == quarter,
    )


def community_cards(community_id: int, year: int, quarter: int) -> list[ServiceCard]:
    """The cards a community issued for one quarter."""
    return _cards(
        ServiceCard.community_id == community_id,
        ServiceCard.year == year,
        ServiceCard.quarter == quarter,
    )


def unit_quarters(partner_id: int) -> list[tuple[int, int, int, int]]:
    """(year, quarter, cards, not received) of every quarter with cards for the unit,
    newest first (one grouped query)."""
    query = (
        select(
            ServiceCard.year,
            ServiceCard.quarter,
            func.count(),
            func.count().filter(ServiceCard.received_at.is_(None)),
        )
        .where(ServiceCard.partner_id == partner_id)
        .group_by(ServiceCard.year, ServiceCard.quarter)
        .order_by(ServiceCard.year.desc(), ServiceCard.quarter.desc())
    )
    return [(int(y), int(q), int(n), int(w or 0)) for y, q, n, w in db.session.execute(query)]


def last_ended_quarter(today: date) -> tuple[int, int]:
    quarter = figures.quarter_of(today) - 1
    return (today.year, quarter) if quarter else (today.year - 1, 4)
