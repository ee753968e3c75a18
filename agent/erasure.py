"""What is left of a person who asked to be forgotten: a keyed hash of their address.

The do-not-contact list keeps `erased:<HMAC-SHA256 of the address>` instead of the address, so an
erased person is recognised (never imported or written to again) while nothing in the store says
who they were. The key is `SDR_ERASURE_SECRET`: without it the hash is only a guess away from the
address for anyone holding a list of candidates. It must never change: a store remembers the
key's fingerprint with every erased entry, and refuses to check addresses with a different key
(or none) rather than write to someone it can no longer recognise.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from agent.errors import ConfigError
from agent.settings import Settings
from agent.store.tables import ERASED, ERASED_PREFIX, Suppression

PREFIX = ERASED_PREFIX
REASON = "erasure"
# An erased contact's row stays (other rows point at it) under an address that names no one.
PLACEHOLDER_DOMAIN = "erased.invalid"
# The key travels with the store's sessions (Session.info), so every suppression check can use it.
SESSION_KEY = "erasure_key"
_WEAK = frozenset({"change-me", "changeme", "secret", "password"})
_FINGERPRINT_SOURCE = "erasure key "
_CHECKED = "erasure_key_checked"
ANY_ERASED = select(  # two seeks in the erased entries' index, where ERASED alone would read the whole list
    or_(
        select(Suppression.id).where(ERASED, Suppression.source.is_(None)).exists(),
        select(Suppression.id).where(ERASED, Suppression.source.is_not(None)).exists(),
    )
)
# An erased entry made with another key, or none: three seeks, where `source != :expected` reads them all.
ERASED_OTHERWISE = select(
    or_(
        select(Suppression.id).where(ERASED, Suppression.source.is_(None)).exists(),
        select(Suppression.id).where(ERASED, Suppression.source < bindparam("expected")).exists(),
        select(Suppression.id).where(ERASED, Suppression.source > bindparam("expected")).exists(),
    )
)


def placeholder_address(contact_id: int) -> str:
    return f"erased-{contact_id}@{PLACEHOLDER_DOMAIN}"


def erasure_key(settings: Settings, *, required: bool = False) -> bytes | None:
    """`SDR_ERASURE_SECRET` as a key; with `required`, a missing or guessable one is refused."""
    secret = settings.erasure_secret.get_secret_value() if settings.erasure_secret else ""
    if required and (not secret or secret.lower() in _WEAK or len(secret) < 16):
        raise ConfigError(
            "SDR_ERASURE_SECRET must be set to a random secret of 16 characters or more (e.g. the output of "
            "`openssl rand -hex 32`), kept safe and never changed: erased addresses are remembered by it"
        )
    return secret.encode() if secret else None


def erased_value(key: bytes, address: str) -> str:
    """The do-not-contact entry that stands for an erased address."""
    return PREFIX + hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()


def fingerprint_source(key: bytes) -> str:
    """What an erased entry records about the key that made it: enough to tell a changed key."""
    return _FINGERPRINT_SOURCE + hmac.new(key, b"sdr erasure key check", hashlib.sha256).hexdigest()[:16]


def session_key(session: Session) -> bytes | None:
    """The key in use for this session, after making sure it can recognise every erased entry: none
    was made with another key, or without one (`ANY_ERASED`, `ERASED_OTHERWISE`: seeks in the erased
    entries' own index, however many people were erased)."""
    key: bytes | None = session.info.get(SESSION_KEY)
    expected = fingerprint_source(key) if key else None
    if _CHECKED not in session.info or session.info[_CHECKED] != expected:
        if key is None:
            if session.scalar(ANY_ERASED):
                raise ConfigError(
                    "erased people are on the do-not-contact list, but SDR_ERASURE_SECRET is not set: "
                    "set it to the secret they were erased with"
                )
        else:
            if session.scalar(ERASED_OTHERWISE, {"expected": expected}):
                raise ConfigError(
                    "SDR_ERASURE_SECRET is not the secret people were erased with, so they could not be "
                    "recognised: set the original secret"
                )
        session.info[_CHECKED] = expected
    return key
