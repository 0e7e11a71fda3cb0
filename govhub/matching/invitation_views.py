"""Invitations and resource requests: the invitee's one-tap answer, the admin's invite
and request forms, the provider side's decision."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from govhub import permissions
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.forms import show_service_error
from govhub.matching import candidates, invitations, resource_requests
from govhub.matching.forms import (
    AnswerForm,
    DecisionForm,
    EmptyForm,
    InviteForm,
    RequestResourceForm,
)
from govhub.matching.models import (
    Invitation,
    InvitationStatus,
    ResourceRequest,
    ResourceRequestStatus,
)
from govhub.needs.claims import ClaimRefused
from govhub.needs.models import ClaimStatus, Need, Shift
from govhub.permissions import Action, can
from govhub.security import safe_next

bp = Blueprint("invitations", __name__, url_prefix="/matching")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here is for someone signed in."""


@bp.app_context_processor
def _matching_counts():
    """For the volunteer's tasks page and the unit/shop workbench: what waits an answer."""
    from govhub.workbench import services as workbench

    def invitations_pending() -> int:
        if not current_user.is_authenticated:
            return 0
        return workbench.invitations_pending(current_user.id, now=utcnow())

    return {
        "invitations_pending": invitations_pending,
        "resource_requests_waiting": workbench.resource_requests_waiting,
    }


def _form_errors(form) -> list[str]:
    messages = list(form.form_errors)
    for f in form:
        messages.extend(str(e) for e in f.errors)
    return messages


def _answer(form, allowed: tuple[str, ...]) -> str | None:
    """The answer button pressed (``answer``), when it is one of ``allowed`` and the form
    is valid; else None, with "choose an answer" above the form for a missing one."""
    answer = request.form.get("answer", "")
    if answer not in allowed:
        form.validate_on_submit()
        form.form_errors.append(_("Choose an answer."))
        return None
    return answer if form.validate_on_submit() else None


def _back(form, need: Need):
    target = safe_next(form.next.data) or url_for("manage.need", need_id=need.id)
    return redirect(target, 303)


# --- The admin's two forms (rendered on the matching page) ----------------------------


@bp.post("/shifts/<int:shift_id>/invite")
def invite(shift_id: int):
    shift = permissions.get_or_403(Shift, shift_id, Action.MATCH_NEED)
    need = shift.need
    form = InviteForm()
    if not form.validate_on_submit():
        for message in _form_errors(form):
            flash(message, "error")
        return _back(form, need)
    now = utcnow()
    chosen = form.volunteer.data or []
    try:
        result = invitations.invite(
            current_user.id,
            shift.id,
            chosen,
            message=form.message.data or "",
            reasons=candidates.reasons_for(need, shift, chosen, now=now),
            key=form.key.data,
            now=now,
        )
    except ServiceError as error:
        flash(error.message, "error")
        return _back(form, need)
    if result.invited:
        flash(
            _("Invited: %(n)d.", n=len(result.invited)),
            "success",
        )
    if result.skipped:
        flash(
            _(
                "Skipped %(n)d: already claimed this shift or already invited.",
                n=result.skipped,
            ),
            "info",
        )
    return _back(form, need)


@bp.post("/needs/<int:need_id>/request-resource")
def request_resource(need_id: int):
    need = permissions.get_or_403(Need, need_id, Action.MATCH_NEED)
    form = RequestResourceForm()
    if not form.validate_on_submit():
        for message in _form_errors(form):
            flash(message, "error")
        return _back(form, need)
    try:
        item = resource_requests.request(
            current_user.id,
            need.id,
            form.resource_id.data,
            form.quantity.data,
            form.note.data or "",
            key=form.key.data,
            now=utcnow(),
        )
    except resource_requests.RecordedOnBehalf as error:
        flash(error.message, "error")
        return redirect(
            url_for("resources.commit", resource_id=error.resource_id, need=error.need_id), 303
        )
    except ServiceError as error:
        flash(error.message, "error")
        return _back(form, need)
    flash(_("Requested. %(provider)s will answer.", provider=item.resource.provider), "success")
    return _back(form, need)


# --- The invitee's page ----------------------------------------------------------------


def _invitation_page(invitation: Invitation, form: AnswerForm, status: int = 200, *, full=False):
    now = utcnow()
    return (
        render_template(
            "matching/invitation.html",
            invitation=invitation,
            shown=invitations.shown_status(invitation, now),
            form=form,
            withdraw_form=EmptyForm(prefix="withdraw"),
            full=full,
            invitee=invitation.volunteer_id == current_user.id,
            can_withdraw=can(current_user, Action.WITHDRAW_INVITATION, invitation),
        ),
        status,
    )


