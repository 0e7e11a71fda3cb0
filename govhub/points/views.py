"""Volunteers' points, hours and service records; leaderboards; adjustments."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required

from govhub import permissions
from govhub.accounts.models import User
from govhub.checkin.models import Evidence
from govhub.database import NotFound, ServiceError, utcnow
from govhub.forms import arg_int, form_status, show_service_error
from govhub.htmx import render, wants_fragment
from govhub.needs import board as needs_board
from govhub.pagination import parse_cursor
from govhub.permissions import Action
from govhub.points import leaderboard as boards
from govhub.points import records, services
from govhub.points.forms import AdjustForm, FindVolunteerForm, IssueRecordForm
from govhub.points.models import ServiceRecord
from govhub.problem import problem_page
from govhub.qr import png_response, qr_png
from govhub.tokens import record_token
from govhub.urls import external_url

bp = Blueprint("points", __name__)

# Actions decided in govhub.permissions.can (no constants there yet).


def evidence_label(value: str | None) -> str:
    return Evidence(value).label if value and value in Evidence.__members__ else ""


@bp.context_processor
def _helpers():
    return {
        "evidence_label": evidence_label,
        "format_decimal": format_decimal,
    }


# --- My points -----------------------------------------------------------------------


def _before() -> int | None:
    """The ledger's "load more" cursor; one that is not an entry id is the first page."""
    key = parse_cursor(request.args.get("before"))
    return key[0] if key else None


def _history_page():
    return services.history(current_user.id, before=_before())


@bp.get("/my/points")
@login_required
def my_points():
    page = _history_page()
    context: dict[str, Any] = {
        "page": page,
        "more_url": lambda before: url_for("points.my_points", before=before),
        # Vouchers are seen by their holder only (Action.VIEW_VOUCHER): link them here.
        "own_ledger": True,
    }
    if wants_fragment() and request.args.get("before"):
        # "Load more": the next entries only. Without JavaScript the link opens the page.
        return render("points/my_points.html", "points/_entries.html", **context)
    return render(
        "points/my_points.html",
        "points/my_points.html",
        summary=services.summary(current_user.id),
        tasks=needs_board.my_tasks(current_user.id, now=utcnow()),
        records=records.records_of(current_user.id),
        **context,
    )


# --- Leaderboards --------------------------------------------------------------------


def _choice(enum_cls, name: str):
    value = request.args.get(name)
    return enum_cls(value) if value in enum_cls.__members__ else next(iter(enum_cls))


@bp.get("/leaderboard")
@login_required
def leaderboard():
    # Without a home community, an oversight admin picks a street or community of theirs.
    units = (
        boards.oversight_units(permissions.oversight_scope(current_user))
        if current_user.profile is None
        else []
    )
    wanted = arg_int("unit")
    unit = next((u for u in units if u.id == wanted), units[0] if units else None)
    board = boards.board(
        current_user,
        _choice(boards.Scope, "scope"),
        _choice(boards.Period, "period"),
        _choice(boards.Metric, "by"),
        now=utcnow(),
        unit=unit,
    )

    def board_url(**changes) -> str:
        args = {"scope": board.scope, "period": board.period, "by": board.metric, **changes}
        if unit is not None:
            args = {"unit": unit.id, "period": board.period, "by": board.metric, **changes}
        query: dict[str, Any] = {k: str(v) for k, v in args.items()}
        return url_for("points.leaderboard", **query)

    return render(
        "points/leaderboard.html",
        "points/_leaderboard.html",
        board=board,
        board_url=board_url,
        scopes=list(boards.Scope),
        periods=list(boards.Period),
        metrics=list(boards.Metric),
        units=units,
    )


# --- Admins: a volunteer's points ----------------------------------------------------


@bp.get("/manage/volunteers")
@permissions.require(Action.FIND_VOLUNTEERS)
def find_volunteer():
    form = FindVolunteerForm(request.args)
    found = None
    if form.phone.data and form.validate():
        found = services.find_volunteers(
            form.phone.data, permissions.community_admin_scope(current_user)
        )
    return render_template("points/find_volunteer.html", form=form, found=found)


