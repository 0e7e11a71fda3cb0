"""Roster import (花名册): uploaded batches and the people they created, with their
activation codes (digests only)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 05:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "roster_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_roster_batch_uploaded_by_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_batch")),
        sa.UniqueConstraint(
            "uploaded_by_id", "sha256", name=op.f("uq_roster_batch_uploaded_by_id_sha256")
        ),
    )
    with op.batch_alter_table("roster_batch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roster_batch_uploaded_by_id"), ["uploaded_by_id"], unique=False
        )

    op.create_table(
        "roster_member",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(), nullable=True),
        sa.Column("code_used_at", sa.DateTime(), nullable=True),
        sa.Column("slips_printed", sa.Integer(), nullable=False),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["roster_batch.id"],
            name=op.f("fk_roster_member_batch_id_roster_batch"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_roster_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_roster_member")),
    )
    with op.batch_alter_table("roster_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_member_batch_id"), ["batch_id"], unique=False)


def downgrade():
    with op.batch_alter_table("roster_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_member_batch_id"))

    op.drop_table("roster_member")
    with op.batch_alter_table("roster_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_batch_uploaded_by_id"))

    op.drop_table("roster_batch")
