"""驻区单位到社区报到: a unit reports to a community; the community confirms or returns it.

The unit's staff file, correct, renew and withdraw reports from the unit's page; the
community's admins decide them from their queue; the confirmed report's receipt (报到回执)
carries a QR code to a public page that says whether the report counts today.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from govhub import permissions
from govhub.clock import local_today, show_day
from govhub.database import NotFound, ServiceError, utcnow
from govhub.forms import form_status, refreshing_places, show_service_error
from govhub.htmx import render
from govhub.pagination import cursor_from_request
from govhub.partners.models import Partner
from govhub.permissions import Action
from govhub.problem import problem_page
from govhub.qr import png_response, qr_png
from govhub.reporting import units
from govhub.reporting.models import ReportStatus, UnitReport
from govhub.reporting.unit_forms import ReturnForm, UnitPlaceForm, UnitReportForm
from govhub.tokens import unit_report_token
from govhub.urls import external_url

bp = Blueprint("unit_reports", __name__, url_prefix="/reporting/units")


@bp.app_template_global()
def unit_report_status(report: UnitReport) -> str:
    """A report's status as its pages show it: a confirmed one past its term is 已过期."""
    return units.shown_status(report, local_today())


bp.add_app_template_global(units.masked_name, "masked_name")


# --- The form's helpers (htmx fragments) ---------------------------------------------


@bp.get("/places")
def place_fields():
    """District → street → community, re-filled for the values chosen so far."""
    form = UnitPlaceForm(request.args)
    form.fill_place_choices()
    return render("reporting/unit_places.html", "reporting/_unit_places.html", form=form)


@bp.get("/partner/<int:partner_id>/liaison")
def liaison_lookup(partner_id: int):
    """The masked name of the account with the typed number, to confirm the liaison."""
    permissions.get_or_403(Partner, partner_id, Action.REPORT_FOR_UNIT)
    phone = request.args.get("liaison_phone", "")
    return render(
        "reporting/unit_liaison.html",
        "reporting/_unit_liaison.html",
        phone=phone,
        liaison=units.find_liaison(phone) if phone.strip() else None,
    )


# --- The unit's pages ----------------------------------------------------------------


@bp.get("/partner/<int:partner_id>")
def unit(partner_id: int):
    """Every report of the unit, in every community: status, term, receipt."""
    partner = permissions.get_or_403(Partner, partner_id, Action.REPORT_FOR_UNIT)
    today = local_today()
    reports = units.reports_of(partner.id)
    return render_template(
        "reporting/unit_list.html",
        partner=partner,
        reports=reports,
        renewable={r.id for r in reports if units.can_renew(r, today)},
        today=today,
    )


def _form_page(partner: Partner, form: UnitReportForm, *, report=None, renewing=None, status=200):
    phone = form.liaison_phone.data or ""
    return render_template(
        "reporting/unit_form.html",
        partner=partner,
        form=form,
        report=report,
        renewing=renewing,
        liaison=units.find_liaison(phone) if phone.strip() else None,
        new_resource_url=url_for("resources.new", partner=partner.id),
        duplicate_id=getattr(form, "duplicate_id", None),
    ), status


def _looking_up() -> bool:
    """The no-JavaScript "Look up" button beside the liaison's number was pressed."""
    return request.method == "POST" and "lookup" in request.form


def _show_error(form: UnitReportForm, error: ServiceError) -> None:
    show_service_error(form, error)
    if isinstance(error, units.DuplicateReport):
        form.duplicate_id = error.report_id


def _status(form: UnitReportForm) -> int:
    return 200 if _looking_up() else form_status(form)


@bp.route("/partner/<int:partner_id>/new", methods=["GET", "POST"])
def new(partner_id: int):
    partner = permissions.get_or_403(Partner, partner_id, Action.REPORT_FOR_UNIT)
    form = UnitReportForm()
    if request.method == "GET":
        form.liaison_phone.data = current_user.phone
    form.fill_choices(partner.id)
    if not (refreshing_places() or _looking_up()) and form.validate_on_submit():
        try:
            report = units.submit(current_user.id, partner.id, form.to_input(), now=utcnow())
        except ServiceError as error:
            _show_error(form, error)
        else:
            flash(_("Report sent to %(community)s.", community=report.community.name), "success")
            return redirect(url_for("unit_reports.detail", report_id=report.id), 303)
    return _form_page(partner, form, status=_status(form))


@bp.route("/<int:report_id>/renew", methods=["GET", "POST"])
def renew(report_id: int):
    """A new report for the next term, prefilled from this one."""
    previous = permissions.get_or_403(UnitReport, report_id, Action.EDIT_UNIT_REPORT)
    if not units.can_renew(previous, local_today()):
        flash(_("This report cannot be renewed now."), "error")
        return redirect(url_for("unit_reports.detail", report_id=previous.id), 303)
    form = UnitReportForm()
    if request.method == "GET":
        form.prefill(previous)
    form.set_place(previous.community)  # a renewal is to the same community
    form.fill_choices(previous.partner_id)
    if not (refreshing_places() or _looking_up()) and form.validate_on_submit():
        try:
            report = units.submit(
                current_user.id,
                previous.partner_id,
                form.to_input(),
                now=utcnow(),
                renewal_of_id=previous.id,
            )
        except ServiceError as error:
            _show_error(form, error)
        else:
            flash(_("Renewal sent to %(community)s.", community=report.community.name), "success")
            return redirect(url_for("unit_reports.detail", report_id=report.id), 303)
    return _form_page(previous.partner, form, renewing=previous, status=_status(form))


