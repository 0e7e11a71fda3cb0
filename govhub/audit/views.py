"""The audit trail for system admins: who did what, to what, when and why."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from govhub import permissions
from govhub.audit import services
from govhub.pagination import cursor_from_request
from govhub.permissions import Action

bp = Blueprint("audit", __name__)


@bp.get("/admin/audit")
@permissions.require(Action.MANAGE_ROLES)
def trail():
    action = (request.args.get("action") or "").strip() or None
    page = services.recent(cursor=cursor_from_request(), action=action)
    return render_template("audit/trail.html", page=page, action=action)
