"""desk users: the people who sign in to the review desk, and failed sign-ins

Revision ID: 0009_desk_users
Revises: 0008_mailbox_pauses
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_desk_users"
down_revision = "0008_mailbox_pauses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "desk_failed_sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_failed_sign_ins_name", "desk_failed_sign_ins", ["name"])
    op.create_index("ix_desk_failed_sign_ins_at", "desk_failed_sign_ins", ["at"])


def downgrade() -> None:
    op.drop_table("desk_failed_sign_ins")
    op.drop_table("desk_users")
