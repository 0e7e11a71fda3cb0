"""The points supermarket for volunteers, their vouchers, and opening a voucher's QR code
at the counter."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from govhub import permissions, tokens
from govhub.clock import local_date
from govhub.database import ServiceError, utcnow
from govhub.extensions import db, login_manager
from govhub.forms import arg_int, show_service_error
from govhub.htmx import render, wants_fragment
from govhub.permissions import Action
from govhub.points import services as points
from govhub.problem import problem_page
from govhub.qr import png_response, qr_png
from govhub.rewards import catalog as reward_catalog
from govhub.rewards import economy as economy_report
from govhub.rewards import vouchers
from govhub.rewards.forms import RedeemForm, RejectForm
from govhub.rewards.models import Redemption, Reward, VoucherStatus
from govhub.urls import external_url

bp = Blueprint("rewards", __name__)

PRICE_CHOICES = (50, 100, 200, 500)


# --- The catalog ---------------------------------------------------------------------


def _filters() -> reward_catalog.CatalogFilters:
    return reward_catalog.CatalogFilters(
        affordable=request.args.get("affordable") == "1",
        partner_id=arg_int("partner"),
        max_price=arg_int("max_price"),
    )


@bp.get("/rewards")
@login_required
def catalog():
    filters = _filters()
    items, partners = reward_catalog.catalog(current_user.id, filters, now=utcnow())
    return render(
        "rewards/catalog.html",
        "rewards/_catalog.html",
        items=items,
        partners=partners,
        filters=filters,
        price_choices=PRICE_CHOICES,
        balance=points.account(current_user.id).balance,
        has_profile=current_user.profile is not None,
    )


def _reward_for_volunteer(reward_id: int) -> Reward:
    """A reward of the current volunteer's area (404 otherwise); its page says when it
    is not on offer (paused, ended, its business suspended)."""
    reward = db.get_or_404(Reward, reward_id)
    if not reward_catalog.eligible(current_user.id, reward):
        abort(404)
    return reward


def _reward_page(reward: Reward, form: RedeemForm | None = None, status: int = 200):
    return (
        render_template(
            "rewards/reward.html",
            reward=reward,
            item=reward_catalog.catalog_item(current_user.id, reward, now=utcnow()),
            not_on_offer=reward_catalog.not_on_offer(reward, now=utcnow()),
            form=form or RedeemForm(formdata=None),
        ),
        status,
    )


@bp.get("/rewards/<int:reward_id>")
@login_required
def reward(reward_id: int):
    return _reward_page(_reward_for_volunteer(reward_id))


@bp.post("/rewards/<int:reward_id>/redeem")
@login_required
def redeem(reward_id: int):
    reward = _reward_for_volunteer(reward_id)
    form = RedeemForm()
    if form.validate():
        try:
            redemption = vouchers.redeem(
                current_user.id, reward.id, key=f"redeem:{form.key.data}", now=utcnow()
            )
        except points.KeyReused as error:
            form.renew_key()
            show_service_error(form, error)
            return _reward_page(reward, form, 409)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return redirect(url_for("rewards.voucher", redemption_id=redemption.id), 303)
    form.move_key_errors()
    return _reward_page(db.session.get_one(Reward, reward.id), form, 422)


@bp.get("/rewards/photos/<int:photo_id>.jpg")
def photo(photo_id: int):
    """A re-encoded photo. Its id changes with every upload, so it is cached for good."""
    data = reward_catalog.photo_data(photo_id)
    if data is None:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# --- My vouchers ---------------------------------------------------------------------


@bp.get("/my/vouchers")
@login_required
def my_vouchers():
    return render_template(
        "rewards/vouchers.html", vouchers=vouchers.vouchers_of(current_user.id), now=utcnow()
    )


def _own_voucher(redemption_id: int) -> Redemption:
    return permissions.get_or_403(Redemption, redemption_id, Action.VIEW_VOUCHER)


def voucher_url(redemption: Redemption) -> str:
    """The absolute URL in the voucher's QR code."""
    return external_url("rewards.open_voucher", token=tokens.voucher_token(redemption.id))


@bp.get("/my/vouchers/<int:redemption_id>")
@login_required
def voucher(redemption_id: int):
    redemption = _own_voucher(redemption_id)
    # The open page asks every few seconds, so it shows "used" as soon as staff confirm;
    # until then the answer is empty, so nothing on the screen moves or reloads.
    if wants_fragment() and redemption.status is VoucherStatus.issued:
        response = make_response("", 204)
        response.vary.add("HX-Request")
        return response
    return render(
        "rewards/voucher.html",
        "rewards/_voucher_status.html",
        redemption=redemption,
        now=utcnow(),
    )


