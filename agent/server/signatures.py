"""Signed webhooks, in two formats under one secret (`SDR_INBOUND_SECRET`):

- ours: `X-SDR-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>` (the shape
  Stripe and others use);
- Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`), the
  format many senders speak, checked by the `standardwebhooks` library. A secret written
  `whsec_<base64>` is that format's key; any other secret is used as written.

A signature older (or newer) than the allowed age is refused. What makes a request unique (our
signature, or the sender's webhook-id) is returned as its `key`: the store keeps keys, so a
replayed request is refused by every process, also after a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from agent import clock

HEADER = "X-SDR-Signature"
_FORMAT = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")
STANDARD = ("webhook-id", "webhook-timestamp", "webhook-signature")


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    """Our header's value for this body (what a sender computes)."""
    at = int(clock.now().timestamp()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def standard_key(secret: str) -> Webhook:
    return Webhook(secret if secret.startswith("whsec_") else secret.encode())


def sign_standard(secret: str, webhook_id: str, body: bytes, at: int | None = None) -> dict[str, str]:
    """Standard Webhooks headers for this body (what a sender computes)."""
    at = int(clock.now().timestamp()) if at is None else at
    signature = standard_key(secret).sign(webhook_id, datetime.fromtimestamp(at, UTC), body)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(at), "webhook-signature": signature}


@dataclass(frozen=True)
class Verified:
    key: str  # what the store keeps to refuse a replay
    retry_means_same: bool  # Standard Webhooks: the same id again is the sender retrying one event


class Verifier:
    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self._secret = secret.encode()
        self._standard = standard_key(secret)
        self._max_age = max_age_seconds

    def refuse_early(self, headers: dict[str, str], now: float | None = None) -> str | None:
        """Why the request is refused on its headers alone (no signature, a malformed or stale one),
        so that none of its body is read; None: the body's signature decides."""
        now = clock.now().timestamp() if now is None else now
        if all(h in headers for h in STANDARD):
            webhook_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
            if not stamp.isdigit() or not 0 < len(webhook_id) <= 200:
                return "malformed Standard Webhooks headers"
            at = int(stamp)
        else:
            match = _FORMAT.match((headers.get(HEADER.lower()) or "").strip())
            if match is None:
                return f"missing or malformed {HEADER} (or Standard Webhooks) headers"
            at = int(match[1])
        if abs(now - at) > self._max_age:
            return "stale signature: the timestamp is outside the allowed age"
        return None

    def check(self, headers: dict[str, str], body: bytes, now: float | None = None) -> Verified | str:
        """The request's key when it is genuine and fresh, else why it is refused."""
        now = clock.now().timestamp() if now is None else now
        if (refused := self.refuse_early(headers, now)) is not None:
            return refused
        if all(h in headers for h in STANDARD):
            return self._check_standard(headers, body)
        match = _FORMAT.match((headers.get(HEADER.lower()) or "").strip())
        assert match is not None  # refuse_early said so
        at, given = int(match[1]), match[2]
        expected = hmac.new(self._secret, f"{at}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            return "bad signature"
        return Verified(key=f"sig:{given}", retry_means_same=False)

    def _check_standard(self, headers: dict[str, str], body: bytes) -> Verified | str:
        webhook_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
        expected = self._standard.sign(webhook_id, datetime.fromtimestamp(int(stamp), UTC), body).encode()
        if not any(hmac.compare_digest(expected, s.encode()) for s in headers["webhook-signature"].split()):
            return "bad signature"
        return Verified(key=f"id:{webhook_id}", retry_means_same=True)
