"""The audit trail for system admins: who did what, to what, when and why."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from govhub import permissions
from govhub.audit import services
from govhub.forms import arg_int

bp = Blueprint("audit", __name__)


@bp.get("/admin/audit")
@permissions.require(permissions.MANAGE_ROLES)
def trail():
    action = (request.args.get("action") or "").strip() or None
    events = services.recent(before_id=arg_int("before"), action=action)
    return render_template(
        "audit/trail.html", events=events, action=action, more=len(events) == services.PAGE_SIZE
    )
