"""The audit trail of every subtree: each event names the org unit it happened in

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 06:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# A copy of govhub.audit.scopes.UNIT_OF as it was at this revision, correlated to the
# event's target (a migration does not import the app).
UNIT_OF = {
    "attendance": "SELECT need.community_id FROM attendance JOIN shift ON shift.id = attendance.shift_id JOIN need ON need.id = shift.need_id WHERE attendance.id = audit_event.target_id",
    "claim": "SELECT need.community_id FROM claim JOIN shift ON shift.id = claim.shift_id JOIN need ON need.id = shift.need_id WHERE claim.id = audit_event.target_id",
    "invitation": "SELECT need.community_id FROM invitation JOIN shift ON shift.id = invitation.shift_id JOIN need ON need.id = shift.need_id WHERE invitation.id = audit_event.target_id",
    "unit_hold": "SELECT need.community_id FROM unit_hold JOIN shift ON shift.id = unit_hold.shift_id JOIN need ON need.id = shift.need_id WHERE unit_hold.id = audit_event.target_id",
    "shift": "SELECT need.community_id FROM shift JOIN need ON need.id = shift.need_id WHERE shift.id = audit_event.target_id",
    "resource_request": "SELECT need.community_id FROM resource_request JOIN need ON need.id = resource_request.need_id WHERE resource_request.id = audit_event.target_id",
    "need": "SELECT community_id FROM need WHERE id = audit_event.target_id",
    "resident_request": "SELECT community_id FROM resident_request WHERE id = audit_event.target_id",
    "project": "SELECT community_id FROM project WHERE id = audit_event.target_id",
    "unit_report": "SELECT community_id FROM unit_report WHERE id = audit_event.target_id",
    "member_report": "SELECT community_id FROM member_report WHERE id = audit_event.target_id",
    "service_card": "SELECT community_id FROM service_card WHERE id = audit_event.target_id",
    "service_record": "SELECT community_id FROM service_record WHERE id = audit_event.target_id",
    "partner": "SELECT community_id FROM partner WHERE id = audit_event.target_id",
    "reward": "SELECT partner.community_id FROM reward JOIN partner ON partner.id = reward.partner_id WHERE reward.id = audit_event.target_id",
    "redemption": "SELECT partner.community_id FROM redemption JOIN partner ON partner.id = redemption.partner_id WHERE redemption.id = audit_event.target_id",
    "resource": "SELECT area_id FROM resource WHERE id = audit_event.target_id",
    "org_unit": "SELECT id FROM org_unit WHERE id = audit_event.target_id",
    "user": "SELECT community_id FROM volunteer_profile WHERE user_id = audit_event.target_id",
    "points": "SELECT community_id FROM volunteer_profile WHERE user_id = audit_event.target_id",
    "ledger_entry": "SELECT volunteer_profile.community_id FROM ledger_entry JOIN volunteer_profile ON volunteer_profile.user_id = ledger_entry.volunteer_id WHERE ledger_entry.id = audit_event.target_id",
}


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_event_org_unit_id_org_unit'), 'org_unit', ['org_unit_id'],
            ['id'], ondelete='SET NULL',
        )
        batch_op.create_index('ix_audit_event_unit', ['org_unit_id', 'id'], unique=False)
    for target_type, unit in UNIT_OF.items():
        op.execute(
            sa.text(
                f"UPDATE audit_event SET org_unit_id = ({unit}) "
                "WHERE target_type = :target_type AND action NOT LIKE 'role.%' "
                "AND action <> 'account.password_changed'"
            ).bindparams(target_type=target_type)
        )
    # Role changes belong to the unit of the role (or of the partner, for shop staff).
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, data FROM audit_event WHERE action LIKE 'role.%'")
    ).all()
    for event_id, data in rows:
        data = json.loads(data) if isinstance(data, str) else (data or {})
        unit_id = data.get('org_unit_id')
        if unit_id is None and data.get('partner_id') is not None:
            unit_id = connection.scalar(
                sa.text("SELECT community_id FROM partner WHERE id = :id"),
                {'id': data['partner_id']},
            )
        if unit_id is not None:
            connection.execute(
                sa.text("UPDATE audit_event SET org_unit_id = :unit WHERE id = :id"),
                {'unit': unit_id, 'id': event_id},
            )


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_unit')
        batch_op.drop_constraint(
            batch_op.f('fk_audit_event_org_unit_id_org_unit'), type_='foreignkey'
        )
        batch_op.drop_column('org_unit_id')
