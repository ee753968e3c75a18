"""What a transport is: deliver one message, and say afterwards whether it was delivered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from tools.errors import ToolError


@dataclass(frozen=True)
class Outgoing:
    message_id: str  # "<...@domain>", unique per draft
    channel: str  # email, linkedin, call
    mailbox: str
    to: str
    subject: str | None
    text: str
    email: EmailMessage | None = None  # the RFC 5322 message, for the email channel


class DeliveryError(ToolError):
    """A mail or task transport refused a message."""


class TransportUnavailable(DeliveryError):
    """The transport could not be reached (connection, TLS, sign-in): nothing was handed over, so
    the message can be tried again later as it is, and so can every other one."""


class UncertainDelivery(DeliveryError):
    """The connection broke after the message was handed over: it may have been delivered."""


class MailSettings(Protocol):
    """What the transports read from the caller's settings."""

    @property
    def mail_transport(self) -> str: ...
    @property
    def outbox_dir(self) -> Path: ...
    @property
    def smtp_host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def smtp_username(self) -> str | None: ...
    @property
    def smtp_password(self) -> SecretStr | None: ...
    @property
    def smtp_starttls(self) -> bool: ...
    @property
    def smtp_timeout_seconds(self) -> float: ...


class Transport(Protocol):
    name: str

    def deliver(self, message: Outgoing) -> None:
        """Hand the message over; raise DeliveryError if it was refused."""

    def confirm(self, message_id: str) -> bool | None:
        """After a crash: True delivered, False certainly not delivered, None cannot tell."""


TransportFactory = Callable[[MailSettings], Transport]
_TRANSPORTS: dict[str, TransportFactory] = {}


def transport(name: str) -> Callable[[TransportFactory], TransportFactory]:
    def register(factory: TransportFactory) -> TransportFactory:
        _TRANSPORTS[name] = factory
        return factory

    return register


def registered() -> dict[str, TransportFactory]:
    return dict(_TRANSPORTS)
