"""Where an audit event happened: the org unit whose admins read it.

Each kind of target names its unit through its own tables (an attendance through its
shift's need, a voucher through its partner, a volunteer through their home). The SQL is
kept here, once, for ``audit.record`` and for migration ``0013``'s backfill (which keeps a
copy: a migration does not import the app).
"""

# ruff: noqa: S608 (the SQL is built from this module's constant table names only)

from __future__ import annotations

from sqlalchemy import text

from govhub.extensions import db
from govhub.references import RefType


def _via_shift(table: str) -> str:
    return (
        f"SELECT need.community_id FROM {table} JOIN shift ON shift.id = {table}.shift_id "
        f"JOIN need ON need.id = shift.need_id WHERE {table}.id = :id"
    )


def _via_need(table: str) -> str:
    return (
        f"SELECT need.community_id FROM {table} JOIN need ON need.id = {table}.need_id "
        f"WHERE {table}.id = :id"
    )


def _via_partner(table: str) -> str:
    return (
        f"SELECT partner.community_id FROM {table} JOIN partner ON partner.id = "
        f"{table}.partner_id WHERE {table}.id = :id"
    )


def _column(table: str, column: str = "community_id", key: str = "id") -> str:
    return f"SELECT {column} FROM {table} WHERE {key} = :id"


_HOME = _column("volunteer_profile", key="user_id")

# target type -> SELECT of the unit id for ``:id``. A kind not listed has no unit (skills):
# only system admins read those events.
UNIT_OF: dict[str, str] = {
    RefType.attendance: _via_shift("attendance"),
    RefType.claim: _via_shift("claim"),
    RefType.invitation: _via_shift("invitation"),
    RefType.unit_hold: _via_shift("unit_hold"),
    RefType.shift: _via_need("shift"),
    RefType.resource_request: _via_need("resource_request"),
    RefType.need: _column("need"),
    RefType.resident_request: _column("resident_request"),
    RefType.project: _column("project"),
    RefType.unit_report: _column("unit_report"),
    RefType.member_report: _column("member_report"),
    RefType.service_card: _column("service_card"),
    RefType.service_record: _column("service_record"),
    RefType.partner: _column("partner"),
    RefType.reward: _via_partner("reward"),
    RefType.redemption: _via_partner("redemption"),
    RefType.resource: _column("resource", "area_id"),
    RefType.org_unit: _column("org_unit", "id"),
    # A volunteer, their points, their ledger: their home community at the time.
    RefType.user: _HOME,
    RefType.points: _HOME,
    RefType.ledger_entry: (
        "SELECT volunteer_profile.community_id FROM ledger_entry JOIN volunteer_profile "
        "ON volunteer_profile.user_id = ledger_entry.volunteer_id WHERE ledger_entry.id = :id"
    ),
}


def unit_of(target_type: str, target_id: int | None) -> int | None:
    """The org unit an event about ``target_type`` ``target_id`` belongs to, or None."""
    sql = UNIT_OF.get(target_type)
    if sql is None or target_id is None:
        return None
    return db.session.scalar(text(sql), {"id": target_id})
