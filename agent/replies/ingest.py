"""Mail in: `.eml` files, mbox and maildir become `Inbound` replies with their visible text.

Nothing reads a reply before it is reduced to what the prospect wrote now: HTML becomes text
(`html_body`: hidden elements and each client's quote containers set aside), then the quoted
history above, below or between the new words and the signature are split off (`quoting`), so
that no decision (an opt-out, a bounce, an intent) is taken on our own quoted outreach or a
footer. The full text is kept too: injections hide in quotes and invisible HTML.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from agent.errors import InputError
from agent.replies.bounces import FailedRecipient, failed_recipients
from agent.replies.html_body import read_html
from agent.replies.quoting import split_reply


@dataclass
class Inbound:
    """One reply as received, reduced to what the classifier and the model may read."""

    visible: str  # the prospect's own words: no quoted history, no signature, no hidden HTML
    full_text: str  # everything, quoted history and hidden text included (for injection checks)
    hidden: str = ""  # text a mail client would not show (hidden HTML)
    signature: str = ""  # signature, mobile footer, legal disclaimer: never read as the prospect's request
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    received_at: datetime | None = None  # aware
    delivery_status: str = ""  # the message/delivery-status part of a DSN (RFC 3464)
    failed_recipients: list[FailedRecipient] = field(default_factory=list)  # what a bounce report says failed
    source: str = ""  # where it was read from (file, mbox key)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class Body:
    """A body read: the prospect's new words, and the rest kept for the checks that need it."""

    visible: str
    full: str
    hidden: str
    signature: str


def read_body(text: str | None, html: str | None) -> Body:
    """The new words (no quote, no signature) from a plain-text and/or an HTML body; plain text wins."""
    if text and text.strip():
        parts = split_reply(text)
        return Body(parts.new, text, "", parts.signature)
    page = read_html(html or "")
    parts = split_reply(page.text)
    full = "\n\n".join(p for p in (page.text, page.signature, page.hidden) if p)
    signature = "\n".join(p for p in (parts.signature, page.signature) if p)
    return Body(parts.new, full, page.hidden, signature)


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _bodies(message: Message) -> tuple[str | None, str | None, str]:
    text = html = None
    status: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            status.extend(
                str(p) for p in part.get_payload() if isinstance(p, Message)
            ) if part.is_multipart() else status.append(str(part.get_payload()))
            continue
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        if kind == "message/rfc822":
            continue
        if kind in ("text/plain", "text/html"):
            payload = part.get_payload(decode=True)
            payload = payload if isinstance(payload, bytes) else b""
            charset = part.get_content_charset() or "utf-8"
            try:
                decoded = payload.decode(charset, errors="replace")
            except LookupError:
                decoded = payload.decode("utf-8", errors="replace")
            if kind == "text/plain" and text is None:
                text = decoded
            elif kind == "text/html" and html is None:
                html = decoded
    return text, html, "\n".join(status)


def parse_message(message: Message, *, source: str = "", received_at: datetime | None = None) -> Inbound:
    """An RFC 5322 message (as the inbound server or a file hands it over) as an `Inbound` reply."""
    headers = {k.lower(): str(v) for k, v in message.items()}
    text, html, status = _bodies(message)
    body = read_body(text, html)
    name, address = parseaddr(headers.get("from", ""))
    when = received_at
    if when is None and headers.get("date"):
        try:
            when = parsedate_to_datetime(headers["date"])
        except (TypeError, ValueError):
            when = None
    return Inbound(
        visible=body.visible,
        full_text=body.full,
        hidden=body.hidden,
        signature=body.signature,
        subject=headers.get("subject", ""),
        from_address=address.lower(),
        from_name=name,
        headers=headers,
        message_id=_first(_ids(headers.get("message-id", ""))),
        in_reply_to=_first(_ids(headers.get("in-reply-to", ""))),
        references=_ids(headers.get("references", "")),
        received_at=when,
        delivery_status=status,
        failed_recipients=failed_recipients(message),
        source=source,
    )


def from_fields(
    *,
    text: str | None = None,
    html: str | None = None,
    subject: str = "",
    sender: str = "",
    headers: dict[str, str] | None = None,
    received_at: datetime | None = None,
    mail: bool = True,
) -> Inbound:
    """A reply given as fields (a JSONL line, an eval case) rather than a whole message. `mail`: it came
    by mail, so it may be a delivery report; a web form's message never is (no bounce is looked for)."""
    body = read_body(text, html)
    name, address = parseaddr(sender)
    lowered = {k.lower(): str(v) for k, v in (headers or {}).items()}
    failed: list[FailedRecipient] = []
    if mail:  # the bounce detectors read messages: a plain-text report is given to them as one
        plain = EmailMessage()
        plain["From"] = address or "unknown@invalid"
        plain["Subject"] = " ".join(subject.split())
        plain.set_content(text or body.full)
        failed = failed_recipients(plain)
    return Inbound(
        visible=body.visible,
        full_text=body.full,
        hidden=body.hidden,
        signature=body.signature,
        subject=subject,
        from_address=address.lower(),
        from_name=name,
        headers=lowered,
        in_reply_to=_first(_ids(lowered.get("in-reply-to", ""))),
        references=_ids(lowered.get("references", "")),
        received_at=received_at,
        failed_recipients=failed,
    )


def parse_bytes(data: bytes, *, source: str = "") -> Inbound:
    return parse_message(message_from_bytes(data, policy=policy.default), source=source)


def read_messages(path: Path) -> Iterator[tuple[str, EmailMessage]]:
    """(source, message) for an `.eml` file, a folder of them, an mbox file or a maildir."""
    if not path.exists():
        raise InputError("no such file or folder", file=path)
    if path.is_dir():
        if all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
            box = mailbox.Maildir(path, factory=None, create=False)
            for key in sorted(box.keys()):
                yield f"{path}:{key}", message_from_bytes(box.get_bytes(key), policy=policy.default)
            return
        for file in sorted(path.glob("*.eml")):
            yield str(file), message_from_bytes(file.read_bytes(), policy=policy.default)
        return
    head = path.read_bytes()[:5]
    if head.startswith(b"From "):
        archive = mailbox.mbox(path, factory=None, create=False)
        for key in archive.iterkeys():
            yield f"{path}:{key}", message_from_bytes(archive.get_bytes(key), policy=policy.default)
        return
    yield str(path), message_from_bytes(path.read_bytes(), policy=policy.default)