@bp.get("/my/vouchers/<int:redemption_id>/full")
@login_required
def voucher_full(redemption_id: int):
    """Only the QR code and the short code, as large as the screen allows."""
    redemption = _own_voucher(redemption_id)
    if redemption.status is not VoucherStatus.issued:
        return redirect(url_for("rewards.voucher", redemption_id=redemption.id))
    return render_template("rewards/voucher_full.html", redemption=redemption)


@bp.get("/my/vouchers/<int:redemption_id>/qr.png")
@login_required
def voucher_qr(redemption_id: int):
    redemption = _own_voucher(redemption_id)
    if redemption.status is not VoucherStatus.issued:
        abort(404)
    return png_response(qr_png(voucher_url(redemption)), private=True)


@bp.post("/my/vouchers/<int:redemption_id>/cancel")
@login_required
def cancel(redemption_id: int):
    redemption = _own_voucher(redemption_id)
    try:
        vouchers.cancel(current_user.id, redemption.id, now=utcnow())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(
            _("Voucher cancelled; %(n)d points are back in your account.", n=redemption.price),
            "success",
        )
    return redirect(url_for("rewards.voucher", redemption_id=redemption.id), 303)


# --- At the counter ------------------------------------------------------------------


def _voucher_from_token(token: str) -> Redemption | None:
    try:
        redemption_id = tokens.read_voucher_token(token)
    except tokens.TokenRefused:
        return None
    return db.session.get(Redemption, redemption_id)


def _counter_page(redemption: Redemption, token: str, *, result=None, form=None, status=200):
    return (
        render_template(
            "rewards/verify.html",
            redemption=redemption,
            token=token,
            result=result,
            form=form or RejectForm(formdata=None),
            now=utcnow(),
        ),
        status,
    )


def _open(token: str) -> Redemption | ResponseReturnValue:
    """The voucher behind a QR code for its partner's staff, or the page to show instead.

    Nobody else learns anything from the link: not whose voucher it is, not what for."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    redemption = _voucher_from_token(token)
    if redemption is None:
        return problem_page(
            _("This voucher link is not valid."),
            _(
                "Scan the code on the volunteer's voucher again, or type the short code "
                "printed under it."
            ),
        )
    if permissions.can(current_user, Action.VIEW_VOUCHER, redemption):
        # The holder, even one who works for the business: nobody verifies their own.
        return redirect(url_for("rewards.voucher", redemption_id=redemption.id))
    if permissions.can(current_user, Action.VERIFY_VOUCHER, redemption):
        return redemption
    return render_template("rewards/not_staff.html"), 403


@bp.get("/v/<token>")
def open_voucher(token: str):
    """What the staff's phone camera opens."""
    opened = _open(token)
    if not isinstance(opened, Redemption):
        return opened
    return _counter_page(opened, token)


@bp.post("/v/<token>/fulfil")
def fulfil(token: str):
    opened = _open(token)
    if not isinstance(opened, Redemption):
        return opened
    try:
        result = vouchers.fulfil(current_user.id, opened.id, now=utcnow())
    except ServiceError as error:
        return _counter_page(opened, token, result=error.message, status=409)
    if result.done:
        return _counter_page(result.redemption, token)
    return _counter_page(result.redemption, token, result=result.message, status=409)


@bp.post("/v/<token>/reject")
def reject(token: str):
    opened = _open(token)
    if not isinstance(opened, Redemption):
        return opened
    form = RejectForm()
    if form.validate():
        try:
            result = vouchers.reject(current_user.id, opened.id, form.reason.data, now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            if result.done:
                return _counter_page(result.redemption, token)
            return _counter_page(result.redemption, token, result=result.message, status=409)
    return _counter_page(opened, token, form=form, status=422)


# --- The points economy (admins) -----------------------------------------------------


@bp.get("/manage/economy")
@login_required
def economy():
    communities = permissions.economy_communities(current_user)
    if not communities:
        abort(403)
    wanted = arg_int("community")
    community = next((c for c in communities if c.id == wanted), communities[0])
    permissions.authorize(Action.VIEW_ECONOMY, community)
    this_month = local_date(utcnow()).replace(day=1)
    month = economy_report.parse_month(request.args.get("month"), this_month)
    months = [this_month]
    while len(months) < 24:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return render_template(
        "rewards/economy.html",
        report=economy_report.report(community, month),
        communities=communities,
        months=months,
    )
