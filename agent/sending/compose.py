"""Drafts become RFC 5322 messages: truthful headers, threading, one-click unsubscribe."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from agent.campaign import CampaignSpec
from agent.drafting.compliance import compose_body, unsubscribe_url
from agent.store.tables import Contact, Draft
from tools.mail import Outgoing

# RFC 5322 allows 998-character lines; the default 78 would encode the unsubscribe URL unreadably.
POLICY = policy.SMTP.clone(max_line_length=998)


def new_message_id(draft: Draft, spec: CampaignSpec) -> str:
    domain = spec.sender.email.rsplit("@", 1)[1]
    return f"<sdr.{spec.name}.{draft.id}.{secrets.token_hex(6)}@{domain}>"


def compose(
    draft: Draft,
    contact: Contact,
    spec: CampaignSpec,
    message_id: str,
    secret: str,
    thread: list[str],
    now_utc: datetime,
) -> Outgoing:
    """The outgoing message for a draft; `thread` lists earlier emails' ids, oldest first."""
    sender = spec.sender
    if draft.channel != "email":
        reach = contact.linkedin_url or contact.phone or contact.email
        task = f"To: {contact.full_name} ({contact.title or 'no title'}), {reach}\n\n{draft.body}"
        return Outgoing(
            message_id=message_id,
            channel=draft.channel,
            mailbox=sender.email,
            to=contact.email,
            subject=draft.subject,
            text=task,
        )
    link = unsubscribe_url(sender, contact.email, spec.name, secret)
    message = EmailMessage(policy=POLICY)
    message["From"] = formataddr((sender.name, sender.email))
    message["To"] = formataddr((contact.full_name, contact.email))
    message["Subject"] = draft.subject or ""
    message["Date"] = format_datetime(now_utc.replace(tzinfo=UTC))
    message["Message-ID"] = message_id
    if thread:
        message["In-Reply-To"] = thread[-1]
        message["References"] = " ".join(thread)
    # RFC 8058 one-click unsubscribe, plus a mailto for clients that prefer it.
    message["List-Unsubscribe"] = f"<{link}>, <mailto:{sender.email}?subject=unsubscribe>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-SDR-Campaign"] = spec.name
    message["X-SDR-Draft"] = str(draft.id)
    message.set_content(compose_body(draft.body, sender, link))
    return Outgoing(
        message_id=message_id,
        channel="email",
        mailbox=sender.email,
        to=contact.email,
        subject=draft.subject,
        text=message.get_content(),
        email=message,
    )
