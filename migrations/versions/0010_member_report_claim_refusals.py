"""Members' reports: the units a member said are not their employer

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_report_claim_refusal',
    sa.Column('member_report_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('refused_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_report_id'], ['member_report.id'], name=op.f('fk_member_report_claim_refusal_member_report_id_member_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_member_report_claim_refusal_partner_id_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_report_id', 'partner_id', name=op.f('pk_member_report_claim_refusal'))
    )
    with op.batch_alter_table('member_report_claim_refusal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_report_claim_refusal_partner_id'), ['partner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('member_report_claim_refusal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_report_claim_refusal_partner_id'))

    op.drop_table('member_report_claim_refusal')
