"""Mail and task transports: the embedded outbox by default, SMTP by setting."""

from agent.settings import Settings
from tools.mail import files, smtp  # noqa: F401  (registers the transports)
from tools.mail.base import Outgoing, Transport, registered, transport


def build_transports(settings: Settings) -> dict[str, Transport]:
    """Transport per channel: email by the mail setting; LinkedIn and calls become tasks."""
    factories = registered()
    tasks = factories["tasks"](settings)
    return {"email": factories[settings.mail_transport](settings), "linkedin": tasks, "call": tasks}


__all__ = ["Outgoing", "Transport", "build_transports", "transport"]
