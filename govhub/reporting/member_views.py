"""在职党员到社区报到: an in-service party member reports to their home community.

The member's pages (my report, the report form, the landing page of the community's
reporting QR) sit under 我的; the community's queue, its reporting QR poster and the
liaison's claims under 首页 (``govhub/navigation.py``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from govhub import permissions
from govhub.clock import local_today
from govhub.database import ServiceError, utcnow
from govhub.extensions import db, login_manager
from govhub.forms import show_service_error
from govhub.htmx import render
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.pagination import cursor_from_request
from govhub.partners.models import Partner
from govhub.permissions import Action
from govhub.problem import problem_page
from govhub.qr import png_response, qr_png
from govhub.reporting import members, terms
from govhub.reporting.member_forms import (
    NOT_LISTED,
    ActionForm,
    ConfirmForm,
    MemberReportForm,
    ReturnForm,
)
from govhub.reporting.models import MemberReport, ReportChannel, ReportStatus
from govhub.tokens import TokenRefused, community_report_token, read_community_report_token
from govhub.urls import external_url

bp = Blueprint("member_reports", __name__, url_prefix="/reporting/members")


@bp.app_context_processor
def _profile_entry() -> dict[str, Any]:
    """For 我的 (accounts/profile.html): my report's standing and the units I am the
    liaison of (their free-text reports to claim)."""

    def member_report_entry():
        today = local_today()
        return {
            "standing": members.standing(current_user.id, today),
            "liaison_units": terms.liaison_units(current_user, today),
        }

    return {"member_report_entry": member_report_entry}


# --- The member ----------------------------------------------------------------------


@bp.get("/")
@login_required
def mine():
    today = local_today()
    return render_template(
        "reporting/member_mine.html",
        standing=members.standing(current_user.id, today),
        reports=members.reports_of(current_user.id),
        today=today,
        was_claimed=members.was_claimed,
        action_form=ActionForm(),
    )


def _prefill(form: MemberReportForm, latest: MemberReport | None) -> None:
    """A new form starts from the member's last report (reporting again, renewing)."""
    if latest is None:
        return
    if latest.partner_id and not members.was_claimed(latest):
        form.partner_id.data = latest.partner_id
    elif latest.employer_name:
        form.partner_id.data = NOT_LISTED
        form.employer_name.data = latest.employer_name


