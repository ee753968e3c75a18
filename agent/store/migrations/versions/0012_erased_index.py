"""erased index: the erased people's entries indexed on their own

Every transaction that looks for suppressions first reads which keys made the erased entries; a
prefix match cannot use the index on the value, so the whole list was read each time.

Revision ID: 0012_erased_index
Revises: 0011_crm_erasure
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_erased_index"
down_revision = "0011_crm_erasure"
branch_labels = None
depends_on = None


ERASED = sa.text("value LIKE 'erased:%'")  # as agent.store.tables.ERASED: the query's own words


def upgrade() -> None:
    op.create_index("ix_suppressions_erased", "suppressions", ["source"], sqlite_where=ERASED, postgresql_where=ERASED)


def downgrade() -> None:
    op.drop_index("ix_suppressions_erased", table_name="suppressions")
