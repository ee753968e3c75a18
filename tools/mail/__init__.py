"""Mail and task transports: the embedded outbox by default, SMTP by setting."""

from tools.mail import files, smtp  # noqa: F401  (registers the transports)
from tools.mail.base import (
    DeliveryError,
    MailSettings,
    Outgoing,
    Transport,
    TransportUnavailable,
    UncertainDelivery,
    registered,
    transport,
)


def build_transports(settings: MailSettings) -> dict[str, Transport]:
    """Transport per channel: email by the mail setting; LinkedIn and calls become tasks."""
    factories = registered()
    tasks = factories["tasks"](settings)
    return {"email": factories[settings.mail_transport](settings), "linkedin": tasks, "call": tasks}


__all__ = [
    "DeliveryError",
    "MailSettings",
    "Outgoing",
    "Transport",
    "TransportUnavailable",
    "UncertainDelivery",
    "build_transports",
    "transport",
]