def _report_form(community: OrgUnit, channel: ReportChannel):
    """The report form of the member's home ``community``, for both ways in: a page, the
    employer list as an htmx fragment, or the submitted form."""
    today = local_today()
    standing = members.standing(current_user.id, today)
    searching = request.method == "POST" and "search" in request.form
    if request.method == "GET":
        form = MemberReportForm(formdata=request.args or None)
        if not request.args:
            _prefill(form, standing.latest)
    else:
        form = MemberReportForm()
    units = members.employer_choices(today, form.q.data or "")
    chosen = form.chosen_partner_id()
    if chosen and all(unit.id != chosen for unit in units):
        kept = members.reported_unit(chosen, today)
        units = [kept, *units] if kept is not None else units
    form.partner_id.choices = [(unit.id, unit.name) for unit in units]
    form.partner_id.choices.append((NOT_LISTED, _("My employer is not on the list")))
    context: dict[str, Any] = {
        "form": form,
        "community": community,
        "channel": channel,
        "standing": standing,
        "today": today,
        "already": None,
    }
    if not searching and form.validate_on_submit():
        try:
            members.submit(
                current_user.id,
                community_id=community.id,
                partner_id=form.chosen_partner_id(),
                employer_name=form.employer_name.data,
                channel=channel,
                now=utcnow(),
            )
        except members.AlreadyReported as refused:
            show_service_error(form, refused)
            context["already"] = refused.report
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                _(
                    "Reported to %(name)s. The community will confirm it and place you in a grid.",
                    name=community.name,
                ),
                "success",
            )
            return redirect(url_for("member_reports.mine"), 303)
    if request.method == "GET":
        return render("reporting/member_form.html", "reporting/_member_units.html", **context)
    status = 200 if searching else 422
    return render_template("reporting/member_form.html", **context), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Report from the profile, to the home community."""
    if current_user.profile is None:
        flash(_("Set your home community in your profile first."), "error")
        return redirect(url_for("accounts.profile"), 303)
    return _report_form(current_user.profile.community, ReportChannel.profile)


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """The community's reporting QR: the report form, if it is the member's home."""
    try:
        community_id = read_community_report_token(token)
    except TokenRefused:
        community_id = None
    community = db.session.get(OrgUnit, community_id) if community_id else None
    if community is None or community.level is not OrgLevel.community:
        return problem_page(
            _("This reporting code does not work"),
            _("This code was not issued by us or has been altered."),
            404,
            detail=_(
                "Ask the community for its reporting QR, or report from your profile "
                "(我的 → 在职党员报到)."
            ),
        )
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    profile = current_user.profile
    if profile is None or profile.community_id != community.id:
        return render_template("reporting/member_other_home.html", community=community)
    return _report_form(community, ReportChannel.qr)


def _own(report_id: int) -> MemberReport:
    return permissions.get_or_403(MemberReport, report_id, Action.OWN_MEMBER_REPORT, denied=404)


@bp.post("/<int:report_id>/withdraw")
def withdraw(report_id: int):
    report = _own(report_id)
    if ActionForm().validate_on_submit():
        try:
            members.withdraw(current_user.id, report.id, now=utcnow())
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("Your report was withdrawn."), "success")
    return redirect(url_for("member_reports.mine"), 303)


@bp.post("/<int:report_id>/not-my-employer")
def refuse_claim(report_id: int):
    report = _own(report_id)
    if ActionForm().validate_on_submit():
        try:
            members.refuse_claim(current_user.id, report.id, now=utcnow())
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("Done: your report names the employer you typed again."), "success")
    return redirect(url_for("member_reports.mine"), 303)


# --- The community -------------------------------------------------------------------


@bp.get("/review")
@permissions.require(Action.READ_REPORTS)
def review():
    """Members' reports of the communities the viewer administers (to decide) or
    oversees (to read)."""
    status = request.args.get("status", ReportStatus.pending.value)
    chosen = ReportStatus(status) if status in ReportStatus.__members__ else None
    page = members.review_queue(permissions.read_scope(current_user), chosen, cursor_from_request())
    return render_template(
        "reporting/member_review.html", page=page, status=chosen, statuses=list(ReportStatus)
    )


def _review_page(report: MemberReport, confirm_form=None, return_form=None, status: int = 200):
    confirm_form = confirm_form or ConfirmForm(formdata=None)
    confirm_form.grid_id.choices = [("", _("Choose a grid"))] + [
        (grid.id, grid.name) for grid in members.grids_of(report.community_id)
    ]
    return render_template(
        "reporting/member_review_report.html",
        report=report,
        confirm_form=confirm_form,
        return_form=return_form or ReturnForm(formdata=None),
        can_decide=permissions.can(current_user, Action.DECIDE_MEMBER_REPORT, report),
        was_claimed=members.was_claimed(report),
    ), status


@bp.get("/review/<int:report_id>")
def review_report(report_id: int):
    report = permissions.get_or_403(MemberReport, report_id, Action.VIEW_MEMBER_REPORT)
    return _review_page(report)


@bp.post("/review/<int:report_id>/confirm")
def review_confirm(report_id: int):
    report = permissions.get_or_403(MemberReport, report_id, Action.DECIDE_MEMBER_REPORT)
    form = ConfirmForm()
    form.grid_id.choices = [(grid.id, grid.name) for grid in members.grids_of(report.community_id)]
    if form.validate_on_submit():
        try:
            members.confirm(current_user.id, report.id, grid_id=form.grid_id.data, now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("%(name)s is reported and placed in a grid.", name=report.user.name), "success")
            return redirect(url_for("member_reports.review"), 303)
    report = permissions.get_or_403(MemberReport, report_id, Action.DECIDE_MEMBER_REPORT)
    return _review_page(report, confirm_form=form, status=422)


@bp.post("/review/<int:report_id>/return")
def review_return(report_id: int):
    report = permissions.get_or_403(MemberReport, report_id, Action.DECIDE_MEMBER_REPORT)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            members.return_report(current_user.id, report.id, reason=form.reason.data, now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The report was returned to %(name)s.", name=report.user.name), "success")
            return redirect(url_for("member_reports.review"), 303)
    report = permissions.get_or_403(MemberReport, report_id, Action.DECIDE_MEMBER_REPORT)
    return _review_page(report, return_form=form, status=422)


def _community_for_qr(community_id: int) -> OrgUnit:
    community = permissions.get_or_403(OrgUnit, community_id, Action.SHOW_REPORTING_QR)
    if community.level is not OrgLevel.community:
        abort(404)
    return community


def _join_url(community: OrgUnit) -> str:
    return external_url("member_reports.join", token=community_report_token(community.id))


@bp.get("/qr/<int:community_id>")
def reporting_qr(community_id: int):
    """The printable poster (A4) with the community's reporting QR."""
    community = _community_for_qr(community_id)
    return render_template(
        "reporting/member_qr.html", community=community, join_url=_join_url(community)
    )


@bp.get("/qr/<int:community_id>/qr.png")
def reporting_qr_png(community_id: int):
    return png_response(qr_png(_join_url(_community_for_qr(community_id))))


# --- A unit's liaison ----------------------------------------------------------------


@bp.get("/claims/<int:partner_id>")
def unit_claims(partner_id: int):
    """Free-text reports whose employer may be the liaison's unit: shortened names only."""
    partner = permissions.get_or_403(Partner, partner_id, Action.CLAIM_MEMBER_REPORTS)
    return render_template(
        "reporting/member_claims.html",
        partner=partner,
        candidates=members.claim_candidates(partner.id, local_today()),
        action_form=ActionForm(),
    )


@bp.post("/claims/<int:partner_id>/<int:report_id>")
def unit_claim(partner_id: int, report_id: int):
    partner = permissions.get_or_403(Partner, partner_id, Action.CLAIM_MEMBER_REPORTS)
    if ActionForm().validate_on_submit():
        try:
            members.claim_for_unit(current_user.id, partner.id, report_id, now=utcnow())
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("Claimed: the member is told and can say it is not their employer."), "success")
    return redirect(url_for("member_reports.unit_claims", partner_id=partner.id), 303)
