"""Drafts become RFC 5322 messages: truthful headers, threading, one-click unsubscribe."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
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
    return prospect_email(
        spec,
        to=(contact.full_name, contact.email),
        subject=draft.subject or "",
        body=draft.body,
        message_id=message_id,
        secret=secret,
        now_utc=now_utc,
        thread=thread,
        headers={"X-SDR-Campaign": spec.name, "X-SDR-Draft": str(draft.id)},
    )


def prospect_email(
    spec: CampaignSpec,
    *,
    to: tuple[str, str],
    subject: str,
    body: str,
    message_id: str,
    secret: str,
    now_utc: datetime,
    thread: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
) -> Outgoing:
    """Any email to a prospect (a sequence step, a reply answer, an inbound answer): truthful
    headers, threading under `thread` (earlier ids, oldest first), the compliance footer and
    RFC 8058 one-click unsubscribe. `to` is (name, address)."""
    sender = spec.sender
    link = unsubscribe_url(sender, to[1], spec.name, secret)
    message = EmailMessage(policy=POLICY)
    message["From"] = formataddr((sender.name, sender.email))
    message["To"] = formataddr(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(now_utc.replace(tzinfo=UTC) if now_utc.tzinfo is None else now_utc)
    message["Message-ID"] = message_id
    if thread:
        message["In-Reply-To"] = thread[-1]
        message["References"] = " ".join(thread)
    # RFC 8058 one-click unsubscribe, plus a mailto for clients that prefer it.
    message["List-Unsubscribe"] = f"<{link}>, <mailto:{sender.email}?subject=unsubscribe>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(compose_body(body, sender, link))
    return Outgoing(
        message_id=message_id,
        channel="email",
        mailbox=sender.email,
        to=to[1],
        subject=subject,
        text=message.get_content(),
        email=message,
    )
