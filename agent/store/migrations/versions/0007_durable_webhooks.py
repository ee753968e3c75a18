"""durable webhooks: received mail kept before the webhook is answered, webhook receipts kept in the
store (replays refused across restarts and processes), and which worker claimed a lead

Revision ID: 0007_durable_webhooks
Revises: 0006_one_outbox
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_durable_webhooks"
down_revision = "0006_one_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("reply_id", sa.Integer(), sa.ForeignKey("replies.id"), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_received_mail_state", "received_mail", ["state"])
    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_webhook_receipts_received_at", "webhook_receipts", ["received_at"])
    op.add_column("inbound_leads", sa.Column("claimed_by", sa.String(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column("inbound_leads", "claimed_by")
    op.drop_table("webhook_receipts")
    op.drop_table("received_mail")
