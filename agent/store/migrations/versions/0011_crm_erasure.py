"""crm erasure: what the agent wrote to a CRM about a forgotten person is erased there too

Revision ID: 0011_crm_erasure
Revises: 0010_crm_ledger
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_crm_erasure"
down_revision = "0010_crm_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crm_ledger") as table:
        table.add_column(sa.Column("erase_requested_at", sa.DateTime(), nullable=True))
        table.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crm_ledger") as table:
        table.drop_column("erased_at")
        table.drop_column("erase_requested_at")
