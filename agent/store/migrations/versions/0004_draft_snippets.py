"""Drafts keep the past-call snippets they were given and drew on.

Revision ID: 0004_draft_snippets
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_draft_snippets"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("snippets", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("snippets")
