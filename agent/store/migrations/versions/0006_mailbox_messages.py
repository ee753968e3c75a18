"""mailbox_messages: messages read from an IMAP mailbox, by UIDVALIDITY/UID, handled once

Revision ID: 0006_mailbox_messages
Revises: 0002_replies
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_mailbox_messages"
down_revision = "0002_replies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=512), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("filed", sa.Boolean(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["reply_id"], ["replies.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", "uidvalidity", "uid"),
    )
    op.create_index("ix_mailbox_messages_message_id", "mailbox_messages", ["message_id"])
    op.create_index("ix_mailbox_messages_digest", "mailbox_messages", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_mailbox_messages_digest", table_name="mailbox_messages")
    op.drop_index("ix_mailbox_messages_message_id", table_name="mailbox_messages")
    op.drop_table("mailbox_messages")
