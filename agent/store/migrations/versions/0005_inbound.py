"""inbound: leads as received, their routes and reasons, first answers, speed-to-lead

Revision ID: 0005_inbound
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_inbound"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("lead", sa.JSON(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("route", sa.String(length=32), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("disposition", sa.String(length=32), nullable=True),
        sa.Column("disposition_reason", sa.Text(), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("fit", sa.Double(), nullable=True),
        sa.Column("priority", sa.Double(), nullable=True),
        sa.Column("persona", sa.String(length=64), nullable=True),
        sa.Column("intent", sa.String(length=32), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("answer_via", sa.String(length=16), nullable=True),
        sa.Column("answer_ref", sa.Integer(), nullable=True),
        sa.Column("answer_state", sa.String(length=16), nullable=False),
        sa.Column("answer_subject", sa.String(length=255), nullable=True),
        sa.Column("answer_body", sa.Text(), nullable=True),
        sa.Column("answer_made_by", sa.String(length=128), nullable=True),
        sa.Column("answer_message_id", sa.String(length=255), nullable=True),
        sa.Column("reviewer", sa.String(length=128), nullable=True),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("speed_to_lead_seconds", sa.Double(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["inbound_leads.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("answer_message_id"),
    )
    with op.batch_alter_table("inbound_leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_leads_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_leads_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_inbound_leads_email_received", ["email", "received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_leads_needs_review"), ["needs_review"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_leads_route"), ["route"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_leads_route"))
        batch_op.drop_index(batch_op.f("ix_inbound_leads_needs_review"))
        batch_op.drop_index("ix_inbound_leads_email_received")
        batch_op.drop_index(batch_op.f("ix_inbound_leads_contact_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_leads_campaign_id"))

    op.drop_table("inbound_leads")
