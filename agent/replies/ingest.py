"""Mail in: `.eml` files, mbox and maildir become `Inbound` replies with their visible text.

Nothing reads a reply before it is reduced to what the prospect wrote now: HTML becomes text
(hidden elements and quoted blocks set aside), and the quoted history below the reply is cut
off, so that neither the classifier nor the model mistakes our own outreach for the prospect's
words. The full text is kept too: injections hide in quotes and invisible HTML.
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
from html.parser import HTMLParser
from pathlib import Path

import html2text

from agent.errors import InputError

_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|font-size\s*:\s*0(?:px|pt|em)?\s*(?:;|$)|visibility\s*:\s*hidden", re.IGNORECASE
)
_VOID = frozenset(["br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source", "track"])

# A line that opens the quoted history, in the five languages and the common mail clients.
_QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    r"On\b.{4,200}\bwrote:"
    r"|Am\b.{4,200}\bschrieb\b.{0,200}:"
    r"|El\b.{4,200}\bescribi[óo]:"
    r"|Le\b.{4,200}\ba [ée]crit\s?:"
    r"|Em\b.{4,200}\bescreveu:"
    r"|-{2,}\s*(?:Original Message|Urspr[üu]ngliche Nachricht|Message d'origine|Mensaje original"
    r"|Mensagem original|Original message)\s*-{2,}"
    r"|_{10,}"
    r"|(?:\*\*)?(?:From|De|Von|Van)\s?:(?:\*\*)?\s.+"
    r")\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_NEXT_HEADER = re.compile(
    r"^\s*(?:\*\*)?(?:Sent|Date|Envoy[ée]|Gesendet|Enviado|Datum|To|À|An|Para|Subject|"
    r"Objet|Betreff|Asunto|Assunto)\s?:",
    re.IGNORECASE,
)


@dataclass
class Inbound:
    """One reply as received, reduced to what the classifier and the model may read."""

    visible: str  # the prospect's own words: no quoted history, no hidden HTML
    full_text: str  # everything, quoted history and hidden text included (for injection checks)
    hidden: str = ""  # text a mail client would not show (hidden HTML)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    received_at: datetime | None = None  # aware
    delivery_status: str = ""  # the message/delivery-status part of a DSN (RFC 3464)
    source: str = ""  # where it was read from (file, mbox key)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class _HtmlFilter(HTMLParser):
    """Splits HTML into what a reader sees and what is hidden or quoted."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.shown: list[str] = []
        self.hidden: list[str] = []
        self.quoted: list[str] = []
        self._stack: list[tuple[str, str | None]] = []  # (tag, the sink it opened, if any)

    def _sink(self) -> list[str]:
        for _, sink in reversed(self._stack):
            if sink == "hidden":
                return self.hidden
        for _, sink in reversed(self._stack):
            if sink == "quoted":
                return self.quoted
        return self.shown

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        sink = None
        if (
            tag in ("style", "script", "head", "title")
            or _HIDDEN_STYLE.search(values.get("style") or "")
            or "hidden" in values
        ):
            sink = "hidden"
        elif tag == "blockquote" or "gmail_quote" in (values.get("class") or ""):
            sink = "quoted"
        text = self.get_starttag_text() or f"<{tag}>"
        if tag in _VOID:
            self._sink().append(text)
            return
        self._stack.append((tag, sink))
        self._sink().append(text)

    def handle_endtag(self, tag: str) -> None:
        sink = self._sink()
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break
        sink.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self._sink().append(data)

    def handle_entityref(self, name: str) -> None:
        self._sink().append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._sink().append(f"&#{name};")


def _render(html: str) -> str:
    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_links = converter.ignore_images = converter.ignore_emphasis = True
    converter.ignore_tables = True
    text = converter.handle(html)
    text = text.replace("\u00a0", " ")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


def html_parts(html: str) -> tuple[str, str, str]:
    """(shown, quoted, hidden) text of an HTML body."""
    parser = _HtmlFilter()
    parser.feed(html)
    parser.close()
    return _render("".join(parser.shown)), _render("".join(parser.quoted)), _render("".join(parser.hidden))


def strip_quoted(text: str) -> tuple[str, str]:
    """(the reply, the quoted history below it)."""
    lines = text.splitlines()
    cut = len(lines)
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">") and not any(
            ln.strip() for ln in lines[index + 1 :] if not ln.lstrip().startswith(">")
        ):
            cut = index
            break
        if _QUOTE_HEADER.match(line):
            # "From: x" alone is a quote only when header lines follow (Outlook's block).
            if re.match(r"^\s*(?:\*\*)?(?:From|De|Von|Van)\s?:", line, re.IGNORECASE) and not any(
                _NEXT_HEADER.match(ln) for ln in lines[index + 1 : index + 5]
            ):
                continue
            cut = index
            break
        if line.lstrip().startswith(">") and index + 1 < len(lines) and lines[index + 1].lstrip().startswith(">"):
            cut = index
            break
    reply = "\n".join(lines[:cut]).strip()
    return reply, "\n".join(lines[cut:]).strip()


def reduce_body(text: str | None, html: str | None) -> tuple[str, str, str]:
    """(visible, full, hidden) from a plain-text and/or an HTML body; plain text wins when both exist."""
    if text and text.strip():
        return strip_quoted(text)[0], text, ""
    shown, quoted, hidden = html_parts(html or "")
    visible = strip_quoted(shown)[0]
    full = "\n\n".join(p for p in (shown, quoted, hidden) if p)
    return visible, full, hidden


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
    visible, full, hidden = reduce_body(text, html)
    name, address = parseaddr(headers.get("from", ""))
    when = received_at
    if when is None and headers.get("date"):
        try:
            when = parsedate_to_datetime(headers["date"])
        except (TypeError, ValueError):
            when = None
    return Inbound(
        visible=visible,
        full_text=full,
        hidden=hidden,
        subject=headers.get("subject", ""),
        from_address=address.lower(),
        from_name=name,
        headers=headers,
        message_id=_first(_ids(headers.get("message-id", ""))),
        in_reply_to=_first(_ids(headers.get("in-reply-to", ""))),
        references=_ids(headers.get("references", "")),
        received_at=when,
        delivery_status=status,
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
) -> Inbound:
    """A reply given as fields (a JSONL line, an eval case) rather than a whole message."""
    visible, full, hidden = reduce_body(text, html)
    name, address = parseaddr(sender)
    lowered = {k.lower(): str(v) for k, v in (headers or {}).items()}
    return Inbound(
        visible=visible,
        full_text=full,
        hidden=hidden,
        subject=subject,
        from_address=address.lower(),
        from_name=name,
        headers=lowered,
        in_reply_to=_first(_ids(lowered.get("in-reply-to", ""))),
        references=_ids(lowered.get("references", "")),
        received_at=received_at,
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
