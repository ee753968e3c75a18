"""mailbox pauses: a mailbox or a campaign stopped by its circuit breakers, until a person resumes it

Revision ID: 0008_mailbox_pauses
Revises: 0007_durable_webhooks
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_mailbox_pauses"
down_revision = "0007_durable_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("mailbox", sa.String(length=320), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=False),
        sa.Column("resumed_at", sa.DateTime(), nullable=True),
        sa.Column("resumed_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mailbox_pauses_campaign_id", "mailbox_pauses", ["campaign_id"])


def downgrade() -> None:
    op.drop_table("mailbox_pauses")
