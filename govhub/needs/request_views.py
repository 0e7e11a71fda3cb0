"""Resident requests: asking for help, following it, and the community's review."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from govhub import permissions
from govhub.accounts.throttle import submission_limits
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.forms import arg_int, form_status, show_service_error
from govhub.needs import resident_requests
from govhub.needs.forms import OnBehalfForm, ReasonForm, RequestForm
from govhub.needs.models import ResidentRequest, Urgency
from govhub.orgs.models import OrgUnit
from govhub.pagination import cursor_from_request
from govhub.permissions import Action

bp = Blueprint("requests", __name__, url_prefix="/requests")


def _recording_for_resident() -> bool:
    """A community worker recording requests for residents without a phone is not limited."""
    return request.args.get("for") == "resident" and permissions.can(
        current_user, Action.SUBMIT_ON_BEHALF
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
@submission_limits("request", lambda: current_user.phone, exempt_when=_recording_for_resident)
def new():
    on_behalf = request.args.get("for") == "resident"
    if on_behalf:
        permissions.authorize(Action.SUBMIT_ON_BEHALF)
        form = OnBehalfForm()
        communities = permissions.admin_communities(current_user)
        form.community_id.choices = [(c.id, c.name) for c in communities]
    else:
        form = RequestForm()
    if form.validate_on_submit():
        extra = {}
        if on_behalf:
            community = (
                db.session.get(OrgUnit, form.community_id.data) if form.community_id.data else None
            )
            if community is None or not permissions.can(
                current_user, Action.SUBMIT_FOR_COMMUNITY, community
            ):
                abort(403)
            extra = {
                "community_id": community.id,
                "resident_name": form.resident_name.data,
                "resident_building": form.resident_building.data,
            }
        try:
            submitted = resident_requests.submit(
                current_user.id,
                what=form.what.data,
                details=form.details.data,
                when_text=form.when_text.data,
                place=form.place.data,
                urgency=Urgency(form.urgency.data),
                now=utcnow(),
                **extra,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                _("Your request has been sent to the community. You will be notified."), "success"
            )
            return redirect(url_for("requests.detail", request_id=submitted.id), 303)
    return render_template(
        "needs/request_new.html",
        form=form,
        on_behalf=on_behalf,
        can_submit_for_others=permissions.can(current_user, Action.SUBMIT_ON_BEHALF),
    ), form_status(form)


@bp.get("/mine")
@login_required
def mine():
    return render_template("needs/request_mine.html", items=resident_requests.mine(current_user.id))


@bp.get("/review")
@permissions.require(Action.READ_REQUESTS)
def review():
    """The requests waiting for a decision in the communities the viewer administers or
    oversees (``?community=``: one of them); oversight admins read them."""
    scope, community = permissions.read_filter(current_user, arg_int("community"))
    page = resident_requests.review_queue(scope, cursor_from_request(size=2))
    return render_template("needs/request_review.html", page=page, community=community)


@bp.get("/<int:request_id>")
@login_required
def detail(request_id: int):
    item = permissions.get_or_403(ResidentRequest, request_id, Action.VIEW_REQUEST)
    return _detail(item, ReasonForm())


def _detail(item: ResidentRequest, form: ReasonForm, status: int = 200):
    return render_template(
        "needs/request_detail.html",
        item=item,
        form=form,
        can_decide=permissions.can(current_user, Action.DECIDE_REQUEST, item),
    ), status


@bp.post("/<int:request_id>/decline")
def decline(request_id: int):
    item = permissions.get_or_403(ResidentRequest, request_id, Action.DECIDE_REQUEST)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            resident_requests.decline(current_user.id, item.id, form.reason.data, now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Declined. The resident has been told why."), "success")
            return redirect(url_for("requests.review"), 303)
    return _detail(
        permissions.get_or_403(ResidentRequest, request_id, Action.DECIDE_REQUEST), form, 422
    )