def _volunteer_page(volunteer: User, adjust_form=None, issue_form=None, status: int = 200):
    page = services.history(volunteer.id, before=_before())
    context: dict[str, Any] = {
        "page": page,
        "more_url": lambda before: url_for("points.volunteer", user_id=volunteer.id, before=before),
        "own_ledger": False,
    }
    if wants_fragment() and request.args.get("before"):
        return render("points/volunteer.html", "points/_entries.html", **context)
    return render(
        "points/volunteer.html",
        "points/volunteer.html",
        status,
        volunteer=volunteer,
        summary=services.summary(volunteer.id),
        records=records.records_of(volunteer.id),
        # An admin's own points and records are someone else's call (separation of duties).
        can_adjust=permissions.can(current_user, Action.ADJUST_POINTS, volunteer),
        manages=permissions.can(current_user, Action.MANAGE_VOLUNTEER, volunteer),
        adjust_form=adjust_form or AdjustForm(formdata=None),
        issue_form=issue_form or IssueRecordForm(formdata=None),
        **context,
    )


@bp.get("/manage/volunteers/<int:user_id>")
def volunteer(user_id: int):
    """A volunteer's points and hours: managed by their community's admins, read by the
    offices that oversee it."""
    return _volunteer_page(permissions.get_or_403(User, user_id, Action.READ_VOLUNTEER))


@bp.post("/manage/volunteers/<int:user_id>/adjust")
def adjust(user_id: int):
    volunteer = permissions.get_or_403(User, user_id, Action.ADJUST_POINTS)
    form = AdjustForm()
    if form.validate():
        try:
            services.adjust(
                current_user.id,
                volunteer.id,
                form.amount.data,
                form.reason.data,
                key=f"adjust:{form.key.data}",
                now=utcnow(),
            )
        except services.KeyReused as error:
            form.renew_key()
            show_service_error(form, error)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Points adjusted."), "success")
            return redirect(url_for("points.volunteer", user_id=volunteer.id), 303)
    form.move_key_errors()
    return _volunteer_page(volunteer, adjust_form=form, status=form_status(form))


@bp.post("/manage/volunteers/<int:user_id>/records")
def issue_record(user_id: int):
    volunteer = permissions.get_or_403(User, user_id, Action.ADJUST_POINTS)
    form = IssueRecordForm()
    if form.validate():
        try:
            record = records.issue_record(
                current_user.id, volunteer.id, key=form.key.data, now=utcnow()
            )
        except services.KeyReused as error:
            form.renew_key()
            show_service_error(form, error)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Service record %(number)s issued.", number=record.number), "success")
            return redirect(url_for("points.record", record_id=record.id), 303)
    form.move_key_errors()
    return _volunteer_page(volunteer, issue_form=form, status=422)


@bp.get("/manage/ledger-audit")
@permissions.require(Action.VIEW_LEDGER_AUDIT)
def ledger_audit():
    runs = services.audit_runs()
    volunteer_ids = {m["volunteer_id"] for run in runs for m in run.mismatches}
    people = services.users_by_id(volunteer_ids)
    visible = {
        vid: user
        for vid, user in people.items()
        if permissions.can(current_user, Action.VIEW_POINTS, user)
    }
    return render_template("points/ledger_audit.html", runs=runs, visible=visible)


# --- Service records -----------------------------------------------------------------


def _verify_url(record: ServiceRecord) -> str:
    return external_url("points.verify_record", token=record_token(record.id))


@bp.get("/records/<int:record_id>")
def record(record_id: int):
    record = permissions.get_or_403(ServiceRecord, record_id, Action.VIEW_RECORD)
    return render_template("points/record.html", record=record, verify_url=_verify_url(record))


@bp.get("/records/<int:record_id>/qr.png")
def record_qr(record_id: int):
    return png_response(
        qr_png(_verify_url(permissions.get_or_403(ServiceRecord, record_id, Action.VIEW_RECORD)))
    )


@bp.get("/records/verify/<token>")
def verify_record(token: str):
    """Public: anyone holding the paper can check it. Shows only the name, total hours,
    record number and date issued."""
    try:
        record = records.verify(token)
    except NotFound as problem:
        return problem_page(
            _("This record cannot be confirmed"),
            problem.message,
            404,
            detail=_(
                "The code may have been copied wrongly, altered, or made elsewhere. Ask the "
                "volunteer's community to check the record."
            ),
        )
    return render_template("points/verify.html", record=record)