@bp.route("/<int:report_id>/correct", methods=["GET", "POST"])
def correct(report_id: int):
    """Correct a returned report and send it again."""
    report = permissions.get_or_403(UnitReport, report_id, Action.EDIT_UNIT_REPORT)
    if report.status is not ReportStatus.returned:
        return redirect(url_for("unit_reports.detail", report_id=report.id), 303)
    form = UnitReportForm()
    if request.method == "GET":
        form.prefill(report)
    if report.renewal_of_id is not None:
        form.set_place(report.community)
    form.fill_choices(report.partner_id)
    if not (refreshing_places() or _looking_up()) and form.validate_on_submit():
        try:
            units.resubmit(current_user.id, report.id, form.to_input(), now=utcnow())
        except ServiceError as error:
            _show_error(form, error)
        else:
            flash(_("Corrected report sent again."), "success")
            return redirect(url_for("unit_reports.detail", report_id=report.id), 303)
    return _form_page(report.partner, form, report=report, status=_status(form))


@bp.post("/<int:report_id>/withdraw")
def withdraw(report_id: int):
    report = permissions.get_or_403(UnitReport, report_id, Action.EDIT_UNIT_REPORT)
    try:
        units.withdraw(current_user.id, report.id, now=utcnow())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("Report withdrawn."), "success")
    return redirect(url_for("unit_reports.detail", report_id=report.id), 303)


# --- One report ----------------------------------------------------------------------


def _detail_page(report: UnitReport, return_form: ReturnForm | None = None, status: int = 200):
    today = local_today()
    return render_template(
        "reporting/unit_detail.html",
        report=report,
        return_form=return_form or ReturnForm(formdata=None),
        can_edit=permissions.can(current_user, Action.EDIT_UNIT_REPORT, report),
        can_decide=permissions.can(current_user, Action.DECIDE_UNIT_REPORT, report),
        admin_here=permissions.can(current_user, Action.REVIEW_UNIT_REPORTS)
        and permissions.can(current_user, Action.VIEW_UNIT_REPORT, report)
        and not permissions.can(current_user, Action.EDIT_UNIT_REPORT, report),
        can_renew=units.can_renew(report, today),
        can_withdraw=units.can_withdraw(report, today),
        renewal=units.renewal(report),
        term_start=units.term_start(report),
        today=today,
    ), status


@bp.get("/<int:report_id>")
def detail(report_id: int):
    report = permissions.get_or_403(UnitReport, report_id, Action.VIEW_UNIT_REPORT)
    return _detail_page(report)


# --- The community's queue and decision ----------------------------------------------


@bp.get("/review")
@permissions.require(Action.READ_REPORTS)
def review():
    """The units' reports of the communities the viewer administers (to decide) or
    oversees (to read)."""
    page = units.review_queue(permissions.read_scope(current_user), cursor_from_request())
    return render_template("reporting/unit_review.html", page=page)


@bp.post("/<int:report_id>/confirm")
def confirm(report_id: int):
    report = permissions.get_or_403(UnitReport, report_id, Action.DECIDE_UNIT_REPORT)
    try:
        confirmed = units.confirm(current_user.id, report.id, now=utcnow())
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("unit_reports.detail", report_id=report.id), 303)
    flash(
        _(
            "Confirmed the report of %(unit)s; it counts until %(date)s.",
            unit=confirmed.partner.name,
            date=show_day(confirmed.valid_until) if confirmed.valid_until else "",
        ),
        "success",
    )
    return redirect(url_for("unit_reports.review"), 303)


@bp.post("/<int:report_id>/return")
def return_report(report_id: int):
    report = permissions.get_or_403(UnitReport, report_id, Action.DECIDE_UNIT_REPORT)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            units.return_report(current_user.id, report.id, form.reason.data, now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Report returned to %(unit)s.", unit=report.partner.name), "success")
            return redirect(url_for("unit_reports.review"), 303)
    report = permissions.get_or_403(UnitReport, report_id, Action.VIEW_UNIT_REPORT)
    return _detail_page(report, form, 422)


# --- The receipt (报到回执) and its verification -----------------------------------------


def _verify_url(report: UnitReport) -> str:
    return external_url("unit_reports.verify", token=unit_report_token(report.id))


def _confirmed_or_404(report_id: int) -> UnitReport:
    report = permissions.get_or_403(UnitReport, report_id, Action.VIEW_UNIT_REPORT)
    if report.valid_until is None or report.decided_at is None:
        abort(404)  # never confirmed: there is no receipt
    return report


@bp.get("/<int:report_id>/receipt")
def receipt(report_id: int):
    report = _confirmed_or_404(report_id)
    return render_template(
        "reporting/unit_receipt.html",
        report=report,
        term_start=units.term_start(report),
        verify_url=_verify_url(report),
    )


@bp.get("/<int:report_id>/receipt/qr.png")
def receipt_qr(report_id: int):
    return png_response(qr_png(_verify_url(_confirmed_or_404(report_id))))


@bp.get("/verify/<token>")
def verify(token: str):
    """Public: anyone holding the receipt can check whether the report counts today. It
    shows the unit, the community and the term, nothing about people."""
    try:
        report = units.verify(token)
    except NotFound as problem:
        return problem_page(
            _("This receipt cannot be confirmed"),
            problem.message,
            404,
            detail=_(
                "The code may have been copied wrongly, altered, or made elsewhere. Ask the "
                "community named on the receipt to check it."
            ),
        )
    today = local_today()
    return render_template(
        "reporting/unit_verify.html",
        report=report,
        standing=units.standing(report, today),
        term_start=units.term_start(report),
        today=today,
    )
