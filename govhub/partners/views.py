"""The public application form and the admins' review of applications."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from govhub import permissions
from govhub.accounts.throttle import submission_limits
from govhub.database import ServiceError, utcnow
from govhub.forms import form_status, refreshing_places, show_service_error
from govhub.pagination import cursor_from_request
from govhub.partners import services
from govhub.partners.forms import ApplyForm, DecisionForm, StaffForm, SuspendForm
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from govhub.permissions import Action

bp = Blueprint("partners", __name__, url_prefix="/partners")


@bp.route("/apply", methods=["GET", "POST"])
@submission_limits("partner", lambda: request.form.get("contact_phone"))
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
@permissions.require(Action.REVIEW_PARTNERS)
def review():
    status = request.args.get("status", PartnerStatus.applied.value)
    chosen = PartnerStatus(status) if status in PartnerStatus.__members__ else None
    page = services.review_queue(
        permissions.partner_scope(current_user), chosen, cursor_from_request()
    )
    return render_template(
        "partners/review.html", page=page, status=chosen, statuses=list(PartnerStatus)
    )


def _partner_page(
    partner: Partner, form: DecisionForm, status: int = 200, suspend_form: SuspendForm | None = None
):
    return render_template(
        "partners/detail.html",
        partner=partner,
        form=form,
        suspend_form=suspend_form or SuspendForm(formdata=None),
        can_suspend=permissions.can(current_user, Action.SUSPEND_PARTNER, partner),
    ), status


@bp.get("/<int:partner_id>")
def detail(partner_id: int):
    partner = permissions.get_or_403(Partner, partner_id, Action.VIEW_PARTNER)
    return _partner_page(partner, DecisionForm())


@bp.post("/<int:partner_id>/decide")
def decide(partner_id: int):
    partner = permissions.get_or_403(Partner, partner_id, Action.DECIDE_PARTNER)
    form = DecisionForm()
    approve = request.form.get("decision") == "approve"
    if form.validate_on_submit():
        try:
            services.decide(
                current_user.id, partner.id, approve=approve, reason=form.reason.data, now=utcnow()
            )
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
    return _partner_page(
        permissions.get_or_403(Partner, partner_id, Action.DECIDE_PARTNER), form, 422
    )


@bp.post("/<int:partner_id>/suspend")
def suspend(partner_id: int):
    """Suspend a partner: its rewards leave the catalog, unused vouchers are refunded."""
    partner = permissions.get_or_403(Partner, partner_id, Action.SUSPEND_PARTNER)
    form = SuspendForm()
    if form.validate_on_submit():
        try:
            refunded = services.suspend(current_user.id, partner.id, form.reason.data, now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                _(
                    "%(name)s suspended; %(n)d unused vouchers were refunded.",
                    name=partner.name,
                    n=refunded,
                ),
                "success",
            )
            return redirect(url_for("partners.detail", partner_id=partner.id), 303)
    return _partner_page(
        permissions.get_or_403(Partner, partner_id, Action.SUSPEND_PARTNER),
        DecisionForm(formdata=None),
        422,
        form,
    )


@bp.post("/<int:partner_id>/reinstate")
def reinstate(partner_id: int):
    partner = permissions.get_or_403(Partner, partner_id, Action.SUSPEND_PARTNER)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            services.reinstate(current_user.id, partner.id, now=utcnow())
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("%(name)s is a partner again.", name=partner.name), "success")
    return redirect(url_for("partners.detail", partner_id=partner.id), 303)


# --- Staff, managed by the owner -----------------------------------------------------


def _owned_partner(partner_id: int) -> Partner:
    partner = permissions.get_or_403(Partner, partner_id, Action.MANAGE_STAFF)
    return partner


def _staff_page(partner: Partner, form: StaffForm, status: int = 200):
    return render_template(
        "partners/staff.html", partner=partner, staff=services.staff_of(partner.id), form=form
    ), status


@bp.route("/<int:partner_id>/staff", methods=["GET", "POST"])
def staff(partner_id: int):
    partner = _owned_partner(partner_id)
    form = StaffForm()
    if form.validate_on_submit():
        try:
            added = services.invite_staff(current_user.id, partner.id, form.phone.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                _(
                    "%(name)s can now verify vouchers and list rewards for %(partner)s.",
                    name=added.user.name,
                    partner=partner.name,
                ),
                "success",
            )
            return redirect(url_for("partners.staff", partner_id=partner.id), 303)
    return _staff_page(partner, form, form_status(form))


@bp.post("/<int:partner_id>/staff/<int:user_id>/remove")
def remove_staff(partner_id: int, user_id: int):
    partner = _owned_partner(partner_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            services.remove_staff(current_user.id, partner.id, user_id)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("Removed from the staff."), "success")
    return redirect(url_for("partners.staff", partner_id=partner.id), 303)
