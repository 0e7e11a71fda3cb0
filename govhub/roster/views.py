"""Importing a roster (community admins, system admins) and activating an imported account
(anyone with a slip; no login)."""

from __future__ import annotations

import base64

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from govhub import permissions
from govhub.accounts.throttle import phone_and_address_limits
from govhub.database import ServiceError, utcnow
from govhub.forms import form_status, show_service_error
from govhub.permissions import Action
from govhub.qr import qr_png
from govhub.roster import services
from govhub.roster.forms import ActionForm, ActivateForm, UploadForm
from govhub.roster.models import RosterBatch
from govhub.roster.sheet import COLUMNS, template_xlsx
from govhub.urls import external_url

bp = Blueprint("roster", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/roster/import", methods=["GET", "POST"])
@permissions.require(Action.IMPORT_ROSTER)
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        file = form.file.data
        # One byte more than allowed is enough to tell the file is too large.
        content = file.read(current_app.config["ROSTER_MAX_BYTES"] + 1)
        try:
            batch = services.upload(current_user.id, file.filename or "", content, now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return redirect(url_for("roster.batch", batch_id=batch.id), 303)
    return render_template(
        "roster/upload.html",
        form=form,
        columns=COLUMNS,
        batches=services.recent_batches(current_user.id),
    ), form_status(form)


@bp.get("/roster/template.xlsx")
@permissions.require(Action.IMPORT_ROSTER)
def template():
    response = current_app.response_class(template_xlsx(), mimetype=XLSX)
    response.headers["Content-Disposition"] = "attachment; filename=roster-template.xlsx"
    return response


def _batch(batch_id: int) -> RosterBatch:
    return permissions.get_or_403(RosterBatch, batch_id, Action.OWN_ROSTER_BATCH, denied=404)


@bp.get("/roster/batches/<int:batch_id>")
def batch(batch_id: int):
    found = _batch(batch_id)
    if found.confirmed_at is not None:
        everyone = services.members(found.id)
        return render_template(
            "roster/imported.html",
            batch=found,
            members=everyone,
            next_run=services.slips_to_print(everyone),
            slips_per_print=services.SLIPS_PER_PRINT,
            form=ActionForm(),
        )
    try:
        result = services.preview(found, current_user)
    except ServiceError as error:  # a file kept from before a rule changed
        flash(error.message, "error")
        return redirect(url_for("roster.upload"), 303)
    return render_template("roster/preview.html", preview=result, batch=found, form=ActionForm())


@bp.post("/roster/batches/<int:batch_id>/confirm")
def confirm(batch_id: int):
    found = _batch(batch_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("roster.batch", batch_id=found.id), 303)
    try:
        result = services.confirm(current_user.id, found.id, now=utcnow())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(
            _(
                "Imported: %(created)d new, %(already)d already there, %(errors)d rows with "
                "errors left out. Print the activation slips next.",
                created=result.created,
                already=result.already,
                errors=result.errors,
            ),
            "success",
        )
    return redirect(url_for("roster.batch", batch_id=found.id), 303)


@bp.post("/roster/batches/<int:batch_id>/slips")
def slips(batch_id: int):
    """New codes, shown once: the page is the answer to the POST (its codes are stored only
    as digests), and nothing caches it."""
    found = _batch(batch_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("roster.batch", batch_id=found.id), 303)
    only = request.form.getlist("user_id", type=int) or None
    try:
        issued = services.issue_slips(current_user.id, found.id, now=utcnow(), user_ids=only)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("roster.batch", batch_id=found.id), 303)
    cards = []
    for slip in issued:
        url = external_url("roster.activate", code=slip.code)
        image = base64.b64encode(qr_png(url)).decode()
        cards.append((slip, services.shown_code(slip.code), url, image))
    response = current_app.make_response(
        render_template(
            "roster/slips.html",
            batch=found,
            cards=cards,
            activate_url=external_url("roster.activate"),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Activation (no login) -----------------------------------------------------------


def _code_refused(_response) -> bool:
    return bool(g.get("activation_code_refused"))


# Refused codes count, per phone and per client address; a typo in the password does not.
_activation_limits = phone_and_address_limits(
    "activate", "ACTIVATE_LIMIT_PER_PHONE", "ACTIVATE_LIMIT_PER_ADDRESS", _code_refused
)


@bp.route("/activate", methods=["GET", "POST"])
@_activation_limits
def activate():
    form = ActivateForm()
    if request.method == "GET" and request.args.get("code"):
        code = services.normalize_code(request.args.get("code"))[:32]
        # As the slip prints it (ABCD-EFGH), so the person sees it is the same code.
        form.code.data = services.shown_code(code) if len(code) == services.CODE_LENGTH else code
    if form.validate_on_submit():
        try:
            user = services.activate(
                form.phone.data, form.code.data, form.password.data, now=utcnow()
            )
        except services.CodeRefused as refused:
            g.activation_code_refused = True
            show_service_error(form, refused)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            login_user(user)
            flash(_("Welcome, %(name)s! Your account is active.", name=user.name), "success")
            return redirect(url_for("main.home"), 303)
    return render_template("roster/activate.html", form=form), form_status(form)
