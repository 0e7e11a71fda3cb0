"""Per-volunteer indexes: the ledger history in id order, points earned per volunteer
and period (leaderboards), a volunteer's vouchers by issue date (economy report)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entry_volunteer_id', ['volunteer_id', 'id'], unique=False)
        batch_op.create_index(
            'ix_ledger_entry_volunteer_kind_created',
            ['volunteer_id', 'kind', 'created_at', 'amount', 'minutes'],
            unique=False,
        )
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.create_index(
            'ix_redemption_volunteer_status_issued', ['volunteer_id', 'status', 'issued_at'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_index('ix_redemption_volunteer_status_issued')
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entry_volunteer_kind_created')
        batch_op.drop_index('ix_ledger_entry_volunteer_id')
