"""What every email must carry by law and by the bulk-sender rules, in one place.

CAN-SPAM: the sender's postal address and a working opt-out. Gmail/Yahoo (2024): one-click
unsubscribe by RFC 8058. GDPR: say where the address came from and how to object. The
unsubscribe link carries a signed token so the one-click endpoint can trust it without a
lookup table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import urlencode

from agent.campaign import Sender

ONE_ADDRESS = re.compile(r"[^@\s|]+@[^@\s|]+\.[^@\s|]+")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsubscribe_token(email: str, campaign: str, secret: str) -> str:
    payload = f"{email.lower()}|{campaign}".encode()
    signature = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(signature)}"


def read_unsubscribe_token(token: str, secret: str) -> tuple[str, str] | None:
    """(email, campaign) when the token is genuine, else None."""
    try:
        payload_b64, signature_b64 = token.split(".", 1)
        payload = base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4))
        signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    except (ValueError, TypeError):
        return None
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(signature, expected):
        return None
    email, _, campaign = payload.decode(errors="replace").partition("|")
    if not ONE_ADDRESS.fullmatch(email):  # a token names one address: never a domain, never anything else
        return None
    return email, campaign


def unsubscribe_url(sender: Sender, email: str, campaign: str, secret: str) -> str:
    separator = "&" if "?" in sender.unsubscribe_url else "?"
    return sender.unsubscribe_url + separator + urlencode({"t": unsubscribe_token(email, campaign, secret)})


def footer(sender: Sender, link: str) -> str:
    signature = ", ".join(p for p in (sender.name, sender.title, sender.company) if p)
    return (
        f"--\n{signature}\n{sender.postal_address}\n"
        f"You are receiving this one-to-one business email from {sender.company} because your role "
        f'matches the teams we work with. To stop hearing from us, reply "unsubscribe" or visit {link}'
    )


def compose_body(body: str, sender: Sender, link: str) -> str:
    return f"{body.rstrip()}\n\n{footer(sender, link)}\n"
