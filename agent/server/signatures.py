"""Signed webhooks: an HMAC-SHA256 of the timestamp and the body, under a secret both sides hold.

The header is `X-SDR-Signature: t=<unix seconds>,v1=<hex digest of "<t>." + body>` (the shape
Stripe and others use, so senders have code for it). A signature older than the allowed age is
refused, which stops replays of captured requests; a signature seen before within that age is
refused too, which stops a replay inside the window.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading

from agent import clock

HEADER = "X-SDR-Signature"
_FORMAT = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    """The header value for this body (what a sender computes)."""
    at = int(clock.now().timestamp()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


class Verifier:
    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self._secret = secret.encode()
        self._max_age = max_age_seconds
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def check(self, header: str | None, body: bytes, now: float | None = None) -> str | None:
        """None when the request is genuine and fresh, else why it is refused."""
        match = _FORMAT.match((header or "").strip())
        if match is None:
            return f"missing or malformed {HEADER} header"
        at, given = int(match[1]), match[2]
        now = clock.now().timestamp() if now is None else now
        if abs(now - at) > self._max_age:
            return "stale signature: the timestamp is outside the allowed age"
        expected = hmac.new(self._secret, f"{at}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            return "bad signature"
        with self._lock:
            self._seen = {d: t for d, t in self._seen.items() if now - t <= self._max_age}
            if given in self._seen:
                return "replayed request: this signature was used before"
            self._seen[given] = at
        return None
