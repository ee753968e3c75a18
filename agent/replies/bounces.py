"""Who failed, and how badly, read from a bounce before any guess from its wording.

First the delivery-status part (RFC 3464 `message/delivery-status`): one block per recipient, with
the address we sent to (`Original-Recipient`, else `Final-Recipient`), the `Action` and the
`Status` code. Then, for the many servers that send no such part (Exim, qmail, Exchange, Yahoo,
GroupWise and others), flufl.bounce's detectors (Apache-2.0, Mailman's), which say which
addresses failed for good and which only for now. The rules tier guesses from the text only when
neither knows.

A mailing list that refuses our message ("you are not a member", "you do not have permission
to post to this group") is a bounce-like notice about the list's address, for a person to look
at: never an opt-out, even though every list notice carries an unsubscribe footer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_LIST_REFUSAL = re.compile(
    r"not (?:a )?member|non-?member|not (?:allowed|authori[sz]ed|permitted) to (?:post|send)"
    r"|(?:do not|don't|does not|doesn't) have permission to post|may not have permission to post"
    r"|only (?:members|subscribers) (?:can|may) post|members-only list|awaits moderator approval"
    r"|not subscribed to (?:this|the) (?:list|group)|kein mitglied|nicht berechtigt,? (?:an|in) (?:diese|die) liste"
    r"|n'(?:ê|e)tes pas (?:membre|abonn)|n'(?:ê|e)tes pas autoris(?:é|e) (?:à|a) (?:poster|envoyer)"
    r"|no (?:es|eres) (?:miembro|suscriptor)|no (?:tiene|tienes) permiso para (?:publicar|enviar)"
    r"|n(?:ã|a)o (?:é|e) (?:membro|assinante)|n(?:ã|a)o tem permiss(?:ã|a)o para (?:postar|enviar)",
    re.IGNORECASE,
)
_LIST_CONTEXT = re.compile(
    r"mailing list|\blist\b|\bgroup\b|google groups|mailman|listserv|sympa|moderator|lista|liste|grupo|groupe|gruppe",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FailedRecipient:
    address: str
    permanent: bool  # a failure that marks the address bad; temporary and policy failures do not
    status: str | None  # the enhanced status code, e.g. 5.1.1
    source: str  # "delivery-status" or "bounce library"
    diagnostic: str = ""


def _address(value: str) -> str:
    found = _ADDRESS.search(value.partition(";")[2] or value)
    return found.group(0).lower() if found else ""


def _permanent(action: str, status: str | None) -> bool:
    if action == "delayed" or (status and status.startswith("4.")):
        return False
    # 5.7.x: rejected by policy (spam filter, DMARC); the mailbox may well exist.
    return not (status and status.startswith("5.7."))


def from_delivery_status(message: Message) -> list[FailedRecipient]:
    """The failed and delayed recipients of each `message/delivery-status` part."""
    found: list[FailedRecipient] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            if action not in ("failed", "delayed"):
                continue
            address = _address(str(block.get("Original-Recipient", ""))) or _address(
                str(block.get("Final-Recipient", ""))
            )
            match = _STATUS.search(str(block.get("Status", "")))
            status = match.group(0) if match else None
            if address:
                found.append(
                    FailedRecipient(
                        address,
                        _permanent(action, status),
                        status,
                        "delivery-status",
                        " ".join(str(block.get("Diagnostic-Code", "")).split()),
                    )
                )
    return found


def from_bounce_library(message: Message) -> list[FailedRecipient]:
    """What flufl.bounce's detectors find, for servers that send no delivery-status part."""
    try:
        temporary, permanent = all_failures(message)
    except (LookupError, ValueError, TypeError, AttributeError):  # a malformed part: no finding
        return []
    return [
        FailedRecipient(raw.decode(errors="replace").lower(), is_permanent, None, "bounce library")
        for is_permanent, addresses in ((True, permanent), (False, temporary))
        for raw in sorted(addresses)
    ]


def failed_recipients(message: Message) -> list[FailedRecipient]:
    """The recipients a bounce reports, from its delivery-status part, else the bounce library."""
    return from_delivery_status(message) or from_bounce_library(message)


def list_refusal(text: str, subject: str) -> str | None:
    """The words of a mailing list refusing our message, if that is what this is."""
    both = f"{subject}\n{text}"
    match = _LIST_REFUSAL.search(both)
    return match.group(0) if match and _LIST_CONTEXT.search(both) else None
