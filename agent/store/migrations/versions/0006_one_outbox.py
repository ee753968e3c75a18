"""one outbox: sequence drafts and their deliveries, answers to replies, meeting emails and inbound
answers become rows of one table with one lifecycle; nothing is lost, states are mapped

- drafts + messages -> outbox rows (origin sequence_step), ids kept (reviews and events point at them);
  a message's status wins over its draft's state (claimed -> sending, for the next round to settle);
- reply_responses -> origin reply_answer; meeting_messages -> origin meeting_letter (a prospect's
  copy loses the compliance footer the inbound desk wrote into it: the send path adds it);
- an inbound lead's letter (its answer_* columns) -> origin inbound_answer; every lead points at its
  first answer (`answer_id`), whatever path wrote it;
- reviews.draft_id -> outbox_id, events.draft_id -> outbox_id, replies.in_reply_to -> the outbox row.

Revision ID: 0006_one_outbox
Revises: 0002_replies, 0003_meetings, 0004_draft_snippets, 0005_inbound
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_one_outbox"
down_revision = ("0002_replies", "0003_meetings", "0004_draft_snippets", "0005_inbound")
branch_labels = None
depends_on = None

FOOTER_MARK = "To stop hearing from us"


def _outbox() -> sa.Table:
    return op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=True),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id"), nullable=True),
        sa.Column("enrollment_id", sa.Integer(), sa.ForeignKey("enrollments.id"), nullable=True),
        sa.Column("step_number", sa.Integer(), nullable=True),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("from_name", sa.String(length=255), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("to_name", sa.String(length=255), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("thread", sa.JSON(), nullable=False),
        sa.Column("ics", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("snippets", sa.JSON(), nullable=False),
        sa.Column("made_by", sa.String(length=128), nullable=False),
        sa.Column("prompt_version", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Double(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=128), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("transport", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enrollment_id", "step_number"),
        sa.UniqueConstraint("message_id"),
    )


def _indexes() -> None:
    for column in ("campaign_id", "contact_id", "enrollment_id", "reply_id", "meeting_id", "lead_id", "to_address"):
        op.create_index(f"ix_outbox_{column}", "outbox", [column])
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.create_index("ix_outbox_state_origin", "outbox", ["state", "origin"])
    op.create_index("ix_outbox_mailbox_claimed", "outbox", ["from_address", "claimed_at"])


def _old(name: str, *columns: str, json: tuple[str, ...] = ()) -> sa.TableClause:
    """A table as the previous release left it, with the types that need reading (JSON, times)."""

    def typed(column: str) -> sa.ColumnClause[Any]:
        if column in json:
            return sa.column(column, sa.JSON)
        if column == "at" or column.endswith("_at"):
            return sa.column(column, sa.DateTime)
        return sa.column(column)

    return sa.table(name, *(typed(c) for c in columns))


def _row(**values: Any) -> dict[str, Any]:
    defaults = {"thread": [], "attachments": [], "headers": {}, "claims": [], "checks": [], "snippets": [],
                "made_by": "template", "version": 1, "priority": 0.0, "channel": "email", "audience": "prospect",
                "enrollment_id": None, "step_number": None, "reply_id": None, "meeting_id": None, "lead_id": None,
                "ics": None, "prompt_version": None, "reviewer": None, "message_id": None, "transport": None,
                "claimed_at": None, "claimed_by": None, "sent_at": None, "error": None}  # fmt: skip
    row = {**defaults, **values}
    row.setdefault("updated_at", row["created_at"])
    return row


def _senders(bind: sa.Connection) -> dict[int, tuple[str, str]]:
    campaigns = _old("campaigns", "id", "spec", json=("spec",))
    return {r.id: (r.spec["sender"]["name"], r.spec["sender"]["email"]) for r in bind.execute(sa.select(campaigns))}


def _steps(bind: sa.Connection, outbox: sa.Table, senders: dict[int, tuple[str, str]]) -> dict[int, int]:
    """Drafts and their messages; returns message id -> outbox id."""
    drafts = _old("drafts", "id", "enrollment_id", "step_number", "channel", "subject", "body", "claims", "made_by",
                  "prompt_version", "checks", "snippets", "state", "version", "created_at", "updated_at",
                  json=("claims", "checks", "snippets"))  # fmt: skip
    messages = _old("messages", "id", "draft_id", "transport", "mailbox", "message_id", "status", "claimed_at",
                    "sent_at", "error")  # fmt: skip
    enrollments = _old("enrollments", "id", "campaign_id", "contact_id", "priority")
    contacts = _old("contacts", "id", "email", "first_name", "last_name")
    reviews = _old("reviews", "draft_id", "action", "reviewer", "id")
    approvers: dict[int, str] = {}
    for r in bind.execute(sa.select(reviews).order_by(reviews.c.id)):
        if r.action in ("approve", "auto_approve"):
            approvers[r.draft_id] = r.reviewer
    sent = {m.draft_id: m for m in bind.execute(sa.select(messages))}
    people = {c.id: c for c in bind.execute(sa.select(contacts))}
    enrolled = {e.id: e for e in bind.execute(sa.select(enrollments))}
    status_wins = {"claimed": "sending", "sent": "sent", "uncertain": "uncertain", "failed": "failed"}
    rows, by_message = [], {}
    for d in bind.execute(sa.select(drafts).order_by(drafts.c.id)):
        enrollment = enrolled[d.enrollment_id]
        contact = people[enrollment.contact_id]
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p) or contact.email
        message = sent.get(d.id)
        state = status_wins[message.status] if message else d.state
        rows.append(_row(
            id=d.id, origin="sequence_step", kind="step", channel=d.channel, campaign_id=enrollment.campaign_id,
            contact_id=contact.id, enrollment_id=enrollment.id, step_number=d.step_number,
            from_name=senders[enrollment.campaign_id][0],
            from_address=message.mailbox if message else senders[enrollment.campaign_id][1],
            to_name=name, to_address=contact.email, subject=d.subject, body=d.body, claims=d.claims or [],
            checks=d.checks or [], snippets=d.snippets or [], made_by=d.made_by, prompt_version=d.prompt_version,
            version=d.version, priority=enrollment.priority, state=state, reviewer=approvers.get(d.id),
            message_id=message.message_id if message else None, transport=message.transport if message else None,
            claimed_at=message.claimed_at if message else None, sent_at=message.sent_at if message else None,
            error=message.error if message else None, created_at=d.created_at, updated_at=d.updated_at,
        ))  # fmt: skip
        if message:
            by_message[message.id] = d.id
    if rows:
        bind.execute(outbox.insert(), rows)
    return by_message


def _answers(bind: sa.Connection, outbox: sa.Table, senders: dict[int, tuple[str, str]]) -> dict[int, int]:
    """Answers to replies; returns response id -> outbox id."""
    responses = _old("reply_responses", "id", "reply_id", "contact_id", "campaign_id", "kind", "subject", "body",
                     "made_by", "state", "reviewer", "message_id", "in_reply_to", "created_at", "sent_at")  # fmt: skip
    contacts = {c.id: c for c in bind.execute(sa.select(_old("contacts", "id", "email", "first_name", "last_name")))}
    moved = {}
    for r in bind.execute(sa.select(responses).order_by(responses.c.id)):
        contact = contacts[r.contact_id]
        sender = senders.get(r.campaign_id or -1, ("", contact.email))
        new_id = bind.execute(outbox.insert().returning(outbox.c.id), [_row(
            origin="reply_answer", kind=r.kind, campaign_id=r.campaign_id, contact_id=r.contact_id,
            reply_id=r.reply_id, from_name=sender[0], from_address=sender[1],
            to_name=" ".join(p for p in (contact.first_name, contact.last_name) if p) or contact.email,
            to_address=contact.email, subject=r.subject, body=r.body, thread=[r.in_reply_to] if r.in_reply_to else [],
            made_by=r.made_by, state=r.state, reviewer=r.reviewer, message_id=r.message_id, sent_at=r.sent_at,
            claimed_at=r.sent_at if r.state in ("sending", "sent") else None, created_at=r.created_at,
        )]).scalar_one()  # fmt: skip
        moved[r.id] = new_id
    return moved


def _without_footer(body: str) -> str:
    if FOOTER_MARK in body and "\n\n--\n" in body:
        return body.rsplit("\n\n--\n", 1)[0]
    return body


def _meeting_emails(bind: sa.Connection, outbox: sa.Table) -> dict[int, int]:
    """Meeting emails; returns meeting message id -> outbox id."""
    rows = _old("meeting_messages", "id", "contact_id", "meeting_id", "campaign_id", "kind", "audience",
                "from_address", "from_name", "to_address", "to_name", "subject", "body", "ics", "attachments",
                "state", "message_id", "transport", "reviewer", "error", "created_at", "sent_at",
                json=("attachments",))  # fmt: skip
    moved = {}
    for m in bind.execute(sa.select(rows).order_by(rows.c.id)):
        body = _without_footer(m.body) if m.audience == "prospect" else m.body
        new_id = bind.execute(outbox.insert().returning(outbox.c.id), [_row(
            origin="meeting_letter", kind=m.kind, audience=m.audience, campaign_id=m.campaign_id,
            contact_id=m.contact_id, meeting_id=m.meeting_id, from_name=m.from_name, from_address=m.from_address,
            to_name=m.to_name, to_address=m.to_address, subject=m.subject, body=body, ics=m.ics,
            attachments=m.attachments or [], made_by="meetings", state=m.state, reviewer=m.reviewer,
            message_id=m.message_id, transport=m.transport, error=m.error, sent_at=m.sent_at,
            claimed_at=m.sent_at if m.state in ("sending", "sent", "uncertain") else None, created_at=m.created_at,
        )]).scalar_one()  # fmt: skip
        moved[m.id] = new_id
    return moved


def _inbound(
    bind: sa.Connection,
    outbox: sa.Table,
    senders: dict[int, tuple[str, str]],
    answers: dict[int, int],
    meeting_emails: dict[int, int],
) -> dict[int, int]:
    """Every lead's first answer: a letter becomes a row; the others are found where they moved.
    Returns lead id -> outbox id."""
    leads = _old("inbound_leads", "id", "campaign_id", "contact_id", "name", "email", "answer_via", "answer_ref",
                 "answer_state", "answer_subject", "answer_body", "answer_made_by", "answer_message_id", "reviewer",
                 "checks", "sent_at", "error", "created_at", json=("checks",))  # fmt: skip
    first = {}
    for lead in bind.execute(sa.select(leads).order_by(leads.c.id)):
        if lead.answer_via in ("meeting", "response") and lead.answer_ref is not None:
            moved = (meeting_emails if lead.answer_via == "meeting" else answers).get(lead.answer_ref)
            if moved is not None:
                bind.execute(
                    outbox.update().where(outbox.c.id == moved).values(lead_id=lead.id, checks=lead.checks or [])
                )
                first[lead.id] = moved
        elif lead.answer_via == "letter" and lead.answer_state != "none":
            state = lead.answer_state
            if state == "failed":  # the transport refused it, or could not tell whether it went out
                state = "uncertain" if "cannot tell" in (lead.error or "") else "failed"
            sender = senders[lead.campaign_id]
            first[lead.id] = bind.execute(outbox.insert().returning(outbox.c.id), [_row(
                origin="inbound_answer", kind="letter", campaign_id=lead.campaign_id, contact_id=lead.contact_id,
                lead_id=lead.id, from_name=sender[0], from_address=sender[1], to_name=lead.name,
                to_address=lead.email, subject=lead.answer_subject, body=lead.answer_body or "",
                headers={"X-SDR-Inbound-Lead": str(lead.id)}, checks=lead.checks or [],
                made_by=lead.answer_made_by or "template", state=state, reviewer=lead.reviewer,
                message_id=lead.answer_message_id, sent_at=lead.sent_at,
                claimed_at=lead.sent_at if state in ("sending", "sent") else None,
                error=lead.error if state in ("failed", "uncertain") else None, created_at=lead.created_at,
            )]).scalar_one()  # fmt: skip
    return first


def _restart_ids(bind: sa.Connection, table: str) -> None:
    """On PostgreSQL, ids inserted by hand leave the table's sequence behind: move it past them."""
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 1))"
            )
        )


