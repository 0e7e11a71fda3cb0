"""The liaison's page (联络员), the quarterly service cards (服务登记卡) and the reporting
figures (the yearly target and the completion line).

- ``/liaison/``: the units the user is the liaison of; ``/liaison/units/<id>``: the unit's
  members' service, commitments and held places; ``.../cards``: the cards to receive.
- ``/liaison/communities/<id>/cards``: a community admin issues a quarter's cards.
- ``/liaison/cards/<id>``: a printable card; ``/liaison/cards/verify/<token>``: public.
- ``/liaison/figures/<unit id>``: the figures of a community, or of an oversight admin's
  street, district or city broken down by community.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from govhub import permissions
from govhub.clock import local_today
from govhub.database import NotFound, ServiceError, utcnow
from govhub.forms import arg_int, form_status, show_service_error
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner
from govhub.permissions import Action
from govhub.problem import problem_page
from govhub.qr import png_response, qr_png
from govhub.reporting import cards, figures, liaison, terms
from govhub.reporting.card_forms import QuarterForm, YearFilter
from govhub.reporting.models import ServiceCard
from govhub.tokens import service_card_token
from govhub.urls import external_url

bp = Blueprint("liaison", __name__, url_prefix="/liaison")


# --- The liaison's page --------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    units = terms.liaison_units(current_user, local_today())
    if len(units) == 1:
        return redirect(url_for("liaison.unit", partner_id=units[0].id), 303)
    return render_template("reporting/liaison_index.html", units=units)


@bp.get("/units/<int:partner_id>")
def unit(partner_id: int):
    partner = permissions.get_or_403(Partner, partner_id, Action.VIEW_UNIT_SERVICE)
    service = liaison.unit_service(partner.id, today=local_today())
    response = render_template("reporting/liaison_unit.html", partner=partner, service=service)
    return response, 200, {"Cache-Control": "private, no-store"}


def _quarter_args(default: tuple[int, int]) -> tuple[int, int]:
    today = local_today()
    year = arg_int("year", None, figures.FIRST_YEAR, today.year)
    quarter = arg_int("quarter", None, 1, 4)
    if year is None or quarter is None:
        return default
    return year, quarter


@bp.get("/units/<int:partner_id>/cards")
def unit_cards(partner_id: int):
    partner = permissions.get_or_403(Partner, partner_id, Action.VIEW_UNIT_SERVICE)
    quarters = cards.unit_quarters(partner.id)
    default = quarters[0][:2] if quarters else cards.last_ended_quarter(local_today())
    year, quarter = _quarter_args(default)
    listed = cards.unit_cards(partner.id, year, quarter)
    # The viewer is the unit's liaison (checked above): RECEIVE_SERVICE_CARD then only
    # leaves out their own card.
    receivable = {c.id for c in listed if c.received_at is None and c.user_id != current_user.id}
    return render_template(
        "reporting/card_list.html",
        partner=partner,
        quarters=quarters,
        year=year,
        quarter=quarter,
        cards=listed,
        receivable=receivable,
    )


@bp.post("/cards/<int:card_id>/receive")
def receive_card(card_id: int):
    card = permissions.get_or_403(ServiceCard, card_id, Action.RECEIVE_SERVICE_CARD)
    back = url_for(
        "liaison.unit_cards", partner_id=card.partner_id, year=card.year, quarter=card.quarter
    )
    try:
        received = cards.receive(current_user.id, card.id, now=utcnow())
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(back, 303)
    if received:
        flash(_("Card of %(name)s received.", name=card.user.name), "success")
    else:
        flash(_("This card had already been received."), "info")
    return redirect(back, 303)


# --- A card --------------------------------------------------------------------------


def _verify_url(card: ServiceCard) -> str:
    return external_url("liaison.verify_card", token=service_card_token(card.id))


@bp.get("/cards/<int:card_id>")
def card(card_id: int):
    card = permissions.get_or_403(ServiceCard, card_id, Action.VIEW_SERVICE_CARD)
    can_receive = permissions.can(current_user, Action.RECEIVE_SERVICE_CARD, card)
    return render_template(
        "reporting/card_show.html",
        card=card,
        verify_url=_verify_url(card),
        can_receive=can_receive,
        quarter_days=figures.quarter_days(card.year, card.quarter),
    )


@bp.get("/cards/<int:card_id>/qr.png")
def card_qr(card_id: int):
    card = permissions.get_or_403(ServiceCard, card_id, Action.VIEW_SERVICE_CARD)
    return png_response(qr_png(_verify_url(card)))


@bp.get("/cards/verify/<token>")
def verify_card(token: str):
    """Public: anyone holding the paper can check it. Shows only the name, employer,
    community, quarter, hours and date issued."""
    try:
        card = cards.verify(token)
    except NotFound as problem:
        return problem_page(
            _("This service card cannot be confirmed"),
            problem.message,
            404,
            detail=_(
                "The code may have been copied wrongly, altered, or made elsewhere. Ask the "
                "community that issued the card to check it."
            ),
        )
    return render_template("reporting/card_verify.html", card=card)


# --- Issuing a community's cards -------------------------------------------------------


@bp.route("/communities/<int:community_id>/cards", methods=["GET", "POST"])
def community_cards(community_id: int):
    community = permissions.get_or_403(OrgUnit, community_id, Action.ISSUE_SERVICE_CARDS)
    today = local_today()
    form = QuarterForm(today=today)
    if request.method == "GET":
        form.year.data, form.quarter.data = _quarter_args(cards.last_ended_quarter(today))
    elif form.validate():
        try:
            issued = cards.issue_quarter(
                current_user.id, community.id, form.year.data, form.quarter.data, now=utcnow()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                ngettext("%(num)d card issued.", "%(num)d cards issued.", issued.issued)
                if issued.issued
                else _("Every card of this quarter had been issued already."),
                "success",
            )
            if issued.own_left:
                flash(_("Your own card is left for another admin of the community."), "info")
            return redirect(
                url_for(
                    "liaison.community_cards",
                    community_id=community.id,
                    year=form.year.data,
                    quarter=form.quarter.data,
                ),
                303,
            )
    year, quarter = form.year.data, form.quarter.data
    listed = (
        cards.community_cards(community.id, year, quarter)
        if isinstance(year, int) and isinstance(quarter, int)
        else []
    )
    body = render_template(
        "reporting/card_issue.html",
        community=community,
        form=form,
        cards=listed,
        year=year,
        quarter=quarter,
        ended=isinstance(year, int)
        and isinstance(quarter, int)
        and cards.quarter_ended(year, quarter, today),
    )
    return body, form_status(form)


# --- Figures -------------------------------------------------------------------------


@bp.get("/figures/<int:unit_id>")
def figures_page(unit_id: int):
    unit = permissions.get_or_403(OrgUnit, unit_id, Action.VIEW_REPORTING_FIGURES)
    today = local_today()
    form = YearFilter(request.args, today=today)
    year = figures.parse_year(arg_int("year", None, figures.FIRST_YEAR, today.year), today)
    form.year.data = year
    result = figures.figures(unit, year, today=today)
    return render_template(
        "reporting/figures.html",
        result=result,
        form=form,
        can_issue=permissions.can(current_user, Action.ISSUE_SERVICE_CARDS, unit),
    )
