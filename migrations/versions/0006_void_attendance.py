"""Attendance that earns nothing: status "void" with the reason (need cancelled, or the
volunteer removed by the organizer)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_STATUSES = "'present', 'confirmed', 'no_show'"
NEW_STATUSES = "'present', 'confirmed', 'no_show', 'void'"


def upgrade():
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "void_reason",
                sa.Enum(
                    "need_cancelled",
                    "removed",
                    name="voidreason",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                nullable=True,
            )
        )
        batch_op.drop_constraint(op.f("ck_attendance_attendancestatus"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_attendance_attendancestatus"), f"status IN ({NEW_STATUSES})"
        )
    # Settle what the old code left unconfirmed although it must earn nothing.
    op.execute(
        "UPDATE attendance SET status = 'void', void_reason = 'need_cancelled', minutes = 0 "
        "WHERE status = 'present' AND shift_id IN (SELECT shift.id FROM shift "
        "JOIN need ON need.id = shift.need_id WHERE need.status = 'cancelled')"
    )
    op.execute(
        "UPDATE attendance SET status = 'void', void_reason = 'removed', minutes = 0 "
        "WHERE status = 'present' AND EXISTS (SELECT 1 FROM claim "
        "WHERE claim.shift_id = attendance.shift_id "
        "AND claim.volunteer_id = attendance.volunteer_id AND claim.status = 'removed')"
    )


def downgrade():
    op.execute("UPDATE attendance SET status = 'no_show' WHERE status = 'void'")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_attendance_attendancestatus"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_attendance_attendancestatus"), f"status IN ({OLD_STATUSES})"
        )
        batch_op.drop_constraint(op.f("ck_attendance_voidreason"), type_="check")
        batch_op.drop_column("void_reason")
