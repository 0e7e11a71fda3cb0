"""The notification centre: the bell, the list, and opening an item."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from govhub.htmx import render, wants_fragment
from govhub.notifications import services
from govhub.notifications.kinds import message
from govhub.notifications.models import Notification
from govhub.pagination import cursor_from_request
from govhub.references import RefType

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def target_url(notification: Notification) -> str:
    if notification.target_type == RefType.need:
        return url_for("needs.detail", need_id=notification.target_id)
    if notification.target_type == RefType.resident_request:
        return url_for("requests.detail", request_id=notification.target_id)
    if notification.target_type == RefType.redemption:
        return url_for("rewards.voucher", redemption_id=notification.target_id)
    if notification.target_type == RefType.partner:
        return url_for("shop.home", partner_id=notification.target_id)
    if notification.target_type == RefType.points:
        return url_for("points.my_points")
    # Matching: the invitation (accept in one tap), the resource request, the project.
    if notification.target_type == RefType.invitation:
        return url_for("invitations.invitation", invitation_id=notification.target_id)
    if notification.target_type == RefType.resource_request:
        return url_for("invitations.resource_request", request_id=notification.target_id)
    if notification.target_type == RefType.project:
        return url_for("projects.detail", project_id=notification.target_id)
    # 双报到: a unit report's page; a member report's page (the member's own reports).
    if notification.target_type == RefType.unit_report:
        return url_for("unit_reports.detail", report_id=notification.target_id)
    if notification.target_type == RefType.member_report:
        return url_for("member_reports.mine")
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
    """The bell fragment for htmx polling; a plain GET (no JavaScript, a link opened by
    hand, a history restore) goes to the list, which has the notifications themselves."""
    if not wants_fragment():
        return redirect(url_for("notifications.index"), 303)
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
