"""The notification centre: the bell, the list, and opening an item."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from govhub.htmx import render
from govhub.notifications import services
from govhub.notifications.models import Notification
from govhub.pagination import cursor_from_request

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

# What each kind of notification says; params are filled in when it is shown.
MESSAGES = {
    "claim_confirmed": _l("You claimed a place: %(title)s, %(when)s."),
    "waitlist_promoted": _l("A place came free and it is yours: %(title)s, %(when)s."),
    "need_cancelled": _l("Cancelled: %(title)s. Reason: %(reason)s"),
    "need_changed": _l("The time or place of %(title)s has changed. Please check."),
    "claim_removed": _l("The organizer removed you from %(title)s. Reason: %(reason)s"),
    "request_accepted": _l('Your request "%(what)s" was accepted and posted as a need.'),
    "request_declined": _l('Your request "%(what)s" was declined. Reason: %(reason)s'),
    "voucher_fulfilled": _l("Your voucher for %(title)s was used at %(partner)s."),
    "voucher_rejected": _l(
        "%(partner)s turned down your voucher for %(title)s and your points are back. "
        "Reason: %(reason)s"
    ),
    "voucher_expired": _l(
        "Your voucher for %(title)s expired unused; %(points)s points are back in your account."
    ),
    "voucher_voided": _l(
        "%(partner)s no longer takes vouchers; your voucher for %(title)s was refunded."
    ),
    "staff_added": _l("You are now on the staff of %(partner)s: you can verify its vouchers."),
    "points_expiring": _l("%(points)s of your points expire from %(date)s. Use them before then."),
}


def message(notification: Notification) -> str:
    params = {"title": "", "reason": "", "what": "", "partner": "", **notification.params}
    if "starts_at" in params:
        params["when"] = format_datetime(datetime.fromisoformat(params["starts_at"]), "short")
    template = MESSAGES.get(notification.kind)
    return str(template) % params if template else notification.kind


def target_url(notification: Notification) -> str:
    if notification.target_type == "need":
        return url_for("needs.detail", need_id=notification.target_id)
    if notification.target_type == "request":
        return url_for("requests.detail", request_id=notification.target_id)
    if notification.target_type == "voucher":
        return url_for("rewards.voucher", redemption_id=notification.target_id)
    if notification.target_type == "partner":
        return url_for("shop.home", partner_id=notification.target_id)
    if notification.target_type == "points":
        return url_for("points.my_points")
    return url_for("notifications.index")


def init_app(app) -> None:
    @app.context_processor
    def _unread():
        def unread_count() -> int:
            return services.unread_count(current_user.id) if current_user.is_authenticated else 0

        return {"unread_notifications": unread_count}


@bp.get("/")
@login_required
def index():
    page = services.recent(current_user.id, cursor_from_request())
    return render_template("notifications/index.html", page=page, message=message)


@bp.get("/bell")
@login_required
def bell():
    return render("notifications/index.html", "notifications/_bell.html")


@bp.post("/<int:notification_id>/open")
@login_required
def open_item(notification_id: int):
    notification = services.mark_read(current_user.id, notification_id)
    if notification is None:
        abort(404)
    return redirect(target_url(notification), 303)


@bp.post("/read-all")
@login_required
def read_all():
    services.mark_all_read(current_user.id)
    return redirect(url_for("notifications.index"), 303)
