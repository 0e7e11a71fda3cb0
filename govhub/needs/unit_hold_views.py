"""一键认领: a unit claims places of a shift as a unit; its members claim the places it holds.

The hold form and the member's button sit on the need page (``needs/_shift.html``
includes ``_unit_hold_*.html``); a refusal re-renders that page (or, for htmx, the shift)
with the error beside the shift, 422. The unit's own page lists its holds.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from govhub import permissions
from govhub.clock import local_date
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.forms import show_service_error
from govhub.htmx import wants_fragment
from govhub.needs import unit_holds
from govhub.needs.forms import ActionForm
from govhub.needs.models import Shift, UnitHold
from govhub.needs.unit_hold_forms import hold_form
from govhub.needs.views import shift_response
from govhub.partners.models import Partner
from govhub.permissions import Action

bp = Blueprint("unit_holds", __name__, url_prefix="/unit-holds")


def _shift(shift_id: int) -> Shift:
    return db.session.get_one(Shift, shift_id)


@bp.post("/shifts/<int:shift_id>/hold")
@login_required
def hold(shift_id: int):
    """以单位名义认领: hold (or change the total of) the unit's places in the shift."""
    shift = permissions.get_or_403(Shift, shift_id, Action.VIEW_NEED)
    now = utcnow()
    # Every unit the user acts for is a valid choice: the service says why one whose
    # report does not cover this need cannot hold here.
    acting = unit_holds.acting_units(current_user, local_date(now))
    if not acting:
        abort(403)
    form = hold_form(shift, acting, [], formdata=request.form)
    if form.validate():
        partner = permissions.get_or_403(Partner, form.partner_id.data, Action.HOLD_FOR_UNIT)
        try:
            unit_holds.hold_places(current_user.id, shift.id, partner.id, form.places.data, now=now)
        except ServiceError as error:
            # The number goes beside its field (whose name carries the form's prefix);
            # a refusal of the unit beside the shift, where the unit may have no form.
            error.field = form.places.name if error.field == "places" else None
            show_service_error(form, error)
        else:
            if not wants_fragment():
                flash(_("Held. The unit's members have been told."), "success")
            return shift_response(_shift(shift_id))
    refusals = [*form.form_errors, *form.partner_id.errors]
    message = " ".join(map(str, refusals)) or _("Check the places held for the unit.")
    return shift_response(_shift(shift_id), message, hold_form=_keep(form, shift_id))


def _keep(form, shift_id: int):
    """The context's ``hold_form``: the submitted form for its shift, fresh ones elsewhere."""
    shift = _shift(shift_id)
    holds = unit_holds.need_holds(current_user, shift.need, now=utcnow())

    def for_shift(other: Shift):
        if other.id == shift_id:
            return form
        return hold_form(other, holds.units, holds.unit_holds(other.id))

    return for_shift


@bp.post("/<int:hold_id>/release")
@login_required
def release(hold_id: int):
    hold = permissions.get_or_403(UnitHold, hold_id, Action.RELEASE_HOLD, denied=404)
    shift_id, partner_id = hold.shift_id, hold.partner_id
    try:
        unit_holds.release_hold(current_user.id, hold_id, now=utcnow())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("Released: the unused places are open to everyone again."), "success")
    if request.form.get("from") == "unit":
        return redirect(url_for("unit_holds.unit", partner_id=partner_id), 303)
    return shift_response(_shift(shift_id))


@bp.post("/<int:hold_id>/claim")
@login_required
def claim(hold_id: int):
    """A member takes one of the places their unit holds: one tap."""
    hold = permissions.get_or_403(UnitHold, hold_id, Action.CLAIM_HELD_PLACE)
    shift_id = hold.shift_id
    try:
        unit_holds.claim_held_place(current_user.id, hold_id, now=utcnow())
    except ServiceError as refused:
        return shift_response(_shift(shift_id), refused.message)
    if not wants_fragment():
        flash(_("Done. It is in My tasks."), "success")
    return shift_response(_shift(shift_id))


@bp.get("/units/<int:partner_id>")
@login_required
def unit(partner_id: int):
    """The unit's holds: needs, shifts, places, used, and who took them (names only)."""
    partner = permissions.get_or_403(Partner, partner_id, Action.HOLD_FOR_UNIT)
    return render_template(
        "needs/unit_hold_list.html",
        partner=partner,
        rows=unit_holds.unit_holds(partner.id),
        needs=unit_holds.claimable_needs(partner, now=utcnow()),
        action_form=ActionForm(),
        now=utcnow(),
        limit=unit_holds.PAGE_LIMIT,
    )
