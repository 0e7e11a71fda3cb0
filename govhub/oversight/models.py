"""Indexes the oversight figures read through (no tables of their own).

They are declared here, beside the queries they serve, on the tables of other domains;
``govhub/models.py`` imports this module so that Alembic and ``db.create_all`` see them.
Each one *covers* its query: every column the figures read is in the index, so a city's
year is read from the index alone, without a look-up of each row in its table (measured
on a synthetic city of 50,000 volunteers, 300,000 attendances and 450,000 ledger entries:
``figures(city, year)`` went from 2.5 s to 0.8 s on SQLite).
"""

from sqlalchemy import Index

from govhub.checkin.models import Attendance
from govhub.points.models import LedgerEntry

# Hours and active volunteers (figures._hours, _volunteers, monthly): the confirmed
# attendance of the period's shifts, found by (status, shift) as ix_attendance_status_shift
# does, with the volunteer, the minutes and the evidence read from the index.
attendance_hours = Index(
    "ix_attendance_hours",
    Attendance.status,
    Attendance.shift_id,
    Attendance.volunteer_id,
    Attendance.minutes,
    Attendance.check_in_evidence,
    Attendance.check_out_evidence,
)

# Points by the volunteers' homes (figures._points, monthly): each home's volunteers'
# entries of the period, found by (volunteer, created_at) as
# ix_ledger_entry_volunteer_created does, with the kind and the amount read from the index.
ledger_amounts = Index(
    "ix_ledger_entry_amounts",
    LedgerEntry.volunteer_id,
    LedgerEntry.created_at,
    LedgerEntry.kind,
    LedgerEntry.amount,
)

__all__ = ["attendance_hours", "ledger_amounts"]