@bp.route("/invitations/<int:invitation_id>", methods=["GET", "POST"])
def invitation(invitation_id: int):
    # 404 to anyone else: a refusal must not confirm that the invitation exists.
    item = permissions.get_or_403(Invitation, invitation_id, Action.VIEW_INVITATION, denied=404)
    form = AnswerForm()
    if request.method == "GET":
        return _invitation_page(item, form)
    permissions.authorize(Action.RESPOND_INVITATION, item)
    answer = _answer(form, ("accept", "waitlist", "decline"))
    if answer is None:
        return _invitation_page(item, form, 422)
    now = utcnow()
    try:
        if answer == "decline":
            invitations.decline(current_user.id, item.id, form.reason.data or "", now=now)
            flash(_("Thank you for telling us. The organizer has been told."), "success")
        else:
            invitations.accept(current_user.id, item.id, waitlist=answer == "waitlist", now=now)
            db.session.refresh(item)
            if item.claim is not None and item.claim.status is ClaimStatus.waitlisted:
                flash(
                    _("You are on the waiting list. We will tell you if a place frees up."),
                    "success",
                )
            else:
                flash(_("Accepted: the place is yours."), "success")
    except ClaimRefused as error:
        form.form_errors.append(error.message)
        db.session.refresh(item)
        return _invitation_page(item, form, 422, full=error.can_waitlist)
    except ServiceError as error:
        show_service_error(form, error)
        db.session.refresh(item)
        return _invitation_page(item, form, 422)
    return redirect(url_for("invitations.invitation", invitation_id=item.id), 303)


@bp.post("/invitations/<int:invitation_id>/withdraw")
def withdraw_invitation(invitation_id: int):
    item = permissions.get_or_403(Invitation, invitation_id, Action.WITHDRAW_INVITATION)
    form = EmptyForm(prefix="withdraw")
    if form.validate_on_submit():
        try:
            invitations.withdraw(current_user.id, item.id, now=utcnow())
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("Invitation withdrawn."), "success")
    return redirect(url_for("invitations.invitation", invitation_id=item.id), 303)


@bp.get("/invitations")
def mine():
    now = utcnow()
    items = invitations.mine(current_user.id, now)
    return render_template(
        "matching/invitations.html",
        items=[(i, invitations.shown_status(i, now)) for i in items],
        pending=InvitationStatus.pending,
    )


# --- Resource requests -----------------------------------------------------------------


def _request_page(item: ResourceRequest, form: DecisionForm, status: int = 200):
    return (
        render_template(
            "matching/resource_request.html",
            item=item,
            form=form,
            withdraw_form=EmptyForm(prefix="withdraw"),
            pending=item.status is ResourceRequestStatus.pending,
            can_decide=can(current_user, Action.DECIDE_RESOURCE_REQUEST, item),
            can_withdraw=can(current_user, Action.WITHDRAW_RESOURCE_REQUEST, item),
        ),
        status,
    )


@bp.route("/resource-requests/<int:request_id>", methods=["GET", "POST"])
def resource_request(request_id: int):
    item = permissions.get_or_403(
        ResourceRequest, request_id, Action.VIEW_RESOURCE_REQUEST, denied=404
    )
    form = DecisionForm()
    if request.method == "GET":
        return _request_page(item, form)
    permissions.authorize(Action.DECIDE_RESOURCE_REQUEST, item)
    answer = _answer(form, ("accept", "decline"))
    if answer is None:
        return _request_page(item, form, 422)
    now = utcnow()
    try:
        if answer == "accept":
            resource_requests.accept(current_user.id, item.id, now=now)
            flash(_("Accepted and committed."), "success")
        else:
            resource_requests.decline(current_user.id, item.id, form.reason.data, now=now)
            flash(_("Declined. The requester has been told."), "success")
    except ServiceError as error:
        if error.field == "quantity":
            error.field = None
        show_service_error(form, error)
        db.session.refresh(item)
        return _request_page(item, form, 422)
    return redirect(url_for("invitations.resource_request", request_id=item.id), 303)


@bp.post("/resource-requests/<int:request_id>/withdraw")
def withdraw_request(request_id: int):
    item = permissions.get_or_403(ResourceRequest, request_id, Action.WITHDRAW_RESOURCE_REQUEST)
    form = EmptyForm(prefix="withdraw")
    if form.validate_on_submit():
        try:
            resource_requests.withdraw(current_user.id, item.id, now=utcnow())
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("Request withdrawn."), "success")
    return redirect(url_for("invitations.resource_request", request_id=item.id), 303)


@bp.get("/resource-requests")
def queue():
    return render_template(
        "matching/resource_requests.html",
        items=resource_requests.queue(current_user),
        pending=ResourceRequestStatus.pending,
    )
