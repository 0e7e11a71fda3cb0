"""Matching, projects: invitations, resource requests, projects, party tasks, weekly availability

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 15:05:30.979285

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'declined', 'active', 'completed', 'cancelled', name='projectstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('origin', sa.Enum('need', 'proposal', name='projectorigin', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('proposed_by_partner_id', sa.Integer(), nullable=True),
    sa.Column('offer', sa.String(length=500), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('people_served', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("origin <> 'proposal' OR proposed_by_partner_id IS NOT NULL", name=op.f('ck_project_proposal_has_partner')),
    sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', name=op.f('ck_project_dates_ordered')),
    sa.CheckConstraint('people_served IS NULL OR people_served BETWEEN 0 AND 1000000', name=op.f('ck_project_people_served_range')),
    sa.ForeignKeyConstraint(['community_id'], ['org_unit.id'], name=op.f('fk_project_community_id_org_unit')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['user_account.id'], name=op.f('fk_project_completed_by_id_user_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_project_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_project_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['proposed_by_partner_id'], ['partner.id'], name=op.f('fk_project_proposed_by_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project'))
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index('ix_project_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_completed_at'), ['completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_proposed_by_partner_id'), ['proposed_by_partner_id'], unique=False)

    op.create_table('project_need',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_project_need_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_need_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'need_id', name=op.f('pk_project_need')),
    sa.UniqueConstraint('need_id', name=op.f('uq_project_need_need_id'))
    )
    op.create_table('project_partner',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_project_partner_partner_id_partner'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_partner_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'partner_id', name=op.f('pk_project_partner'))
    )
    with op.batch_alter_table('project_partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_partner_partner_id'), ['partner_id'], unique=False)

    op.create_table('project_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_photo_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_photo'))
    )
    with op.batch_alter_table('project_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_photo_project_id'), ['project_id'], unique=False)

    op.create_table('resource_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'withdrawn', name='resourcerequeststatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('commitment_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_resource_request_quantity_positive')),
    sa.ForeignKeyConstraint(['commitment_id'], ['resource_commitment.id'], name=op.f('fk_resource_request_commitment_id_resource_commitment')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_resource_request_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_resource_request_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_resource_request_requested_by_id_user_account')),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_resource_request_resource_id_resource')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_request')),
    sa.UniqueConstraint('commitment_id', name=op.f('uq_resource_request_commitment_id')),
    sa.UniqueConstraint('key', name=op.f('uq_resource_request_key'))
    )
    with op.batch_alter_table('resource_request', schema=None) as batch_op:
        batch_op.create_index('ix_resource_request_need', ['need_id'], unique=False)
        batch_op.create_index('ix_resource_request_resource_status', ['resource_id', 'status'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'withdrawn', 'lapsed', name='invitationstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_invitation_claim_id_claim')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_invitation_invited_by_id_user_account')),
    sa.ForeignKeyConstraint(['shift_id'], ['shift.id'], name=op.f('fk_invitation_shift_id_shift'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['user_account.id'], name=op.f('fk_invitation_volunteer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('shift_id', 'volunteer_id', name=op.f('uq_invitation_shift_id_volunteer_id'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index('ix_invitation_volunteer_status', ['volunteer_id', 'status'], unique=False)

    with op.batch_alter_table('need', schema=None) as batch_op:
        # Existing needs are not party tasks, and are the whole community's.
        batch_op.add_column(sa.Column('party_task', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('grid_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_need_grid_id'), ['grid_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_need_grid_id_org_unit'), 'org_unit', ['grid_id'], ['id'])

    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.alter_column('party_task', server_default=None)

    with op.batch_alter_table('resource_commitment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_resource_commitment_project_id'), ['project_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_resource_commitment_project_id_project'), 'project', ['project_id'], ['id'])

    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weekly_availability', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.drop_column('weekly_availability')

    with op.batch_alter_table('resource_commitment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_resource_commitment_project_id_project'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_resource_commitment_project_id'))
        batch_op.drop_column('project_id')

    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_need_grid_id_org_unit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_need_grid_id'))
        batch_op.drop_column('grid_id')
        batch_op.drop_column('party_task')

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index('ix_invitation_volunteer_status')

    op.drop_table('invitation')
    with op.batch_alter_table('resource_request', schema=None) as batch_op:
        batch_op.drop_index('ix_resource_request_resource_status')
        batch_op.drop_index('ix_resource_request_need')

    op.drop_table('resource_request')
    with op.batch_alter_table('project_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_photo_project_id'))

    op.drop_table('project_photo')
    with op.batch_alter_table('project_partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_partner_partner_id'))

    op.drop_table('project_partner')
    op.drop_table('project_need')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_proposed_by_partner_id'))
        batch_op.drop_index(batch_op.f('ix_project_completed_at'))
        batch_op.drop_index('ix_project_community_status')

    op.drop_table('project')
