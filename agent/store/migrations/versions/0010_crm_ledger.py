"""crm ledger: what was written to which CRM, once each, and each sync

Revision ID: 0010_crm_ledger
Revises: 0009_desk_users
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_crm_ledger"
down_revision = "0009_desk_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "kind", "local_id"),
    )
    op.create_table(
        "crm_sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("written", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_crm_sync_runs_provider", "crm_sync_runs", ["provider"])


def downgrade() -> None:
    op.drop_table("crm_sync_runs")
    op.drop_table("crm_ledger")
