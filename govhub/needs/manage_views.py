"""Community admins' pages: post and edit needs with their shifts, run their lifecycle,
see who claimed, and set the community's rules."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from govhub import permissions
from govhub.accounts import services as accounts
from govhub.clock import to_local, to_utc
from govhub.database import MAX_DB_INT, NotFound, ServiceError, utcnow
from govhub.extensions import db
from govhub.forms import arg_int, find_field, form_status, parse_int, show_service_error
from govhub.htmx import render
from govhub.needs import board as needs_board
from govhub.needs import claims as needs_claims
from govhub.needs import posting, resident_requests, unit_holds
from govhub.needs.forms import NeedForm, ReasonForm, SettingsForm
from govhub.needs.models import Claim, Need, NeedStatus, PointsMode, Shift, Visibility
from govhub.orgs import settings as org_settings
from govhub.pagination import cursor_from_request
from govhub.permissions import Action

bp = Blueprint("manage", __name__, url_prefix="/manage")

EDITOR_ACTIONS = ("add_shift", "remove_shift", "preview_recurring", "add_recurring")


@bp.get("/needs")
@permissions.require(Action.READ_NEEDS)
def needs():
    """The needs of the communities the viewer administers or oversees (``?community=``:
    one of them); an oversight admin reads them, with nothing to act on."""
    status = request.args.get("status")
    chosen = NeedStatus(status) if status and status in NeedStatus.__members__ else None
    scope, community = permissions.read_filter(current_user, arg_int("community"))
    page = needs_board.managed_needs(scope, chosen, cursor_from_request())
    return render_template(
        "needs/manage_list.html",
        page=page,
        status=chosen,
        statuses=list(NeedStatus),
        community=community,
        now=utcnow(),
        manages=permissions.can(current_user, Action.MANAGE_NEEDS),
        pending_requests=resident_requests.pending_count(
            permissions.community_admin_scope(current_user)
        ),
    )


# --- The editor ----------------------------------------------------------------------


def _fill_choices(form: NeedForm) -> None:
    communities = permissions.admin_communities(current_user)
    form.community_id.choices = [(c.id, c.name) for c in communities]
    if form.community_id.data is None and communities:
        form.community_id.data = communities[0].id
    form.category_id.choices = [("", _("Choose…"))] + [(c.id, c.name) for c in posting.categories()]
    form.skill_ids.choices = [(s.id, s.name) for s in accounts.all_skills()]
    form.grid_id.choices = [("", _("The whole community"))] + [
        (grid.id, f"{community.name} · {grid.name}")
        for community in communities
        for grid in community.children
    ]


def _shift_inputs(form: NeedForm) -> list[posting.ShiftInput]:
    return [
        posting.ShiftInput(
            starts_at=to_utc(entry.starts_at.data) if entry.starts_at.data else None,
            ends_at=to_utc(entry.ends_at.data) if entry.ends_at.data else None,
            capacity=entry.capacity.data,
            walk_ins=bool(entry.walk_ins.data),
            id=entry.shift_id.data,
            field=entry.name,
        )
        for entry in form.shifts
    ]


def _need_input(form: NeedForm) -> posting.NeedInput:
    max_hours = form.max_hours.data
    return posting.NeedInput(
        title=form.title.data or "",
        description=form.description.data or "",
        category_id=form.category_id.data,
        place=form.place.data or "",
        contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "",
        skill_ids=form.skill_ids.data or [],
        points_mode=PointsMode(form.points_mode.data or "per_hour"),
        points_per_hour=form.points_per_hour.data,
        fixed_points=form.fixed_points.data,
        max_minutes_per_shift=int(max_hours * 60) if max_hours else None,
        visibility=Visibility(form.visibility.data or "community"),
        party_task=bool(form.party_task.data),
        grid_id=form.grid_id.data,
    )


def _run_editor_action(form: NeedForm) -> tuple[list | None, int]:
    """Add or remove shift rows, or expand a recurring pattern; returns the preview and
    the status: 422 when the action was refused (its reason is at its field)."""
    if "add_shift" in request.form:
        if problem := posting.shift_limit_error(len(form.shifts.entries) + 1):
            show_service_error(form, ServiceError(problem, field="shifts"))
            return None, 422
        form.shifts.append_entry()
    elif "remove_shift" in request.form:
        names = [entry.name for entry in form.shifts.entries]
        if request.form["remove_shift"] in names and len(names) > 1:
            # Renumbers the rows left 0..n-1, as WTForms reads them on the next post.
            form.shifts.pop_entry(names.index(request.form["remove_shift"]))
    elif "preview_recurring" in request.form or "add_recurring" in request.form:
        # A single empty starter row is replaced rather than kept.
        entries = form.shifts.entries
        starter = (
            len(entries) == 1 and not entries[0].starts_at.data and not entries[0].shift_id.data
        )
        slots = _recurring(form, existing=0 if starter else len(entries))
        if slots is None:
            return None, 422
        if "preview_recurring" in request.form:
            return [
                (to_local(s.starts_at), to_local(s.ends_at))
                for s in slots
                if s.starts_at and s.ends_at  # always: the service made them
            ], 200
        if starter:
            form.shifts.entries = []
            form.shifts.last_index = -1
        for slot in slots:
            assert slot.starts_at and slot.ends_at  # the service made them
            form.shifts.append_entry(
                {
                    "starts_at": to_local(slot.starts_at),
                    "ends_at": to_local(slot.ends_at),
                    "capacity": slot.capacity,
                }
            )
    return None, 200


# The recurring pattern's fields, by the names the service gives its refusals.
RECURRING_FIELDS: dict[str | None, str] = {
    "end_time": "rec_end",
    "weekdays": "rec_weekdays",
    "weeks": "rec_weeks",
    "first_day": "rec_first_day",
    "capacity": "rec_capacity",
}


def _recurring(form: NeedForm, existing: int) -> list[posting.ShiftInput] | None:
    """The shifts of the recurring pattern, or None with the refusal put at its field."""
    if not (form.rec_start.data and form.rec_end.data and form.rec_first_day.data):
        form.rec_first_day.errors = [_("Enter the weekdays, times and first day.")]
        return None
    try:
        return posting.recurring_shifts(
            set(form.rec_weekdays.data or []),
            form.rec_start.data,
            form.rec_end.data,
            form.rec_first_day.data,
            form.rec_weeks.data or 0,
            form.rec_capacity.data,
            now=utcnow(),
            existing=existing,
        )
    except ServiceError as error:
        field = RECURRING_FIELDS.get(error.field, error.field)
        show_service_error(form, ServiceError(error.message, field=field))
        return None


def _editor(form: NeedForm, need: Need | None, status: int = 200, preview=None, source=None):
    context = {
        "form": form,
        "need": need,
        "preview": preview,
        "source": source,
        "default_rate": _default_rate(form),
    }
    return render("needs/edit.html", "needs/_shifts.html", status, **context)


def _default_rate(form: NeedForm) -> int | None:
    if form.community_id.data:
        return org_settings.default_points_per_hour(form.community_id.data, form.category_id.data)
    return None


def _save(form: NeedForm, need: Need | None, source=None):
    community_id = need.community_id if need else form.community_id.data
    if need is None and community_id not in [
        c.id for c in permissions.admin_communities(current_user)
    ]:
        abort(403)
    if not form.validate_on_submit():
        return _editor(form, need, 422, source=source)
    try:
        saved = posting.save_need(
            current_user.id,
            community_id,
            _need_input(form),
            _shift_inputs(form),
            now=utcnow(),
            need_id=need.id if need else None,
            request_id=form.request_id.data if need is None else None,
        )
    except ServiceError as error:
        show_service_error(form, error)
        return _editor(form, need, 422, source=source)
    flash(_("Saved.") if need else _("Saved as a draft. Publish it when it is ready."), "success")
    return redirect(url_for("manage.need", need_id=saved.id), 303)


@bp.route("/needs/new", methods=["GET", "POST"])
@permissions.require(Action.MANAGE_NEEDS)
def new_need():
    form = NeedForm()
    source = None
    request_id = arg_int("request") or form.request_id.data
    if request_id:
        source = permissions.get_or_403(
            resident_requests.ResidentRequest, request_id, Action.DECIDE_REQUEST
        )
    if request.method == "GET":
        form.contact_name.data = current_user.name
        form.contact_phone.data = current_user.phone
        if source is not None:
            form.request_id.data = source.id
            form.community_id.data = source.community_id
            form.title.data = source.what
            form.description.data = "\n".join(
                filter(
                    None,
                    [
                        source.details,
                        _("When: %(when)s", when=source.when_text) if source.when_text else "",
                        _("Resident: %(name)s", name=source.resident_display),
                    ],
                )
            )
            form.place.data = source.place
    _fill_choices(form)
    if request.method == "POST":
        if any(action in request.form for action in EDITOR_ACTIONS):
            preview, status = _run_editor_action(form)
            return _editor(form, None, status, preview=preview, source=source)
        return _save(form, None, source)
    return _editor(form, None, source=source)


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
def edit_need(need_id: int):
    need = permissions.get_or_403(Need, need_id, Action.EDIT_NEED)
    if need.status not in posting.EDITABLE:
        flash(_("A %(status)s need can no longer be changed.", status=need.status.label), "error")
        return redirect(url_for("manage.need", need_id=need.id), 303)
    if request.method == "GET":
        form = NeedForm(obj=need)
        form.skill_ids.data = [s.id for s in need.skills]
        form.max_hours.data = (
            need.max_minutes_per_shift / 60 if need.max_minutes_per_shift else None
        )
        form.points_mode.data = need.points_mode.value
        form.visibility.data = need.visibility.value
        while len(form.shifts.entries):
            form.shifts.pop_entry()
        for shift in need.shifts:
            form.shifts.append_entry(
                {
                    "shift_id": shift.id,
                    "starts_at": to_local(shift.starts_at),
                    "ends_at": to_local(shift.ends_at),
                    "capacity": shift.capacity,
                    "walk_ins": shift.walk_ins,
                }
            )
    else:
        form = NeedForm()
    form.community_id.data = need.community_id
    _fill_choices(form)
    if request.method == "POST":
        if any(action in request.form for action in EDITOR_ACTIONS):
            preview, status = _run_editor_action(form)
            return _editor(form, need, status, preview=preview)
        return _save(form, need)
    return _editor(form, need)


@bp.post("/needs/validate")
@permissions.require(Action.MANAGE_NEEDS)
def validate_field():
    """Inline validation: the error (or nothing) for the one field being typed in."""
    form = NeedForm()
    _fill_choices(form)
    name = request.headers.get("HX-Trigger-Name") or request.args.get("field", "")
    field = find_field(form, name)
    if field is None:
        abort(400)
    form.validate()
    errors = list(field.errors)
    if not errors and name.startswith("shifts-"):
        row = next((e for e in form.shifts if name.startswith(e.name + "-")), None)
        errors = _shift_row_errors(row, name)
    return render_template("_macros/_field_error.html", field=field, errors=errors)


def _shift_row_errors(row, name: str) -> list[str]:
    if row is None:
        return []
    starts = to_utc(row.starts_at.data) if row.starts_at.data else None
    ends = to_utc(row.ends_at.data) if row.ends_at.data else None
    existing = db.session.get(Shift, row.shift_id.data) if row.shift_id.data else None
    unchanged = existing is not None and existing.starts_at == starts
    problem = posting.shift_error(starts, ends, row.capacity.data, utcnow(), new=not unchanged)
    if problem and name == f"{row.name}-{problem[0]}":
        return [problem[1]]
    return []


# --- One need: roster and lifecycle --------------------------------------------------


@bp.get("/needs/<int:need_id>")
def need(need_id: int):
    need = permissions.get_or_403(Need, need_id, Action.READ_NEED)
    return _need_page(need)


def _need_page(
    need: Need, reason_form: ReasonForm | None = None, status: int = 200, remove_errors=None
):
    return render_template(
        "needs/manage_need.html",
        need=need,
        roster=needs_board.roster(need),
        unit_holds=unit_holds.holds_by_shift(need),  # 一键认领: units' held places
        now=utcnow(),
        reason_form=reason_form or ReasonForm(),
        remove_errors=remove_errors or {},
        ratings=resident_requests.ratings_for(need.id),
        transitions=posting.TRANSITIONS[need.status],
        NeedStatus=NeedStatus,
        edits=permissions.can(current_user, Action.EDIT_NEED, need),
    ), status


LIFECYCLE = {
    "publish": (
        lambda actor, need_id: posting.publish(actor, need_id, now=utcnow()),
        _l("Published: it is on the board now."),
    ),
    "close": (posting.close, _l("Closed: no new claims.")),
    "reopen": (
        lambda actor, need_id: posting.publish(actor, need_id, now=utcnow()),
        _l("Open for claims again."),
    ),
    "complete": (
        lambda actor, need_id: posting.complete(actor, need_id, now=utcnow()),
        _l("Marked as completed."),
    ),
}


@bp.post("/needs/<int:need_id>/<any(publish, close, reopen, complete):action>")
def lifecycle(need_id: int, action: str):
    need = permissions.get_or_403(Need, need_id, Action.EDIT_NEED)
    run, done = LIFECYCLE[action]
    try:
        run(current_user.id, need.id)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(str(done), "success")
    return redirect(url_for("manage.need", need_id=need.id), 303)


@bp.post("/needs/<int:need_id>/cancel")
def cancel(need_id: int):
    need = permissions.get_or_403(Need, need_id, Action.EDIT_NEED)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            posting.cancel(current_user.id, need.id, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Cancelled. Everyone who claimed has been told."), "success")
            return redirect(url_for("manage.need", need_id=need.id), 303)
    return _need_page(permissions.get_or_403(Need, need_id, Action.EDIT_NEED), form, 422)


@bp.post("/claims/<int:claim_id>/remove")
def remove_claimant(claim_id: int):
    claim = permissions.get_or_403(Claim, claim_id, Action.EDIT_NEED)
    need = claim.shift.need
    form = ReasonForm(prefix=f"remove-{claim_id}")
    if form.validate_on_submit():
        try:
            needs_claims.remove_claimant(current_user.id, claim_id, form.reason.data, now=utcnow())
        except (ServiceError, NotFound) as error:
            flash(error.message, "error")
        else:
            flash(
                _("%(name)s was removed and has been told why.", name=claim.volunteer.name),
                "success",
            )
        return redirect(url_for("manage.need", need_id=need.id), 303)
    return _need_page(need, status=422, remove_errors={claim_id: form.reason.errors})


# --- Community settings --------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@permissions.require(Action.MANAGE_NEEDS)
def settings():
    communities = permissions.admin_communities(current_user)
    community_id = arg_int("community") or communities[0].id
    if community_id not in [c.id for c in communities]:
        abort(403)
    current = org_settings.community_settings(community_id)
    percents = org_settings.category_percents(community_id)
    form = SettingsForm(obj=current) if request.method == "GET" else SettingsForm()
    categories = posting.categories()
    rate_errors: dict[int, str] = {}
    if form.validate_on_submit():
        submitted = {}
        for category in categories:
            raw = request.form.get(f"rate_{category.id}", "").strip()
            number = parse_int(raw, 0, MAX_DB_INT)
            if number is None:
                rate_errors[category.id] = _("Enter a whole number.")
            else:
                submitted[category.id] = number
        if not rate_errors:
            try:
                org_settings.save_settings(
                    current_user.id,
                    community_id,
                    points_per_hour=form.points_per_hour.data,
                    cancel_cutoff_minutes=form.cancel_cutoff_minutes.data,
                    percents=submitted,
                    checkin_opens_minutes=form.checkin_opens_minutes.data,
                    rounding_minutes=form.rounding_minutes.data,
                    auto_confirm_days=form.auto_confirm_days.data,
                    manual_hours_earn=form.manual_hours_earn.data,
                )
            except ServiceError as error:
                if error.field and error.field.startswith("rate_"):
                    rate_errors[int(error.field[5:])] = error.message
                else:
                    show_service_error(form, error)
            else:
                flash(_("Settings saved."), "success")
                return redirect(url_for("manage.settings", community=community_id), 303)
        percents = {**percents, **submitted}
    return render_template(
        "needs/settings.html",
        form=form,
        communities=communities,
        community_id=community_id,
        categories=categories,
        percents=percents,
        rate_errors=rate_errors,
    ), form_status(form)
