"""Matching pages: a need's ranked candidates, and 为你推荐 for a volunteer."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user, login_required

from govhub.database import utcnow
from govhub.extensions import db
from govhub.forms import arg_int
from govhub.matching import candidates, recommend
from govhub.matching.forms import InviteForm, RequestResourceForm
from govhub.needs.models import Need, Shift
from govhub.permissions import Action, get_or_403

bp = Blueprint("matching", __name__, url_prefix="/matching")


def _shift_of(need: Need, now) -> Shift | None:
    shift_id = arg_int("shift")
    if shift_id is None:
        return candidates.default_shift(need, now=now)
    shift = db.session.get(Shift, shift_id)
    if shift is None or shift.need_id != need.id:
        abort(404)
    return shift


@bp.get("/needs/<int:need_id>")
def need(need_id: int):
    need = get_or_403(Need, need_id, Action.MATCH_NEED)
    now = utcnow()
    shift = _shift_of(need, now)
    limit = arg_int("limit", candidates.DEFAULT_LIMIT, hi=candidates.MAX_LIMIT)
    volunteers: list[candidates.VolunteerCandidate] = []
    more = False
    if shift is not None:
        volunteers, more = candidates.ranked_volunteers(
            need, shift, now=now, limit=limit, exclude_user_id=current_user.id
        )
    resources, _more_resources = candidates.ranked_resources(need, shift, now=now)
    back = url_for("matching.need", need_id=need.id, shift=shift.id if shift else None)
    invite_form = InviteForm(formdata=None, next=back)
    resource_form = RequestResourceForm(formdata=None, next=back)
    return render_template(
        "matching/need.html",
        need=need,
        shift=shift,
        shifts=sorted(need.shifts, key=lambda s: s.starts_at),
        volunteers=volunteers,
        more=more,
        limit=limit,
        resources=resources,
        invite_form=invite_form,
        resource_form=resource_form,
        back=back,
    )


@bp.get("/for-me")
@login_required
def recommended():
    profile = current_user.profile
    items = recommend.recommended(profile, now=utcnow(), limit=30) if profile is not None else []
    return render_template("matching/recommended.html", items=items)
