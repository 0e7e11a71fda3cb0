"""The integrity review (防代刷时长): the queue of a subtree and the decision on an item."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from govhub import permissions
from govhub.accounts.models import User
from govhub.audit import services as audit
from govhub.audit.kinds import action_label
from govhub.checkin.models import Attendance
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.forms import show_service_error
from govhub.htmx import render, wants_fragment
from govhub.integrity import services, signals
from govhub.integrity.forms import DecisionForm
from govhub.integrity.models import ReviewItem, ReviewStatus
from govhub.needs.models import Need
from govhub.orgs.models import OrgUnit
from govhub.pagination import cursor_from_request
from govhub.permissions import Action
from govhub.points import services as points
from govhub.points.models import LedgerEntry
from govhub.references import RefType

bp = Blueprint("integrity", __name__, url_prefix="/integrity")


@dataclass(frozen=True)
class Shown:
    """An item as the queue and its page show it."""

    item: ReviewItem
    attendance: Attendance | None
    entry: LedgerEntry | None
    reasons: list[str]  # each signal, explained


def _shown(items: list[ReviewItem]) -> list[Shown]:
    """The items with their attendance or entry and their signals in words, in a few
    queries whatever their number."""
    attendance = {
        a.id: a
        for a in db.session.scalars(
            select(Attendance).where(
                Attendance.id.in_([i.attendance_id for i in items if i.attendance_id] or [-1])
            )
        )
    }
    entries = {
        e.id: e
        for e in db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.id.in_([i.entry_id for i in items if i.entry_id] or [-1])
            )
        )
    }
    facts = [s for i in items for s in i.signals]
    people = {s.get("actor_id") for s in facts} - {None}
    names = {u.id: u.name for u in points.users_by_id(sorted(people)).values()} if people else {}
    need_ids = {s.get("other_need_id") for s in facts} - {None}
    titles = (
        dict(db.session.execute(select(Need.id, Need.title).where(Need.id.in_(need_ids))).all())
        if need_ids
        else {}
    )
    return [
        Shown(
            item,
            attendance.get(item.attendance_id or 0),
            entries.get(item.entry_id or 0),
            [signals.explain(s, names, titles) for s in item.signals],
        )
        for item in items
    ]


def _start_unit() -> OrgUnit:
    """The unit of ``?unit=`` (which the reader must oversee or administer), else the
    first the reader starts from."""
    unit = permissions.unit_of_request()
    if unit is not None:
        return unit
    units = permissions.dashboard_units(current_user)
    if not units:
        abort(403)
    return units[0]


def _status() -> ReviewStatus:
    try:
        return ReviewStatus(request.args.get("status") or "pending")
    except ValueError:
        return ReviewStatus.pending


@bp.get("/")
@permissions.require(Action.REVIEW_INTEGRITY)
def queue():
    """What needs a second look in a unit's subtree, with the figures of its children."""
    unit = _start_unit()
    status = _status()
    page = services.queue(
        permissions.audit_scope(current_user),
        status=status,
        unit=unit,
        cursor=cursor_from_request(),
    )
    children = services.counts_by_child(unit)
    return render(
        "integrity/queue.html",
        "integrity/_queue.html",
        unit=unit,
        showing=status,
        statuses=list(ReviewStatus),
        page=page,
        shown=_shown(page.items),
        counts=services.counts(unit),
        children=children,
        starts=permissions.dashboard_units(current_user),
        fragment=wants_fragment(),
    )


def _item_page(item: ReviewItem, form: DecisionForm, status: int = 200):
    shown = _shown([item])[0]
    target = (
        (RefType.attendance, item.attendance_id)
        if item.attendance_id is not None
        else (RefType.ledger_entry, item.entry_id)
    )
    target_id = target[1]
    assert target_id is not None  # an item is of an attendance or of an entry
    events = audit.events_for(target[0], [target_id]).get(target_id, [])
    may_decide = permissions.can(current_user, Action.DECIDE_REVIEW_ITEM, item)
    # Why the form is not there, for someone who had a hand in it.
    hands_on = (
        services.hands_on_message()
        if not may_decide and current_user.id in services.involved(item)
        else None
    )
    earned = (
        points.earned_for(RefType.attendance, [item.attendance_id]).get(item.attendance_id, 0)
        if item.attendance_id is not None
        else 0
    )
    reversal = (
        db.session.get(LedgerEntry, item.reversal_entry_id) if item.reversal_entry_id else None
    )
    return render(
        "integrity/item.html",
        "integrity/_decision.html",
        status=status,
        shown=shown,
        item=item,
        events=events,
        action_label=action_label,
        form=form,
        may_decide=may_decide,
        hands_on=hands_on,
        earned=earned,
        reversal=reversal,
        volunteer=db.session.get(User, item.volunteer_id),
    )


@bp.get("/items/<int:item_id>")
def item(item_id: int):
    found = permissions.get_or_403(ReviewItem, item_id, Action.VIEW_REVIEW_ITEM)
    return _item_page(found, DecisionForm(formdata=None))


@bp.post("/items/<int:item_id>/decide")
def decide(item_id: int):
    found = permissions.get_or_403(ReviewItem, item_id, Action.VIEW_REVIEW_ITEM)
    form = DecisionForm()
    reject = request.form.get("decision") == "reject"
    if form.validate_on_submit():
        try:
            if not permissions.can(current_user, Action.DECIDE_REVIEW_ITEM, found):
                # Said in words, not a bare 403: the reviewer sees why (the service
                # refuses it too).
                raise ServiceError(services.hands_on_message())
            services.decide(
                current_user.id, found.id, reject=reject, reason=form.reason.data, now=utcnow()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Rejected: it earns nothing.") if reject else _("Cleared."), "success")
            return redirect(url_for("integrity.queue", unit=found.community_id), 303)
    db.session.rollback()
    found = permissions.get_or_403(ReviewItem, item_id, Action.VIEW_REVIEW_ITEM)
    return _item_page(found, form, 422)
