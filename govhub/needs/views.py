"""Volunteers' pages: the needs board, a need, claiming, My tasks, rating."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from govhub import permissions
from govhub.accounts import services as accounts
from govhub.database import NotFound, ServiceError, utcnow
from govhub.extensions import db
from govhub.forms import arg_int, show_service_error
from govhub.htmx import render, wants_fragment
from govhub.matching import recommend as matching_recommend  # scoring
from govhub.needs import board as needs_board
from govhub.needs import calendar as needs_calendar
from govhub.needs import claims as needs_claims
from govhub.needs import posting, resident_requests, unit_holds
from govhub.needs.forms import ActionForm, BoardForm, RatingForm
from govhub.needs.models import Claim, Need, Shift
from govhub.needs.unit_hold_forms import hold_form
from govhub.pagination import cursor_from_request
from govhub.permissions import Action

bp = Blueprint("needs", __name__)


def _filters(form: BoardForm) -> needs_board.BoardFilters:
    return needs_board.BoardFilters(
        q=form.q.data or "",
        category_id=form.category.data,
        skill_id=form.skill.data,
        # A date the form refused (out of range) is no filter; its error is shown.
        date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data,
        my_skills=bool(form.mine.data),
        has_places=bool(form.places.data),
        page=arg_int("page", 1),
    )


def board_query(form: BoardForm, page: int | None = None) -> dict:
    """The filters as query arguments, for links that keep them (load more, sharing)."""
    args: dict[str, Any] = {
        key: value for key, value in request.args.items(multi=False) if value and key != "page"
    }
    if page:
        args["page"] = page
    return args


@bp.get("/needs")
@login_required
def board():
    form = BoardForm(request.args)
    form.validate()
    form.category.choices = [("", _("All categories"))] + [
        (c.id, c.name) for c in posting.categories()
    ]
    form.skill.choices = [("", _("All skills"))] + [(s.id, s.name) for s in accounts.all_skills()]
    page = needs_board.board(current_user, _filters(form), now=utcnow())
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "board_query": board_query,
        "oversight": needs_board.oversight_only(current_user),
    }
    # -- scoring: 为你推荐 at the top of the board's first page --
    profile = current_user.profile
    if profile is not None and page.page == 1:
        context["recommended"] = matching_recommend.recommended(profile, now=utcnow())
    # -- end scoring --
    if wants_fragment() and page.page > 1:
        return render("needs/board.html", "needs/_cards.html", **context)
    response = render("needs/board.html", "needs/_results.html", **context)
    if wants_fragment():
        # The address bar shows the filters in use, without the empty ones.
        response.headers["HX-Push-Url"] = url_for("needs.board", **board_query(form))
    return response


def _detail_context(need: Need) -> dict:
    now = utcnow()
    holds = unit_holds.need_holds(current_user, need, now=now)
    return {
        "need": need,
        "now": now,
        "my_claims": needs_board.my_claims_for(current_user.id, need),
        "can_cancel_online": lambda shift: needs_claims.can_cancel_online(shift, now=now),
        "action_form": ActionForm(),
        "can_edit": permissions.can(current_user, Action.EDIT_NEED, need),
        "rating_role": resident_requests.rating_role(current_user, need, now=now),
        "my_rating": resident_requests.existing_rating(current_user.id, need.id),
        "rating_form": RatingForm(),
        "errors": {},
        # 一键认领: the units' held places per shift, and the hold form for who holds.
        "holds": holds,
        "hold_form": lambda shift: hold_form(shift, holds.units, holds.unit_holds(shift.id)),
    }


@bp.get("/needs/<int:need_id>")
@login_required
def detail(need_id: int):
    need = permissions.get_or_403(Need, need_id, Action.VIEW_NEED)
    return render_template("needs/detail.html", **_detail_context(need))


def shift_response(shift: Shift, error: str | None = None, **overrides):
    """After a claim action: the shift's row for htmx; the need page (422) with the
    refusal beside the shift; or, after success, a redirect to the need page.
    ``overrides``: context to replace (the unit hold views pass their submitted form)."""
    if error or wants_fragment():
        context = _detail_context(shift.need)
        context["errors"] = {shift.id: error} if error else {}
        context.update(overrides)
        status = 422 if error else 200
        return render("needs/detail.html", "needs/_shift.html", status, shift=shift, **context)
    return redirect(
        url_for("needs.detail", need_id=shift.need_id, _anchor=f"shift-{shift.id}"), 303
    )


@bp.post("/shifts/<int:shift_id>/claim")
@login_required
def claim(shift_id: int):
    permissions.get_or_403(Shift, shift_id, Action.VIEW_NEED)
    try:
        needs_claims.claim_shift(
            current_user.id, shift_id, now=utcnow(), waitlist=request.form.get("waitlist") == "1"
        )
    except needs_claims.ClaimRefused as refused:
        return shift_response(db.session.get_one(Shift, shift_id), refused.message)
    if not wants_fragment():
        flash(_("Done. It is in My tasks."), "success")
    return shift_response(db.session.get_one(Shift, shift_id))


@bp.post("/claims/<int:claim_id>/cancel")
@login_required
def cancel_claim(claim_id: int):
    # Not theirs: 404, not to confirm that the claim exists.
    claim = permissions.get_or_403(Claim, claim_id, Action.CANCEL_CLAIM, denied=404)
    shift_id = claim.shift_id
    try:
        needs_claims.cancel_claim(current_user.id, claim_id, now=utcnow())
    except (needs_claims.ClaimRefused, NotFound) as refused:
        if request.form.get("from") == "tasks":
            flash(refused.message, "error")
            return redirect(url_for("needs.my_tasks"), 303)
        return shift_response(db.session.get_one(Shift, shift_id), refused.message)
    if request.form.get("from") == "tasks":
        flash(_("Cancelled."), "success")
        return redirect(url_for("needs.my_tasks"), 303)
    if not wants_fragment():
        flash(_("Cancelled."), "success")
    return shift_response(db.session.get_one(Shift, shift_id))


@bp.get("/my/tasks")
@login_required
def my_tasks():
    now = utcnow()
    return render_template(
        "needs/my_tasks.html",
        # ?before= / ?after= page through the past shifts (a key of two numbers).
        tasks=needs_board.my_tasks(current_user.id, now=now, past_cursor=cursor_from_request(2)),
        action_form=ActionForm(),
        can_cancel_online=lambda shift: needs_claims.can_cancel_online(shift, now=now),
        now=now,
    )


@bp.get("/shifts/<int:shift_id>/calendar.ics")
@login_required
def calendar(shift_id: int):
    shift = permissions.get_or_403(Shift, shift_id, Action.VIEW_NEED)
    response = make_response(needs_calendar.shift_calendar(shift))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="govhub-shift-{shift.id}.ics"'
    return response


@bp.post("/needs/<int:need_id>/rate")
@login_required
def rate(need_id: int):
    need = permissions.get_or_403(Need, need_id, Action.VIEW_NEED)
    form = RatingForm()
    if form.validate_on_submit():
        try:
            resident_requests.rate(
                current_user.id, need.id, form.stars.data, form.comment.data, now=utcnow()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Thank you for your rating."), "success")
            return redirect(url_for("needs.detail", need_id=need.id), 303)
    context = _detail_context(need)
    context["rating_form"] = form
    return render_template("needs/detail.html", **context), 422
