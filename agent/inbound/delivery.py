"""The desk's own mail: polite declines (sent from the lead's row) and notes to the people who follow leads.

Declines follow the senders' protocol: claim in a transaction that re-checks suppression at
that moment, deliver, mark sent; a claim a crash left behind is settled by asking the transport,
never by sending again on a guess. They are built like every email to a prospect
(`agent.sending.compose.prospect_email`: compliance footer, RFC 8058 headers).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from sqlalchemy import select

from agent.campaign import CampaignSpec
from agent.clock import as_utc, utcnow
from agent.errors import DeliveryError
from agent.inbound.tables import AnswerState, LeadRecord
from agent.sending.compose import POLICY, prospect_email
from agent.store.db import record_event
from agent.store.tables import Campaign
from agent.suppression import is_suppressed
from agent.workspace import Workspace
from tools.mail import Outgoing


def _letter(row: LeadRecord, spec: CampaignSpec, secret: str, now: datetime) -> Outgoing:
    return prospect_email(
        spec,
        to=(row.name, row.email),
        subject=row.answer_subject or "",
        body=row.answer_body or "",
        message_id=row.answer_message_id or "",
        secret=secret,
        now_utc=now,
        headers={"X-SDR-Inbound-Lead": str(row.id)},
    )


def settle_letters(ws: Workspace) -> None:
    """Letters a crashed run left `sending`: delivered, certainly not (approved again), or for a person."""
    with ws.store.transaction() as session:
        for row in session.scalars(select(LeadRecord).where(LeadRecord.answer_state == AnswerState.sending)):
            delivered = ws.transports["email"].confirm(row.answer_message_id or "")
            if delivered is True:
                row.answer_state, row.sent_at = AnswerState.sent, row.sent_at or utcnow()
            elif delivered is False:
                row.answer_state, row.answer_message_id = AnswerState.approved, None
            else:
                row.answer_state, row.needs_review = AnswerState.failed, True
                row.error = "the transport cannot tell whether the answer went out: check before resending"


def send_letter(ws: Workspace, lead_id: int, now: datetime) -> AnswerState:
    """Send the lead's approved letter once; returns the state it ended in."""
    settle_letters(ws)
    with ws.store.transaction() as session:
        row = session.get_one(LeadRecord, lead_id)
        if row.answer_state != AnswerState.approved:
            return AnswerState(row.answer_state)
        if is_suppressed(session, row.email):
            row.answer_state = AnswerState.blocked
            record_event(session, "inbound_answer_blocked", contact_id=row.contact_id, data={"lead": lead_id})
            return AnswerState.blocked
        spec = CampaignSpec.model_validate(session.get_one(Campaign, row.campaign_id).spec)
        domain = spec.sender.email.rsplit("@", 1)[1]
        row.answer_message_id = f"<sdr.inbound.{lead_id}.{secrets.token_hex(6)}@{domain}>"
        row.answer_state = AnswerState.sending
        outgoing = _letter(row, spec, ws.settings.unsubscribe_secret.get_secret_value(), now)
    try:
        ws.transports["email"].deliver(outgoing)
    except DeliveryError as exc:
        with ws.store.transaction() as session:
            row = session.get_one(LeadRecord, lead_id)
            row.answer_state, row.answer_message_id, row.error = AnswerState.failed, None, str(exc)
            row.needs_review = True
            record_event(session, "inbound_answer_failed", contact_id=row.contact_id, data={"error": str(exc)})
        return AnswerState.failed
    with ws.store.transaction() as session:
        row = session.get_one(LeadRecord, lead_id)
        row.answer_state, row.sent_at = AnswerState.sent, as_utc(now)
        record_event(
            session,
            "inbound_answer_sent",
            campaign_id=row.campaign_id,
            contact_id=row.contact_id,
            data={"lead": lead_id, "message_id": row.answer_message_id},
        )
    return AnswerState.sent


def notify(ws: Workspace, lead_id: int, to: list[str], subject: str, text: str, now: datetime) -> list[str]:
    """Tell the people who follow inbound leads; at most once per lead. Returns who was told."""
    with ws.store.transaction() as session:
        row = session.get_one(LeadRecord, lead_id)
        if row.notified_at is not None:
            return []
        row.notified_at = as_utc(now)
        spec = CampaignSpec.model_validate(session.get_one(Campaign, row.campaign_id).spec)
        recipients = [a for a in to if not is_suppressed(session, a)]
    told = []
    sender = spec.sender
    for address in recipients:
        message = EmailMessage(policy=POLICY)
        message_id = f"<sdr.inbound.notify.{lead_id}.{secrets.token_hex(6)}@{sender.email.rsplit('@', 1)[1]}>"
        message["From"] = formataddr((f"{sender.company} inbound desk", sender.email))
        message["To"] = address
        message["Subject"] = subject
        message["Date"] = format_datetime(now.astimezone(UTC))
        message["Message-ID"] = message_id
        message.set_content(text)
        try:
            ws.transports["email"].deliver(Outgoing(message_id, "email", sender.email, address, subject, text, message))
            told.append(address)
        except DeliveryError as exc:
            with ws.store.transaction() as session:
                record_event(session, "inbound_notify_failed", data={"lead": lead_id, "to": address, "error": str(exc)})
    return told
