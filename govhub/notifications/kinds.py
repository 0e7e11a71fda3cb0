"""Every kind of notification, and what each says, in one registry.

``Notification.kind`` stores the enum's value (the same strings as before the enum), so
old rows keep reading. Each kind is declared with its message (a ``LabelledEnum``: a kind
without one is refused when the class is built), ``notify`` refuses a kind that is not
here, and ``tests/test_notifications.py`` renders every kind in every language.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from govhub.clock import local_text, show_day
from govhub.enums import LabelledEnum

if TYPE_CHECKING:
    from govhub.notifications.models import Notification


class NotificationKind(LabelledEnum):
    """Each kind with what it says (its label): params are filled in when it is shown, in
    the reader's language."""

    claim_confirmed = "claim_confirmed", _l("You claimed a place: %(title)s, %(when)s.")
    waitlist_promoted = (
        "waitlist_promoted",
        _l("A place came free and it is yours: %(title)s, %(when)s."),
    )
    reminder_24h = "reminder_24h", _l("Reminder: %(title)s starts within a day, at %(when)s.")
    reminder_2h = "reminder_2h", _l("Reminder: %(title)s starts soon, at %(when)s.")
    need_cancelled = "need_cancelled", _l("Cancelled: %(title)s. Reason: %(reason)s")
    need_changed = "need_changed", _l("The time or place of %(title)s has changed. Please check.")
    claim_removed = (
        "claim_removed",
        _l("The organizer removed you from %(title)s. Reason: %(reason)s"),
    )
    request_accepted = (
        "request_accepted",
        _l('Your request "%(what)s" was accepted and posted as a need.'),
    )
    request_declined = (
        "request_declined",
        _l('Your request "%(what)s" was declined. Reason: %(reason)s'),
    )
    voucher_fulfilled = (
        "voucher_fulfilled",
        _l("Your voucher for %(title)s was used at %(partner)s."),
    )
    voucher_rejected = (
        "voucher_rejected",
        _l(
            "%(partner)s turned down your voucher for %(title)s and your points are back. "
            "Reason: %(reason)s"
        ),
    )
    voucher_expired = (
        "voucher_expired",
        _l(
            "Your voucher for %(title)s expired unused; %(points)s points are back in your account."
        ),
    )
    voucher_voided = (
        "voucher_voided",
        _l("%(partner)s no longer takes vouchers; your voucher for %(title)s was refunded."),
    )
    staff_added = (
        "staff_added",
        _l("You are now on the staff of %(partner)s: you can verify its vouchers."),
    )
    points_expiring = (
        "points_expiring",
        _l("%(points)s of your points expire from %(date)s. Use them before then."),
    )
    # 双报到 (units): a unit's report decided, and renewal reminders before a report lapses.
    unit_report_confirmed = (
        "unit_report_confirmed",
        _l("%(title)s confirmed the report of %(partner)s; it counts until %(date)s."),
    )
    unit_report_returned = (
        "unit_report_returned",
        _l("%(title)s returned the report of %(partner)s for correction. Reason: %(reason)s"),
    )
    unit_report_renewal_due = (
        "unit_report_renewal_due",
        _l(
            "The report of %(partner)s to %(title)s ends on %(date)s. Renew it to keep it counting."
        ),
    )
    member_report_renewal_due = (
        "member_report_renewal_due",
        _l("Your report to %(title)s ends on %(date)s. Renew it to keep it counting."),
    )
    # 一键认领 (needs/unit_holds.py): a unit holds places for its members.
    unit_hold_offered = (
        "unit_hold_offered",
        _l("%(partner)s holds places for its members: %(title)s, %(when)s. Claim one if you can."),
    )
    # 在职党员报到: the member's report to their home community.
    member_report_confirmed = (
        "member_report_confirmed",
        _l("%(community)s confirmed your report: you serve in %(grid)s until %(date)s."),
    )
    member_report_returned = (
        "member_report_returned",
        _l("%(community)s returned your report. Reason: %(reason)s"),
    )
    member_report_claimed = (
        "member_report_claimed",
        _l(
            "%(partner)s linked your report to %(community)s to the unit as your employer. "
            "If it is not your employer, say so on your report page."
        ),
    )

    # Matching: invitations to a shift and requests for a resource (govhub/matching).
    invitation_received = (
        "invitation_received",
        _l("%(community)s invites you to %(title)s, %(when)s. Open it to accept in one tap."),
    )
    invitation_declined = (
        "invitation_declined",
        _l("%(name)s cannot come to %(title)s, %(when)s. Reason: %(reason)s"),
    )
    resource_requested = (
        "resource_requested",
        _l("%(community)s asks for %(points)s of %(title)s, for %(what)s."),
    )
    resource_request_accepted = (
        "resource_request_accepted",
        _l("%(partner)s accepted your request for %(title)s; it is committed to %(what)s."),
    )
    resource_request_declined = (
        "resource_request_declined",
        _l("%(partner)s declined your request for %(title)s. Reason: %(reason)s"),
    )
    # The projects list: a unit's proposal (项目认领) and the community's decision.
    project_proposed = (
        "project_proposed",
        _l("%(partner)s proposes a project to %(community)s: %(title)s."),
    )
    project_proposal_accepted = (
        "project_proposal_accepted",
        _l("%(community)s took your proposal %(title)s onto its projects list."),
    )
    project_proposal_declined = (
        "project_proposal_declined",
        _l("%(community)s declined your proposal %(title)s. Reason: %(reason)s"),
    )


# Every placeholder a message may use, so a row missing one still reads.
_BLANKS = {
    "title": "",
    "reason": "",
    "what": "",
    "partner": "",
    "when": "",
    "points": "",
    "date": "",
    "community": "",  # 在职党员报到
    "grid": "",
    "name": "",  # matching: who declined an invitation
}


def message(notification: Notification) -> str:
    """The notification's text in the current language."""
    params = {**_BLANKS, **notification.params}
    if params.get("starts_at"):
        params["when"] = local_text(datetime.fromisoformat(params["starts_at"]))
    if params.get("date"):  # a calendar day kept as an ISO date, e.g. when points expire
        params["date"] = show_day(params["date"])
    try:
        kind = NotificationKind(notification.kind)
    except ValueError:  # a kind retired since the row was written: never show its raw name
        return _("You have a new notification.")
    return kind.label % params
