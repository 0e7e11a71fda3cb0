"""The home page: what each role can do next."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from govhub import permissions
from govhub.accounts.models import Role
from govhub.checkin import services as checkin
from govhub.database import utcnow
from govhub.needs import board, resident_requests
from govhub.partners import services as partners
from govhub.permissions import Action

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    can_review = permissions.can(current_user, Action.REVIEW_PARTNERS)
    return render_template(
        "main/home.html",
        user=current_user,
        community_units=permissions.scope_units(current_user, Role.community_admin),
        oversight_units=permissions.scope_units(current_user, Role.oversight_admin),
        staff_of=permissions.staffed_partners(current_user),
        can_manage_staff=lambda partner: permissions.can(
            current_user, Action.MANAGE_STAFF, partner
        ),
        pending_applications=(
            partners.pending_count(permissions.partner_scope(current_user)) if can_review else 0
        ),
        can_manage_orgs=permissions.can(current_user, Action.MANAGE_ORGS),
        pending_requests=(
            resident_requests.pending_count(permissions.community_admin_scope(current_user))
            if permissions.can(current_user, Action.REVIEW_REQUESTS)
            else 0
        ),
        upcoming_tasks=board.upcoming_count(current_user.id, now=utcnow()),
        leads_shifts=checkin.leads_any_shift(current_user.id),
    )


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
