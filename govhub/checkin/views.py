"""Check-in pages: the organizer's rotating QR screen, scanning it, volunteers' cards,
and the attendance list where hours are confirmed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from govhub import permissions, tokens
from govhub.accounts import services as accounts
from govhub.accounts.models import User
from govhub.audit import services as audit
from govhub.checkin import services
from govhub.checkin.models import Evidence
from govhub.clock import local_text
from govhub.database import NotFound, ServiceError, get_or_raise, keeping_loaded, utcnow
from govhub.extensions import db
from govhub.forms import form_int, parse_decimal, parse_int
from govhub.htmx import render
from govhub.needs.models import Shift
from govhub.pagination import Cursor, cursor_from_request
from govhub.permissions import Action
from govhub.problem import problem_page
from govhub.qr import png_response, qr_png
from govhub.references import RefType
from govhub.tokens import Problem, Purpose, TokenRefused
from govhub.urls import external_url

bp = Blueprint("checkin", __name__)

# The attendance list's cursor is (claimant or not, claim or attendance id): "0.123".
CURSOR_SIZE = 2
# A scanned code stays usable this long while the volunteer logs in.
PENDING_SCAN_MINUTES = 10


def _purpose(mode: str | None) -> Purpose:
    return Purpose.check_out if mode == "out" else Purpose.check_in


def scan_url(shift_id: int, purpose: Purpose, token: str) -> str:
    return external_url("checkin.scan", shift_id=shift_id, mode=purpose.value, token=token)


# --- The organizer's screen ----------------------------------------------------------


@bp.get("/manage/shifts/<int:shift_id>/checkin")
def screen(shift_id: int):
    shift = permissions.get_or_403(Shift, shift_id, Action.RUN_SHIFT)
    purpose = _purpose(request.args.get("mode"))
    can_confirm = permissions.can(current_user, Action.CONFIRM_SHIFT, shift)
    return render_template(
        "checkin/screen.html", can_confirm=can_confirm, **_code_context(shift, purpose)
    )


def _code_context(shift: Shift, purpose: Purpose) -> dict:
    now = utcnow()
    token = tokens.shift_token(shift.id, purpose, now)
    checked_in, checked_out, claimed = services.counts(shift.id)
    return {
        "shift": shift,
        "purpose": purpose,
        "token": token,
        "url": scan_url(shift.id, purpose, token),
        "refresh_in": tokens.slot_ends(now),
        "checked_in": checked_in,
        "checked_out": checked_out,
        "claimed": claimed,
    }


@bp.get("/manage/shifts/<int:shift_id>/checkin/code")
def code(shift_id: int):
    """The QR block, new every 30 seconds (htmx polls it)."""
    shift = permissions.get_or_403(Shift, shift_id, Action.RUN_SHIFT)
    context = _code_context(shift, _purpose(request.args.get("mode")))
    return render("checkin/screen.html", "checkin/_code.html", **context)


@bp.get("/manage/shifts/<int:shift_id>/checkin/counter")
def counter(shift_id: int):
    shift = permissions.get_or_403(Shift, shift_id, Action.RUN_SHIFT)
    context = _code_context(shift, _purpose(request.args.get("mode")))
    return render("checkin/screen.html", "checkin/_counter.html", **context)


@bp.get("/manage/shifts/<int:shift_id>/checkin/<any(in, out):mode>/<token>.png")
def code_image(shift_id: int, mode: str, token: str):
    shift = permissions.get_or_403(Shift, shift_id, Action.RUN_SHIFT)
    purpose = _purpose(mode)
    try:
        tokens.read_shift_token(token, shift.id, purpose, utcnow())
    except TokenRefused:
        abort(404)
    return png_response(qr_png(scan_url(shift.id, purpose, token)))


# --- Scanning the code ---------------------------------------------------------------

PROBLEM_MESSAGES = {
    Problem.forged: (
        _l("This code is not valid."),
        _l("Scan the code on the organizer's screen again with your phone's camera."),
    ),
    Problem.expired: (
        _l("This code has expired."),
        _l("The code changes every 30 seconds. Scan the code on the organizer's screen again."),
    ),
    Problem.wrong_purpose: (
        _l("This is the wrong code."),
        _l(
            "You scanned a check-out code to check in, or a check-in code to check out. "
            "Ask the organizer to show the right one."
        ),
    ),
    Problem.wrong_shift: (
        _l("This code belongs to another activity."),
        _l("Scan the code on the screen of the activity you are at."),
    ),
    Problem.revoked: (
        _l("This card has been replaced."),
        _l("The volunteer has a new card; ask them for it, or check them in by hand."),
    ),
}


def code_problem(problem: Problem, status: int = 400):
    """The problem page for a check-in code or a card that was refused."""
    title, advice = PROBLEM_MESSAGES[problem]
    return problem_page(title, advice, status)


@bp.get("/s/<int:shift_id>/<any(in, out):mode>/<token>")
def scan(shift_id: int, mode: str, token: str):
    """What a phone's camera opens. The code is checked now; the check-in itself is a
    POST after the volunteer has logged in (a login may take longer than the code lives)."""
    purpose = _purpose(mode)
    try:
        tokens.read_shift_token(token, shift_id, purpose, utcnow())
    except TokenRefused as refused:
        return code_problem(refused.problem, 410 if refused.problem is Problem.expired else 400)
    session["scan"] = {"shift": shift_id, "mode": purpose.value, "at": utcnow().isoformat()}
    if not current_user.is_authenticated:
        flash(_("Log in to finish checking in."), "info")
        return redirect(url_for("accounts.login", next=url_for("checkin.confirm_scan")))
    # Logged in: the confirm page at once rather than a redirect to it, so a check-in is
    # two requests (this page, and the POST it sends itself) on a phone's slow network.
    return confirm_scan()


def _pending_scan() -> tuple[int, Purpose] | None:
    """The shift id and purpose of the code scanned in the last few minutes."""
    pending = session.get("scan")
    if not pending:
        return None
    scanned_at = datetime.fromisoformat(pending["at"])
    if utcnow() - scanned_at > timedelta(minutes=PENDING_SCAN_MINUTES):
        session.pop("scan", None)
        return None
    return int(pending["shift"]), _purpose(pending["mode"])


@bp.route("/s/confirm", methods=["GET", "POST"])
@login_required
def confirm_scan():
    pending = _pending_scan()
    if pending is None:
        return code_problem(Problem.expired, 410)
    shift_id, purpose = pending
    if request.method == "GET":
        shift = db.session.get(Shift, shift_id)
        if shift is None:
            return code_problem(Problem.expired, 410)
        # The form submits itself (htmx, on load); without JavaScript, one tap.
        return render_template("checkin/confirm.html", shift=shift, purpose=purpose)
    action = services.check_in if purpose is Purpose.check_in else services.check_out
    try:
        # The page shows the shift and the attendance the service has just read and
        # written: nothing to read again after the commit. The shift is not read
        # before the service either (the service's transaction reads it afresh).
        with keeping_loaded() as _read:
            result = action(current_user.id, shift_id, now=utcnow(), evidence=Evidence.code_scan)
    except ServiceError as refused:
        shift = db.session.get(Shift, shift_id)
        if shift is None:  # gone since it was scanned
            return code_problem(Problem.expired, 410)
        return render(
            "checkin/result.html",
            "checkin/_result.html",
            422,
            shift=shift,
            purpose=purpose,
            error=refused.message,
            result=None,
        )
    session.pop("scan", None)
    return render(
        "checkin/result.html",
        "checkin/_result.html",
        shift=db.session.get_one(Shift, shift_id),  # the service's, still loaded
        purpose=purpose,
        error=None,
        result=result,
    )


# --- Volunteers' cards (for those without a smartphone) -----------------------------


def card_url(user_id: int, version: int) -> str:
    return external_url("checkin.card", token=tokens.card_token(user_id, version))


@bp.get("/my/card")
@login_required
def my_card():
    version = services.card_version(current_user.id) or services.issue_card(
        current_user.id, now=utcnow()
    )
    return render_template("checkin/my_card.html", version=version)


@bp.get("/my/card.png")
@login_required
def my_card_image():
    version = services.card_version(current_user.id)
    if version is None:
        abort(404)
    return png_response(qr_png(card_url(current_user.id, version)))


@bp.post("/my/card/revoke")
@login_required
def revoke_card():
    services.revoke_card(current_user.id, now=utcnow())
    flash(_("Your old card no longer works. Print the new one."), "success")
    return redirect(url_for("checkin.my_card"), 303)


def _card_holder(token: str):
    """The volunteer of a card token, or an explanatory page."""
    try:
        user_id, version = tokens.read_card_token(token)
    except TokenRefused as refused:
        return None, code_problem(refused.problem)
    if services.card_version(user_id) != version:
        return None, code_problem(Problem.revoked)
    return get_or_raise(User, user_id, _l("No such user.")), None


@bp.get("/card/<token>")
@permissions.require(Action.SCAN_CARDS)
def card(token: str):
    holder, problem = _card_holder(token)
    if problem:
        return problem
    runnable = services.runnable_shift_ids(
        current_user.id, permissions.community_admin_scope(current_user), now=utcnow()
    )
    shifts = services.shifts_for_card(holder.id, runnable, now=utcnow())
    attendances = {s.id: services.attendance_of(s.id, holder.id) for s in shifts}
    return render_template(
        "checkin/card.html", holder=holder, token=token, shifts=shifts, attendances=attendances
    )


@bp.post("/card/<token>/<any(in, out):mode>")
@permissions.require(Action.SCAN_CARDS)
def card_action(token: str, mode: str):
    holder, problem = _card_holder(token)
    if problem:
        return problem
    shift = permissions.get_or_403(Shift, form_int("shift_id", 0), Action.RUN_SHIFT)
    action = services.check_in if mode == "in" else services.check_out
    try:
        result = action(
            holder.id, shift.id, now=utcnow(), evidence=Evidence.card_scan, actor_id=current_user.id
        )
    except ServiceError as refused:
        flash(refused.message, "error")
    else:
        when = result.attendance.checked_in_at if mode == "in" else result.attendance.checked_out_at
        flash(
            _(
                "%(name)s: %(what)s at %(time)s.",
                name=holder.name,
                what=_("checked in") if mode == "in" else _("checked out"),
                time=local_text(when) if when else "",
            ),
            "success",
        )
    return redirect(url_for("checkin.card", token=token), 303)


# --- Attendance and confirmation -----------------------------------------------------


@bp.get("/manage/shifts/<int:shift_id>/attendance")
def attendance(shift_id: int):
    """The attendance of a shift: confirmed by the community's admins, read by those who
    oversee it."""
    shift = permissions.get_or_403(Shift, shift_id, Action.READ_NEED)
    return _attendance_page(shift)


def _listing(shift: Shift) -> services.AttendanceQuery:
    """The filter and search in the URL (``?status=``, ``?q=``); what is not one is ignored."""
    return services.AttendanceQuery(
        status=services.AttendanceFilter.parse(request.args.get("status")),
        search=services.parse_search(request.args.get("q")),
        phones=permissions.sees_phones(current_user, shift.need.community),
    )


def _filter_args(listing: services.AttendanceQuery) -> dict[str, str]:
    """The URL arguments of ``listing`` (none for everyone, unsearched)."""
    args = {}
    if listing.status is not services.AttendanceFilter.everyone:
        args["status"] = listing.status.value
    if listing.search:
        args["q"] = listing.search
    return args


def _here_args(listing: services.AttendanceQuery, cursor: Cursor | None) -> dict[str, str]:
    """The URL arguments of the page shown: its filter, search and cursor. The forms of the
    page post to URLs with them, so a refused form shows the same page again and a done
    one redirects back to it (a URL built here: never another site)."""
    args = _filter_args(listing)
    if cursor is not None:
        args["before" if cursor.down else "after"] = ".".join(map(str, cursor.key))
    return args


def _back_to_list(shift: Shift):
    listing = _listing(shift)
    here: dict[str, Any] = _here_args(listing, cursor_from_request(CURSOR_SIZE))
    return redirect(url_for("checkin.attendance", shift_id=shift.id, **here), 303)


def _attendance_page(
    shift: Shift, errors: dict | None = None, status: int = 200, kept: dict | None = None
):
    """One page of the attendance list (the filter, search and cursor in the URL);
    ``errors`` by field key, ``kept`` the refused form's input (its key, e.g. "in-12",
    with the values typed)."""
    listing = _listing(shift)
    cursor = cursor_from_request(CURSOR_SIZE)
    rows = services.attendance_list(shift, listing, cursor)
    # Also how many hours wait for this admin elsewhere (another page, filter or search).
    counts = services.attendance_counts(shift, current_user.id)
    # Who entered hours by hand, when and why: shown beside those hours.
    manual_entries = audit.events_for(
        RefType.attendance,
        [row.attendance.id for row in rows if row.attendance],
        ("attendance.manual_check_in", "attendance.manual_check_out"),
    )
    # Separation of duties: the admin's own row is left to another admin or auto-confirm.
    decidable = {
        row.volunteer_id
        for row in rows
        if permissions.can(
            current_user,
            Action.CONFIRM_ATTENDANCE,
            services.Seat(shift, row.volunteer_id),
        )
    }
    # What the confirm button confirms: the hours waiting on this page for this admin.
    to_confirm = [
        row.attendance.id
        for row in rows
        if row.pending and row.attendance and row.volunteer_id in decidable
    ]
    return render_template(
        "checkin/attendance.html",
        shift=shift,
        rows=rows,
        listing=listing,
        counts=counts.listed,
        filters=services.AttendanceFilter,
        filter_args=_filter_args(listing),
        here=_here_args(listing, cursor),
        to_confirm=to_confirm,
        waiting=counts.others_waiting,
        decidable=decidable,
        kept=kept or {},
        now=utcnow(),
        leaders=services.leaders(shift.id),
        errors=errors or {},
        manual_entries=manual_entries,
        max_search=services.MAX_SEARCH,
    ), status


@bp.post("/manage/shifts/<int:shift_id>/attendance/<any(in, out):mode>")
def manual(shift_id: int, mode: str):
    """An admin enters a check-in or check-out by hand, with a reason (audited)."""
    shift = permissions.get_or_403(Shift, shift_id, Action.CONFIRM_SHIFT)
    volunteer_id = form_int("volunteer_id", 0)
    permissions.authorize(Action.CONFIRM_ATTENDANCE, services.Seat(shift, volunteer_id))
    action = services.check_in if mode == "in" else services.check_out
    try:
        action(
            volunteer_id,
            shift.id,
            now=utcnow(),
            evidence=Evidence.manual,
            actor_id=current_user.id,
            reason=request.form.get("reason"),
            at=request.form.get("at"),
        )
    except ServiceError as refused:
        key = f"{mode}-{volunteer_id}"
        kept = {
            "key": key,
            "at": request.form.get("at", ""),
            "reason": request.form.get("reason", ""),
        }
        return _attendance_page(shift, {key: refused.message}, 422, kept=kept)
    flash(_("Recorded by hand; it is flagged for a second look."), "success")
    return _back_to_list(shift)


@bp.post("/manage/shifts/<int:shift_id>/no-show")
def no_show(shift_id: int):
    shift = permissions.get_or_403(Shift, shift_id, Action.CONFIRM_SHIFT)
    volunteer_id = form_int("volunteer_id", 0)
    permissions.authorize(Action.CONFIRM_ATTENDANCE, services.Seat(shift, volunteer_id))
    try:
        services.mark_no_show(
            current_user.id, shift.id, volunteer_id, request.form.get("reason"), now=utcnow()
        )
    except (ServiceError, NotFound) as refused:
        return _attendance_page(shift, {f"noshow-{volunteer_id}": refused.message}, 422)
    flash(_("Marked as a no-show."), "success")
    return _back_to_list(shift)


@bp.post("/manage/shifts/<int:shift_id>/confirm")
def confirm(shift_id: int):
    """Confirm what the admin saw: the rows the form names (each shown row's id in
    ``attendance``, and any row with a decision field), never the rest of the list."""
    shift = permissions.get_or_403(Shift, shift_id, Action.CONFIRM_SHIFT)
    shown = {parse_int(value) for value in request.form.getlist("attendance")}
    decisions = {}
    for key, value in request.form.items():
        is_minutes = key.startswith("minutes-")
        attendance_id = parse_int(key.removeprefix("minutes-")) if is_minutes else None
        if attendance_id is not None:
            hours = value.strip()
            number = parse_decimal(hours) if hours else None
            if hours and number is None:
                return _attendance_page(shift, {key: _("Enter hours as a number, e.g. 1.5.")}, 422)
            minutes = round(number * 60) if number is not None else None
            decisions[attendance_id] = services.Decision(
                minutes=minutes,
                no_show=request.form.get(f"noshow-{attendance_id}") == "1",
                note=request.form.get(f"note-{attendance_id}"),
            )
        elif key.startswith("noshow-"):
            shown.add(parse_int(key.removeprefix("noshow-")))
    ids = {i for i in shown | set(decisions) if i is not None}
    try:
        confirmed = services.confirm_shift(
            current_user.id, shift.id, decisions, now=utcnow(), attendance_ids=ids
        )
    except ServiceError as refused:
        return _attendance_page(shift, {refused.field or "form": refused.message}, 422)
    if ids:
        flash(_("Confirmed: %(n)d volunteers' hours and points.", n=confirmed), "success")
    else:
        flash(_("Nothing to confirm on this page."), "info")
    return _back_to_list(shift)


@bp.post("/manage/shifts/<int:shift_id>/leaders")
def add_leader(shift_id: int):
    shift = permissions.get_or_403(Shift, shift_id, Action.CONFIRM_SHIFT)
    user = accounts.find_by_phone(request.form.get("phone", ""))
    if user is None:
        return _attendance_page(shift, {"leader": _("No account has this phone number.")}, 422)
    services.name_leader(current_user.id, shift.id, user.id)
    flash(_("%(name)s can now run this shift's check-in.", name=user.name), "success")
    return redirect(url_for("checkin.attendance", shift_id=shift.id), 303)


@bp.post("/manage/shifts/<int:shift_id>/leaders/<int:user_id>/remove")
def remove_leader(shift_id: int, user_id: int):
    shift = permissions.get_or_403(Shift, shift_id, Action.CONFIRM_SHIFT)
    services.remove_leader(current_user.id, shift.id, user_id)
    return redirect(url_for("checkin.attendance", shift_id=shift.id), 303)


@bp.get("/my/shifts/led")
@login_required
def led_shifts():
    """Shifts the current user leads (a volunteer named shift leader)."""
    shifts = services.led_shifts(current_user.id, now=utcnow())
    return render_template("checkin/led.html", shifts=shifts)
