"""An IMAP mailbox that replies arrive in, read with imap-tools (Apache-2.0).

Over SSL (993), STARTTLS (143), or in plain text to a loopback address only (a local bridge, the
tests). The login is an app password from the settings (`SDR_IMAP_*`), never logged nor printed.
Messages are fetched with BODY.PEEK: reading a reply does not mark it read for the people who
share the mailbox. Nothing is ever deleted: handled mail is filed into a folder if asked, with
MOVE where the server has it, else only copied there (a COPY then EXPUNGE would also purge any
message a person had flagged deleted).
"""

from __future__ import annotations

import imaplib
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

from imap_tools import A, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from agent.errors import ConfigError
from agent.settings import Settings
from tools.mail import TransportUnavailable

DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "plain": 143}
# What a dropped or refused connection raises: worth another try after a pause.
CONNECTION_ERRORS = (OSError, imaplib.IMAP4.abort, EOFError)


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str
    file_into: str | None
    timeout: float

    def __repr__(self) -> str:  # the password stays out of every log line and traceback
        return f"ImapAccount({self.name!r}, {self.security})"

    @property
    def name(self) -> str:
        return f"{self.username}@{self.host}/{self.folder}"

    @classmethod
    def from_settings(cls, settings: Settings) -> ImapAccount:
        missing = [
            f"SDR_IMAP_{name.upper()}"
            for name, value in (
                ("host", settings.imap_host),
                ("username", settings.imap_username),
                ("password", settings.imap_password),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"reading replies from a mailbox needs {', '.join(missing)}")
        host = str(settings.imap_host)
        if settings.imap_security == "plain" and not _loopback(host):
            raise ConfigError(
                f"SDR_IMAP_SECURITY=plain sends the password in clear: only to a loopback host, not {host}"
            )
        assert settings.imap_password is not None
        return cls(
            host=host,
            port=settings.imap_port or DEFAULT_PORTS[settings.imap_security],
            security=settings.imap_security,
            username=str(settings.imap_username),
            password=settings.imap_password.get_secret_value(),
            folder=settings.imap_folder,
            file_into=settings.imap_file_into,
            timeout=settings.imap_timeout_seconds,
        )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes


class ImapInbox:
    """One logged-in session on the account's folder: `with ImapInbox(account) as inbox: ...`."""

    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self._box: BaseMailBox | None = None

    def __enter__(self) -> ImapInbox:
        account = self.account
        try:
            if account.security == "ssl":
                box: BaseMailBox = MailBox(
                    account.host, account.port, timeout=account.timeout, ssl_context=ssl.create_default_context()
                )
            elif account.security == "starttls":
                box = MailBoxStartTls(
                    account.host, account.port, timeout=account.timeout, ssl_context=ssl.create_default_context()
                )
            else:
                box = MailBoxUnencrypted(account.host, account.port, timeout=account.timeout)
        except CONNECTION_ERRORS as exc:
            raise TransportUnavailable(
                f"the IMAP server {account.host}:{account.port} cannot be reached: {exc}"
            ) from exc
        try:
            box.login(account.username, account.password, initial_folder=account.folder)
        except MailboxLoginError as exc:
            box.client.shutdown()
            raise ConfigError(
                f"the IMAP server {account.host} refused the login of {account.username}: check SDR_IMAP_USERNAME "
                "and SDR_IMAP_PASSWORD (an app password, where the provider asks for one)"
            ) from exc
        except UnexpectedCommandStatusError as exc:  # the folder to read does not exist
            box.logout()
            raise ConfigError(f"SDR_IMAP_FOLDER={account.folder!r}: no such folder on {account.host}") from exc
        self._box = box
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        box, self._box = self._box, None
        if box is None:
            return
        try:
            box.logout()
        except (*CONNECTION_ERRORS, imaplib.IMAP4.error):  # already gone: nothing to close
            box.client.shutdown()

    @property
    def box(self) -> BaseMailBox:
        if self._box is None:
            raise RuntimeError("use ImapInbox as a context manager")
        return self._box

    def uidvalidity(self) -> int:
        return int(self.box.folder.status(self.account.folder, ["UIDVALIDITY"])["UIDVALIDITY"])

    def messages_after(self, uid: int) -> Iterator[Fetched]:
        """Every message whose UID is above `uid`, oldest first, unread flags left as they were."""
        for message in self.box.fetch(A(uid=f"{uid + 1}:*"), mark_seen=False, bulk=False):
            # "n:*" always answers with the newest message, even when its UID is below n.
            if message.uid and int(message.uid) > uid:
                yield Fetched(int(message.uid), message.obj.as_bytes())

    def file(self, uids: list[int], folder: str) -> None:
        """Move (or, without MOVE, copy) the messages into `folder`, creating it if needed."""
        if not uids:
            return
        if not self.box.folder.exists(folder):
            self.box.folder.create(folder)
        listed = ",".join(str(u) for u in uids)
        _, capabilities = self.box.client.capability()
        if b"MOVE" in b" ".join(c for c in capabilities if isinstance(c, bytes)).split():
            self.box.move(listed, folder)
        else:
            self.box.copy(listed, folder)
