"""state indexes: meetings and sequences found by their state

Before every meeting request (and in every round) the look for bookings a crash left asks for
`status = 'booking'`; every send round asks which sequences still run (`state IN ('active',
'paused')`). Without an index on the state both walked every meeting and every sequence ever
(bench/round_reads.py).

Revision ID: 0014_state_indexes
Revises: 0013_lead_state_index
"""

from alembic import op

revision = "0014_state_indexes"
down_revision = "0013_lead_state_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_meetings_status", "meetings", ["status"])
    op.create_index("ix_enrollments_state", "enrollments", ["state"])


def downgrade() -> None:
    op.drop_index("ix_enrollments_state", table_name="enrollments")
    op.drop_index("ix_meetings_status", table_name="meetings")
