"""Outbox messages become what a transport carries: RFC 5322 emails with truthful headers and
threading, or task files for the steps a person does (LinkedIn, calls).

Every email to a prospect, whatever put it in the outbox, is built by `prospect_email`: the
compliance footer and RFC 8058 one-click unsubscribe. Emails to colleagues (an AE's invitation,
a note about a lead) carry neither. An invitation travels as a text/calendar alternative and an
`.ics` attachment (RFC 6047).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from icalendar import Calendar as ICalendar

from agent.campaign import CampaignSpec
from agent.drafting.compliance import compose_body, unsubscribe_url
from agent.states import Audience
from agent.store.tables import OutboxMessage
from tools.mail import Outgoing

# RFC 5322 allows 998-character lines; the default 78 would encode the unsubscribe URL unreadably.
POLICY = policy.SMTP.clone(max_line_length=998)


def new_message_id(row: OutboxMessage) -> str:
    """Ours, unique (RFC 5322), in the sending domain, naming the outbox row it came from."""
    return make_msgid(idstring=f"sdr.{row.origin}.{row.id}", domain=row.from_address.rsplit("@", 1)[-1])


def compose(row: OutboxMessage, spec: CampaignSpec | None, secret: str, now_utc: datetime) -> Outgoing:
    """What the transport carries for this outbox row; `row.message_id` must be set (the claim sets it)."""
    assert row.message_id is not None
    if row.channel != "email":
        contact = row.contact
        reach = (contact.linkedin_url or contact.phone) if contact else None
        title = contact.title if contact and contact.title else "no title"
        task = f"To: {row.to_name} ({title}), {reach or row.to_address}\n\n{row.body}"
        return Outgoing(row.message_id, row.channel, row.from_address, row.to_address, row.subject, task)
    headers = {"X-SDR-Outbox": str(row.id), **{k: str(v) for k, v in row.headers.items()}}
    if row.audience == Audience.prospect:
        if spec is None:
            raise ValueError(f"outbox message {row.id} to a prospect has no campaign to send it from")
        headers["X-SDR-Campaign"] = spec.name
        return prospect_email(
            spec,
            to=(row.to_name, row.to_address),
            subject=row.subject or "",
            body=row.body,
            message_id=row.message_id,
            secret=secret,
            now_utc=now_utc,
            thread=row.thread,
            headers=headers,
            ics=row.ics,
            attachments=row.attachments,
        )
    message = _headed(
        (row.from_name, row.from_address), (row.to_name, row.to_address), row.subject or "", row.message_id, now_utc
    )
    _thread(message, row.thread)
    for name, value in headers.items():
        message[name] = value
    message.set_content(row.body)
    _attach(message, row.ics, row.attachments)
    return Outgoing(row.message_id, "email", row.from_address, row.to_address, row.subject, row.body, message)


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
    ics: str | None = None,
    attachments: Sequence[dict[str, Any]] = (),
) -> Outgoing:
    """Any email to a prospect: truthful headers, threading under `thread` (earlier ids, oldest
    first), the compliance footer and RFC 8058 one-click unsubscribe. `to` is (name, address)."""
    sender = spec.sender
    link = unsubscribe_url(sender, to[1], spec.name, secret)
    message = _headed((sender.name, sender.email), to, subject, message_id, now_utc)
    _thread(message, thread)
    # RFC 8058 one-click unsubscribe, plus a mailto for clients that prefer it.
    message["List-Unsubscribe"] = f"<{link}>, <mailto:{sender.email}?subject=unsubscribe>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in (headers or {}).items():
        message[name] = value
    text = compose_body(body, sender, link)
    message.set_content(text)
    _attach(message, ics, attachments)
    return Outgoing(message_id, "email", sender.email, to[1], subject, text, message)


def _headed(sender: tuple[str, str], to: tuple[str, str], subject: str, message_id: str, now: datetime) -> EmailMessage:
    if sender[1].isascii() and to[1].isascii():
        message = EmailMessage(policy=POLICY)
        message["From"], message["To"] = formataddr(sender), formataddr(to)
    else:  # an internationalised address (RFC 6531): the message needs a server that speaks SMTPUTF8
        message = EmailMessage(policy=POLICY.clone(utf8=True))
        message["From"], message["To"] = (_utf8_address(name, address) for name, address in (sender, to))
    message["Subject"] = subject
    message["Date"] = format_datetime(now.replace(tzinfo=UTC) if now.tzinfo is None else now)
    message["Message-ID"] = message_id
    return message


def _utf8_address(name: str, address: str) -> str:
    """`"Name" <address>` as UTF-8 (formataddr and Address refuse a non-ASCII local part)."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>' if name else address


def _thread(message: EmailMessage, thread: Sequence[str]) -> None:
    if thread:
        message["In-Reply-To"] = thread[-1]
        message["References"] = " ".join(thread)


def _attach(message: EmailMessage, ics: str | None, attachments: Sequence[dict[str, Any]]) -> None:
    """An invitation as a text/calendar alternative (mail clients act on it) and as an `.ics` file
    (for the rest); then any text notes (the AE's handoff note)."""
    if ics is not None:
        method = str(ICalendar.from_ical(ics).get("method", "REQUEST"))
        message.add_alternative(ics.encode(), maintype="text", subtype="calendar", params={"method": method})
        message.add_attachment(
            ics.encode(), maintype="application", subtype="ics", filename="invite.ics", params={"method": method}
        )
    for item in attachments:
        message.add_attachment(item["text"], subtype="plain", filename=item["filename"])