def _reviews(bind: sa.Connection) -> None:
    old = _old("reviews", "id", "draft_id", "action", "reviewer", "reason", "before", "after", "at",
               json=("before", "after"))  # fmt: skip
    kept = [
        {"id": r.id, "outbox_id": r.draft_id, "action": r.action, "reviewer": r.reviewer, "reason": r.reason,
         "before": r.before, "after": r.after, "at": r.at}
        for r in bind.execute(sa.select(old))
    ]  # fmt: skip
    op.drop_table("reviews")
    reviews = op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("outbox.id"), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("reviewer", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if kept:
        bind.execute(reviews.insert(), kept)
    op.create_index("ix_reviews_outbox_id", "reviews", ["outbox_id"])
    _restart_ids(bind, "reviews")


def _fk_name(bind: sa.Connection, table: str, column: str, target: str) -> str:
    if bind.dialect.name == "postgresql":
        return f"{table}_{column}_fkey"
    return f"fk_{table}_{column}_{target}"


NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _replies(bind: sa.Connection, by_message: dict[int, int]) -> None:
    replies = _old("replies", "id", "in_reply_to")
    for reply in bind.execute(sa.select(replies).where(replies.c.in_reply_to.is_not(None))):
        bind.execute(
            replies.update().where(replies.c.id == reply.id).values(in_reply_to=by_message.get(reply.in_reply_to))
        )
    with op.batch_alter_table("replies", naming_convention=NAMING, recreate="auto") as batch:
        batch.drop_constraint(_fk_name(bind, "replies", "in_reply_to", "messages"), type_="foreignkey")
        batch.create_foreign_key("fk_replies_in_reply_to_outbox", "outbox", ["in_reply_to"], ["id"])


def _leads(bind: sa.Connection, first: dict[int, int]) -> None:
    with op.batch_alter_table("inbound_leads", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("answer_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_inbound_leads_answer_id_outbox", "outbox", ["answer_id"], ["id"])
    leads = _old("inbound_leads", "id", "answer_id")
    for lead_id, answer_id in first.items():
        bind.execute(leads.update().where(leads.c.id == lead_id).values(answer_id=answer_id))
    with op.batch_alter_table("inbound_leads", naming_convention=NAMING) as batch:
        for column in ("answer_via", "answer_ref", "answer_state", "answer_subject", "answer_body", "answer_made_by",
                       "answer_message_id", "reviewer", "checks", "sent_at"):  # fmt: skip
            batch.drop_column(column)


def upgrade() -> None:
    bind = op.get_bind()
    outbox = _outbox()
    senders = _senders(bind)
    by_message = _steps(bind, outbox, senders)
    _restart_ids(bind, "outbox")
    answers = _answers(bind, outbox, senders)
    meeting_emails = _meeting_emails(bind, outbox)
    first = _inbound(bind, outbox, senders, answers, meeting_emails)
    _indexes()
    _reviews(bind)
    op.execute("ALTER TABLE events RENAME COLUMN draft_id TO outbox_id")
    _replies(bind, by_message)
    _leads(bind, first)
    for table in ("messages", "drafts", "reply_responses", "meeting_messages"):
        op.drop_table(table)


def downgrade() -> None:
    raise NotImplementedError("the one outbox is not split again: restore the workspace from a backup")
