"""One vocabulary of reference types: notifications say "redemption" and
"resident_request", as audit events and ledger entries do (govhub/references.py)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:55:00

A data migration only: ``notification.target_type`` values are renamed; no schema change.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# (old notification spelling, the shared one)
RENAMES = [("voucher", "redemption"), ("request", "resident_request")]

notification = sa.table("notification", sa.column("target_type", sa.String(32)))


def _rename(pairs):
    for old, new in pairs:
        op.execute(
            notification.update().where(notification.c.target_type == old).values(target_type=new)
        )


def upgrade():
    _rename(RENAMES)


def downgrade():
    # Before this revision no notification used the shared spellings, so this is exact.
    _rename([(new, old) for old, new in RENAMES])
