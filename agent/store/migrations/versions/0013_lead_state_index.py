"""lead state index: the waiting leads found by their own index

A worker claims the oldest leads still waiting (`state = 'received'`, by id); without an index on
the state that read walked every lead ever answered before it found them (bench/claims.py).

Revision ID: 0013_lead_state_index
Revises: 0012_erased_index
"""

from alembic import op

revision = "0013_lead_state_index"
down_revision = "0012_erased_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbound_leads_state", "inbound_leads", ["state"])


def downgrade() -> None:
    op.drop_index("ix_inbound_leads_state", table_name="inbound_leads")
