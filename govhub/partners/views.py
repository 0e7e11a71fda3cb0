"""The public application form and the admins' review of applications."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from govhub import permissions
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.forms import form_status, refreshing_places, show_service_error
from govhub.partners import services
from govhub.partners.forms import ApplyForm, DecisionForm
from govhub.partners.models import Partner, PartnerKind, PartnerStatus

bp = Blueprint("partners", __name__, url_prefix="/partners")


@bp.route("/apply", methods=["GET", "POST"])
def apply():
    form = ApplyForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.contact_name.data = current_user.name
        form.contact_phone.data = current_user.phone
        if current_user.profile:
            form.set_place(current_user.profile.community)
    form.fill_place_choices()
    if not refreshing_places() and form.validate_on_submit():
        try:
            partner = services.apply(
                kind=PartnerKind(form.kind.data),
                name=form.name.data,
                community_id=form.community_id.data,
                address=form.address.data,
                contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data,
                description=form.description.data,
                owner_id=current_user.id if current_user.is_authenticated else None,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return render_template("partners/applied.html", partner=partner)
    return render_template("partners/apply.html", form=form), form_status(form)


@bp.get("/review")
@permissions.require(permissions.REVIEW_PARTNERS)
def review():
    status = request.args.get("status", PartnerStatus.applied.value)
    chosen = PartnerStatus(status) if status in PartnerStatus.__members__ else None
    partners = services.review_queue(permissions.partner_scope(current_user), chosen)
    return render_template(
        "partners/review.html", partners=partners, status=chosen, statuses=list(PartnerStatus)
    )


def _partner_page(partner: Partner, form: DecisionForm, status: int = 200):
    return render_template("partners/detail.html", partner=partner, form=form), status


@bp.get("/<int:partner_id>")
def detail(partner_id: int):
    partner = db.get_or_404(Partner, partner_id)
    permissions.authorize(permissions.VIEW_PARTNER, partner)
    return _partner_page(partner, DecisionForm())


@bp.post("/<int:partner_id>/decide")
def decide(partner_id: int):
    partner = db.get_or_404(Partner, partner_id)
    permissions.authorize(permissions.DECIDE_PARTNER, partner)
    form = DecisionForm()
    approve = request.form.get("decision") == "approve"
    if form.validate_on_submit():
        try:
            services.decide(current_user.id, partner.id, approve=approve, reason=form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                _("%(name)s approved.", name=partner.name)
                if approve
                else _("%(name)s rejected.", name=partner.name),
                "success",
            )
            return redirect(url_for("partners.review"), 303)
    return _partner_page(db.get_or_404(Partner, partner_id), form, 422)
