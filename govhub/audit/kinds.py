"""The words of the audit trail: what each recorded action is called, and the groups the
trail is filtered by."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Category(StrEnum):
    """A group of actions on the trail's filter (``prefixes`` of the action names)."""

    attendance = "attendance"
    points = "points"
    integrity = "integrity"
    roles = "roles"
    partners = "partners"
    vouchers = "vouchers"
    homes = "homes"
    needs = "needs"
    reporting = "reporting"

    @property
    def prefixes(self) -> tuple[str, ...]:
        return _PREFIXES[self]

    @property
    def label(self):
        """The translated name (lazy: translated where it is shown)."""
        return _CATEGORY_LABELS[self]


_PREFIXES: dict[Category, tuple[str, ...]] = {
    Category.attendance: ("attendance.", "shift.confirmed"),
    Category.points: ("points.", "record."),
    Category.integrity: ("integrity.",),
    Category.roles: ("role.", "shift.leader_", "partner.staff_"),
    Category.partners: (
        "partner.applied",
        "partner.approved",
        "partner.rejected",
        "partner.suspended",
        "partner.reinstated",
    ),
    Category.vouchers: ("voucher.", "reward."),
    Category.homes: ("account.home_changed",),
    Category.needs: ("need.", "claim.", "request.", "invitation.", "unit_hold."),
    Category.reporting: ("unit_report.", "member_report.", "service_card", "project."),
}

_CATEGORY_LABELS = {
    Category.attendance: _l("Check-ins and hours"),
    Category.points: _l("Points adjustments and service records"),
    Category.integrity: _l("Integrity review decisions"),
    Category.roles: _l("Role changes"),
    Category.partners: _l("Partner decisions"),
    Category.vouchers: _l("Vouchers and rewards"),
    Category.homes: _l("Home changes"),
    Category.needs: _l("Needs, claims and requests"),
    Category.reporting: _l("Reporting (双报到) and projects"),
}

# What the trail calls an action; an action not named here shows its code.
ACTION_LABELS = {
    "attendance.manual_check_in": _l("Check-in entered by hand"),
    "attendance.manual_check_out": _l("Check-out entered by hand"),
    "attendance.hours_changed": _l("Hours changed at confirmation"),
    "attendance.no_show": _l("Marked as a no-show"),
    "shift.confirmed": _l("Shift's hours confirmed"),
    "points.adjusted": _l("Points adjusted"),
    "record.issued": _l("Service record issued"),
    "integrity.cleared": _l("Integrity review: cleared"),
    "integrity.rejected": _l("Integrity review: rejected"),
    "role.assigned": _l("Role given"),
    "role.revoked": _l("Role removed"),
    "shift.leader_named": _l("Shift leader named"),
    "shift.leader_removed": _l("Shift leader removed"),
    "partner.staff_added": _l("Shop staff added"),
    "partner.staff_removed": _l("Shop staff removed"),
    "partner.applied": _l("Partner applied"),
    "partner.approved": _l("Partner approved"),
    "partner.rejected": _l("Partner rejected"),
    "partner.suspended": _l("Partner suspended"),
    "partner.reinstated": _l("Partner reinstated"),
    "voucher.rejected": _l("Voucher refused at the counter"),
    "account.home_changed": _l("Home changed"),
    "need.created": _l("Need created"),
    "need.published": _l("Need published"),
    "need.completed": _l("Need completed"),
    "need.cancelled": _l("Need cancelled"),
    "claim.removed": _l("Volunteer taken off a shift"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
