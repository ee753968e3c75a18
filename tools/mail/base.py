"""What a transport is: deliver one message, and say afterwards whether it was delivered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from agent.settings import Settings


@dataclass(frozen=True)
class Outgoing:
    message_id: str  # "<...@domain>", unique per draft
    channel: str  # email, linkedin, call
    mailbox: str
    to: str
    subject: str | None
    text: str
    email: EmailMessage | None = None  # the RFC 5322 message, for the email channel


class Transport(Protocol):
    name: str

    def deliver(self, message: Outgoing) -> None:
        """Hand the message over; raise DeliveryError if it was refused."""

    def confirm(self, message_id: str) -> bool | None:
        """After a crash: True delivered, False certainly not delivered, None cannot tell."""


TransportFactory = Callable[[Settings], Transport]
_TRANSPORTS: dict[str, TransportFactory] = {}


def transport(name: str) -> Callable[[TransportFactory], TransportFactory]:
    def register(factory: TransportFactory) -> TransportFactory:
        _TRANSPORTS[name] = factory
        return factory

    return register


def registered() -> dict[str, TransportFactory]:
    return dict(_TRANSPORTS)
