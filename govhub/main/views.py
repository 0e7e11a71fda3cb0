"""The home page: what each role can do next."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user

from govhub.checkin import services as checkin
from govhub.database import utcnow
from govhub.main import health
from govhub.needs import board
from govhub.workbench import views as workbench_views

bp = Blueprint("main", __name__)


HOME_TASKS = 3  # upcoming tasks shown on 首页; the rest are in My tasks


@bp.get("/")
def home():
    """首页: the scanner entry, upcoming tasks, a card per workbench, the volunteer's links."""
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    now = utcnow()
    upcoming = board.my_tasks(current_user.id, now=now).upcoming
    return render_template(
        "main/home.html",
        user=current_user,
        upcoming=upcoming[:HOME_TASKS],
        upcoming_total=len(upcoming),
        cards=workbench_views.cards(current_user, now=now),
        leads_shifts=checkin.leads_any_shift(current_user.id),
    )


@bp.get("/healthz")
def healthz():
    """200 when the database answers at the newest migration, else 503 with the reason."""
    found = health.problems()
    body = {"status": "ok"} if not found else {"status": "unavailable", "problems": found}
    response = jsonify(body)
    response.status_code = 503 if found else 200
    response.headers["Cache-Control"] = "no-store"
    return response
