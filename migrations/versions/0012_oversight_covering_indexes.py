"""Oversight figures: covering indexes for hours and points by home

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 20:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(
            'ix_attendance_hours',
            ['status', 'shift_id', 'volunteer_id', 'minutes', 'check_in_evidence',
             'check_out_evidence'],
            unique=False,
        )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index(
            'ix_ledger_entry_amounts', ['volunteer_id', 'created_at', 'kind', 'amount'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entry_amounts')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_hours')
