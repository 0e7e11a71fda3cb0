"""A partner's shop, for its staff: figures, rewards, the code box and the settlement CSV."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from govhub import permissions, tokens
from govhub.clock import local_date
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.forms import form_status, show_service_error
from govhub.partners.models import Partner
from govhub.permissions import Action
from govhub.rewards import catalog, settlement, vouchers
from govhub.rewards.forms import CodeForm, ExportForm, RewardForm
from govhub.rewards.models import Reward, RewardArea

bp = Blueprint("shop", __name__, url_prefix="/shop/<int:partner_id>")


@bp.url_value_preprocessor
def _take_partner_id(_endpoint, values) -> None:
    g.partner_id = values.pop("partner_id")


@bp.before_request
def _load_partner() -> None:
    # After the app's own before_request (the CSRF check), before every view here.
    g.partner = permissions.get_or_403(Partner, g.partner_id, Action.RUN_SHOP)


@bp.url_defaults
def _partner_id(_endpoint, values) -> None:
    if "partner_id" not in values and "partner_id" in g:
        values["partner_id"] = g.partner_id


@bp.get("/")
def home():
    now = utcnow()
    today = local_date(now)
    export = ExportForm(formdata=None, start=today.replace(day=1), end=today)
    return render_template(
        "rewards/shop.html",
        partner=g.partner,
        stats=settlement.partner_stats(g.partner.id, now=now),
        rewards=catalog.partner_rewards(g.partner.id),
        recent=settlement.recent_fulfilments(g.partner.id),
        export=export,
        code_form=CodeForm(formdata=None),
        can_manage_staff=permissions.can(current_user, Action.MANAGE_STAFF, g.partner),
    )


# --- Rewards -------------------------------------------------------------------------


def _own_reward(reward_id: int) -> Reward:
    reward = db.get_or_404(Reward, reward_id)
    if reward.partner_id != g.partner.id:
        abort(404)
    return reward


def _save(form: RewardForm, reward: Reward | None):
    if form.validate_on_submit():
        try:
            saved = catalog.save_reward(
                current_user.id,
                g.partner.id,
                form.input(),
                reward_id=reward.id if reward else None,
                photo=form.photo_bytes(),
                remove_photo=form.remove_photo.data,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("%(title)s saved.", title=saved.title), "success")
            return redirect(url_for("shop.home"), 303)
    return (
        render_template("rewards/reward_form.html", partner=g.partner, form=form, reward=reward),
        form_status(form),
    )


@bp.route("/rewards/new", methods=["GET", "POST"])
def new_reward():
    return _save(RewardForm(), None)


@bp.route("/rewards/<int:reward_id>/edit", methods=["GET", "POST"])
def edit_reward(reward_id: int):
    reward = _own_reward(reward_id)
    form = RewardForm(obj=reward) if request.method == "GET" else RewardForm()
    if request.method == "GET":
        form.area.data = RewardArea(reward.area).value
        form.stock_seen.data = reward.stock
    return _save(form, reward)


@bp.post("/rewards/<int:reward_id>/<any(pause, resume):action>")
def pause(reward_id: int, action: str):
    reward = _own_reward(reward_id)
    catalog.set_paused(current_user.id, reward.id, action == "pause")
    flash(
        _("%(title)s is paused: volunteers do not see it.", title=reward.title)
        if action == "pause"
        else _("%(title)s is on offer again.", title=reward.title),
        "success",
    )
    return redirect(url_for("shop.home"), 303)


# --- Verifying by code ---------------------------------------------------------------


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """The code box, for a volunteer without the QR at hand: the code read aloud."""
    form = CodeForm()
    if form.validate_on_submit():
        redemption = vouchers.find_by_code(g.partner.id, form.code.data)
        if redemption is not None:
            token = tokens.voucher_token(redemption.id)
            return redirect(url_for("rewards.open_voucher", token=token), 303)
        form.code.errors = [
            *form.code.errors,
            _(
                "%(name)s has no voucher with this code. Check it with the volunteer.",
                name=g.partner.name,
            ),
        ]
    return render_template("rewards/verify_code.html", partner=g.partner, form=form), form_status(
        form
    )


# --- Settlement ----------------------------------------------------------------------


@bp.get("/export.csv")
def export():
    """Fulfilled vouchers in a date range as CSV (``settlement.export_csv``)."""
    form = ExportForm(request.args)
    if not form.validate():
        for field in form:
            for error in field.errors:
                flash(_("%(field)s: %(error)s", field=field.label.text, error=error), "error")
        return redirect(url_for("shop.home"), 303)
    if form.end.data - form.start.data > timedelta(days=366):
        flash(_("Export at most one year at a time."), "error")
        return redirect(url_for("shop.home"), 303)
    text = settlement.export_csv(g.partner.id, form.start.data, form.end.data)
    response = make_response(text)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    filename = f"vouchers-{g.partner.id}-{form.start.data}-{form.end.data}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
