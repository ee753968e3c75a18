"""The embedded transports: `.eml` files in an outbox folder, and task files for people.

A file is written under a temporary name and renamed into place, so it exists whole or not
at all; its name is the message id, so `confirm` can tell after a crash whether it went out.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from tools.mail.base import MailSettings, Outgoing, transport


def _file_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>"))


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class FolderTransport:
    def __init__(self, name: str, folder: Path, suffix: str) -> None:
        self.name, self.folder, self.suffix = name, folder, suffix

    def path_for(self, message_id: str) -> Path:
        return self.folder / f"{_file_name(message_id)}{self.suffix}"

    def render(self, message: Outgoing) -> bytes:
        if message.email is not None:
            return bytes(message.email)
        header = f"# {message.channel} task for {message.to}\n"
        subject = f"Subject: {message.subject}\n" if message.subject else ""
        return f"{header}{subject}Message-ID: {message.message_id}\n\n{message.text}\n".encode()

    def deliver(self, message: Outgoing) -> None:
        _atomic_write(self.path_for(message.message_id), self.render(message))

    def confirm(self, message_id: str) -> bool | None:
        return self.path_for(message_id).exists()


@transport("outbox")
def outbox(settings: MailSettings) -> FolderTransport:
    return FolderTransport("outbox", settings.outbox_dir, ".eml")


@transport("tasks")
def tasks(settings: MailSettings) -> FolderTransport:
    """LinkedIn messages and calls are done by a person: each becomes a task file to work from."""
    return FolderTransport("tasks", settings.outbox_dir / "tasks", ".md")
