"""The integrity review (防代刷时长): review items, and attendance rejected in review

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OLD_REASONS = "'need_cancelled', 'removed'"
NEW_REASONS = "'need_cancelled', 'removed', 'rejected'"


def upgrade():
    op.create_table(
        'review_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', sa.Integer(), nullable=False),
        sa.Column('attendance_id', sa.Integer(), nullable=True),
        sa.Column('entry_id', sa.Integer(), nullable=True),
        sa.Column('signals', sa.JSON(), nullable=False),
        sa.Column(
            'status',
            sa.Enum('pending', 'cleared', 'rejected', name='reviewstatus', native_enum=False,
                    create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column('found_at', sa.DateTime(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('reversal_entry_id', sa.Integer(), nullable=True),
        sa.Column('unrecovered', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            '(attendance_id IS NULL) <> (entry_id IS NULL)',
            name=op.f('ck_review_item_attendance_or_entry'),
        ),
        sa.CheckConstraint('unrecovered >= 0', name=op.f('ck_review_item_unrecovered_not_negative')),
        sa.ForeignKeyConstraint(['attendance_id'], ['attendance.id'], name=op.f('fk_review_item_attendance_id_attendance'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['community_id'], ['org_unit.id'], name=op.f('fk_review_item_community_id_org_unit')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_review_item_decided_by_id_user_account')),
        sa.ForeignKeyConstraint(['entry_id'], ['ledger_entry.id'], name=op.f('fk_review_item_entry_id_ledger_entry')),
        sa.ForeignKeyConstraint(['reversal_entry_id'], ['ledger_entry.id'], name=op.f('fk_review_item_reversal_entry_id_ledger_entry')),
        sa.ForeignKeyConstraint(['volunteer_id'], ['user_account.id'], name=op.f('fk_review_item_volunteer_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_item')),
        sa.UniqueConstraint('attendance_id', name=op.f('uq_review_item_attendance_id')),
        sa.UniqueConstraint('entry_id', name=op.f('uq_review_item_entry_id')),
    )
    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.create_index('ix_review_item_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_item_volunteer_id'), ['volunteer_id'], unique=False)
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attendance_voidreason'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_attendance_voidreason'), f"void_reason IN ({NEW_REASONS})"
        )


def downgrade():
    op.execute("UPDATE attendance SET void_reason = 'removed' WHERE void_reason = 'rejected'")
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attendance_voidreason'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_attendance_voidreason'), f"void_reason IN ({OLD_REASONS})"
        )
    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_item_volunteer_id'))
        batch_op.drop_index('ix_review_item_community_status')
    op.drop_table('review_item')
