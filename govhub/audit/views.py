"""The audit trail of a subtree: who did what, to what, when and why, for the admins who
read that subtree (a system admin reads it all). Nothing here changes an event."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from govhub import permissions
from govhub.accounts import services as accounts
from govhub.accounts.validation import normalize_phone, phone_error
from govhub.audit import services
from govhub.audit.forms import TrailForm
from govhub.audit.kinds import Category, action_label
from govhub.clock import local_today, to_local
from govhub.exports.writer import stream_table
from govhub.oversight import period as periods
from govhub.pagination import cursor_from_request
from govhub.permissions import Action

bp = Blueprint("audit", __name__)


def _filter() -> tuple[services.TrailFilter, TrailForm, dict[str, str]]:
    """The trail's filter from the query string, the form showing it, and the arguments
    that repeat it (for the pager and the exports). What cannot be read is said at its
    field and left out of the filter."""
    form = TrailForm(request.args)
    args: dict[str, str] = {}
    unit = permissions.unit_of_request()
    if unit is not None:
        args["unit"] = str(unit.id)
    category = None
    if form.category.data:
        try:
            category = Category(form.category.data)
            args["category"] = category.value
        except ValueError:
            form.category.errors = [_("Choose from the list.")]
    action = (request.args.get("action") or "").strip()[:64] or None
    if action:
        args["action"] = action
    actor_id = None
    if form.actor.data:
        phone = normalize_phone(form.actor.data)
        error = phone_error(phone)
        if error:
            form.actor.errors = [error]
        else:
            person = accounts.find_by_phone(phone)
            # Nobody with that number: no events (the trail does not say who is registered).
            actor_id = person.id if person is not None else 0
            args["actor"] = phone
    start = end = None
    if form.first.data or form.last.data:
        parsed = periods.parse(
            {"period": "dates", "from": form.first.data or "", "to": form.last.data or ""},
            local_today(),
        )
        if parsed.error:
            form.last.errors = [parsed.error]
        else:
            start, end = parsed.period.bounds
            args["from"] = parsed.period.first.isoformat()
            args["to"] = parsed.period.last.isoformat()
    which = services.TrailFilter(
        scope=permissions.audit_scope(current_user),
        unit=unit,
        category=category,
        action=action,
        actor_id=actor_id,
        start=start,
        end=end,
    )
    return which, form, args


@bp.get("/admin/audit")
@permissions.require(Action.READ_AUDIT)
def trail():
    which, form, args = _filter()
    page = services.trail(which, cursor=cursor_from_request())
    return render_template(
        "audit/trail.html",
        page=page,
        form=form,
        args=args,
        unit=which.unit,
        action_label=action_label,
    )


@bp.get("/admin/audit/export.<any(csv, xlsx):fmt>")
@permissions.require(Action.READ_AUDIT)
def export(fmt: str):
    """The trail as the page filters it, every page of it, as CSV or Excel (streamed)."""
    which, form, args = _filter()
    if any(field.errors for field in form):
        for field in form:
            for error in field.errors:
                flash(_("%(field)s: %(error)s", field=field.label.text, error=error), "error")
        back: dict[str, Any] = dict(args)
        return redirect(url_for("audit.trail", **back), 303)
    header = [
        _("When"),
        _("Who"),
        _("What"),
        _("Action code"),
        _("Target"),
        _("Where"),
        _("Reason"),
        _("Details"),
    ]
    system = _("the system")

    def rows():
        for event in services.trail_rows(which):
            yield (
                to_local(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor.name if event.actor else system,
                action_label(event.action),
                event.action,
                f"{event.target_type} #{event.target_id}" if event.target_id else event.target_type,
                event.org_unit.name if event.org_unit else "",
                event.reason or "",
                json.dumps(event.data, ensure_ascii=False, sort_keys=True) if event.data else "",
            )

    place = which.unit.code if which.unit else "all"
    today = local_today().isoformat()
    display = _("Audit trail") + f"-{which.unit.name if which.unit else place}-{today}"
    return stream_table(fmt, f"audit-{place}-{today}", header, rows(), display_name=display)
