"""SMTP with STARTTLS and authentication, for real sending."""

from __future__ import annotations

import smtplib
import ssl

from tools.mail.base import DeliveryError, MailSettings, Outgoing, TransportUnavailable, UncertainDelivery, transport


class SmtpTransport:
    name = "smtp"

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def deliver(self, message: Outgoing) -> None:
        if message.email is None:
            raise DeliveryError(f"{message.message_id}: SMTP carries email only")
        s = self.settings
        where = f"SMTP server {s.smtp_host}:{s.smtp_port}"
        try:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportUnavailable(f"{where}: cannot connect: {type(exc).__name__}: {exc}") from exc
        with client:
            try:
                if s.smtp_starttls:
                    client.starttls(context=ssl.create_default_context())
                if s.smtp_username:
                    password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                    client.login(s.smtp_username, password)
            except (smtplib.SMTPException, OSError) as exc:
                raise TransportUnavailable(f"{where}: {type(exc).__name__}: {exc}") from exc
            try:
                refused = client.send_message(message.email)
            except (smtplib.SMTPServerDisconnected, TimeoutError) as exc:
                raise UncertainDelivery(f"{message.message_id}: connection lost while sending: {exc}") from exc
            except (smtplib.SMTPException, OSError) as exc:
                raise DeliveryError(f"{message.message_id}: {type(exc).__name__}: {exc}") from exc
        if refused:
            raise DeliveryError(f"{message.message_id}: recipients refused: {refused}")

    def confirm(self, _message_id: str) -> bool | None:
        return None  # an SMTP server cannot be asked what it accepted


@transport("smtp")
def smtp(settings: MailSettings) -> SmtpTransport:
    return SmtpTransport(settings)
