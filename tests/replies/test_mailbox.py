"""Replies from a real IMAP server (pymap, started on 127.0.0.1 by the tests): new mail handled once,
a restart handles nothing twice, a dropped connection is tried again with growing pauses, a
refused login is one clear line, and nothing is ever deleted."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from imap_tools import A, MailBoxUnencrypted
from sqlalchemy import func, select

from agent.replies.imap_inbox import ImapAccount
from agent.replies.mailbox_sync import Backoff, MailboxPass, fetch_once, watch
from agent.replies.tables import Reply
from tests.helpers import free_port
from tests.replies.conftest import email, model_reader

USER, PASSWORD = "replies@lumendock.example", "app-password-123"


@dataclass
class ImapServer:
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        pymap = Path(sys.executable).parent / "pymap"
        command = [str(pymap), "--host", "127.0.0.1", "--port", str(self.port), "--no-tls", "dict"]
        self.process = subprocess.Popen(
            [*command, "--demo-user", USER, "--demo-password", PASSWORD],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):  # up to 20 s on a busy machine
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.1):
                    return
            except OSError:
                threading.Event().wait(0.1)
        raise RuntimeError("pymap did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def box(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port).login(USER, PASSWORD)

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        with self.box() as box:
            for message in messages:
                box.append(message, folder)

    def uids(self, folder: str = "INBOX") -> list[tuple[int, bool]]:
        """(uid, seen) of every message in the folder."""
        with self.box() as box:
            box.folder.set(folder)
            return [(int(m.uid or 0), "\\Seen" in m.flags) for m in box.fetch(A(all=True), mark_seen=False)]


@pytest.fixture
def server() -> Iterator[ImapServer]:
    running = ImapServer(free_port())
    running.start()
    yield running
    running.stop()


def _account(server: ImapServer, **changes: object) -> ImapAccount:
    account = ImapAccount(
        host="127.0.0.1",
        port=server.port,
        security="plain",
        username=USER,
        password=PASSWORD,
        folder="INBOX",
        file_into=None,
        timeout=5,
    )
    return replace(account, **changes)  # type: ignore[arg-type]


def _mail(s, who: str, body: str, number: int, **headers: str) -> bytes:  # type: ignore[no-untyped-def]
    message = email(who, body, in_reply_to=s.sent.get(who), message_id=f"<m{number}@acme-freight.example>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return bytes(message)


def _replies(ws) -> int:  # type: ignore[no-untyped-def]
    with ws.store.transaction() as session:
        return int(session.scalar(select(func.count(Reply.id))) or 0)


DANA, SAM = "dana.ops@acme-freight.example", "sam.ops@acme-freight.example"


def test_new_mail_is_handled_once_and_a_restart_handles_nothing_twice(server, make_seeded):
    s = make_seeded(emails=[DANA, SAM])
    server.deliver(
        _mail(s, DANA, "Please take me off your list.", 1),
        _mail(s, SAM, "I am out of the office until Monday.", 2, Auto_Submitted="auto-replied"),
    )
    first = fetch_once(s.ws, _account(server), reader=model_reader(s.ws))
    assert (first.read, [h.intent for h in first.handled]) == (2, ["unsubscribe", "out_of_office"])
    assert fetch_once(s.ws, _account(server), reader=model_reader(s.ws)) == MailboxPass()  # a restart: nothing new
    server.deliver(_mail(s, SAM, "Remove me as well, thanks.", 3))
    third = fetch_once(s.ws, _account(server), reader=model_reader(s.ws))
    assert (third.read, len(third.handled)) == (1, 1)
    assert _replies(s.ws) == 3
    # Nothing deleted, nothing marked read behind the mailbox's people.
    assert [seen for _, seen in server.uids()] == [False, False, False]


def test_handled_mail_is_filed_into_a_folder_when_asked(server, make_seeded):
    s = make_seeded(emails=[DANA])
    server.deliver(_mail(s, DANA, "Unsubscribe.", 1))
    done = fetch_once(s.ws, _account(server, file_into="Handled"), reader=model_reader(s.ws))
    assert done.filed == 1
    assert len(server.uids("Handled")) == 1
    # Filing again files nothing twice.
    assert fetch_once(s.ws, _account(server, file_into="Handled"), reader=model_reader(s.ws)).filed == 0


def test_a_renumbered_mailbox_is_recognised_by_message_id(server, make_seeded):
    s = make_seeded(emails=[DANA])
    mail = _mail(s, DANA, "Unsubscribe.", 1)
    server.deliver(mail)
    assert len(fetch_once(s.ws, _account(server), reader=model_reader(s.ws)).handled) == 1
    server.stop()
    server.start()  # a new server: the folder has a new UIDVALIDITY and the same mail again
    server.deliver(mail)
    again = fetch_once(s.ws, _account(server), reader=model_reader(s.ws))
    assert (again.read, again.already_seen, again.handled) == (1, 1, [])
    assert _replies(s.ws) == 1


def test_a_dropped_connection_is_tried_again_with_growing_pauses(server, make_seeded):
    s = make_seeded(emails=[DANA, SAM])
    server.deliver(_mail(s, DANA, "Unsubscribe.", 1))
    passes: list[MailboxPass] = []
    pauses: list[float] = []
    stop = threading.Event()

    def on_retry(error: Exception, pause: float) -> None:
        pauses.append(pause)
        if len(pauses) == 3:
            server.start()
            server.deliver(_mail(s, SAM, "Please remove me.", 2))

    def on_pass(done: MailboxPass) -> None:
        passes.append(done)
        if len(passes) == 1:
            server.stop()  # the connection drops between passes
        elif any(p.handled and p.handled[0].contact == SAM for p in passes):
            stop.set()

    watcher = threading.Thread(
        target=watch,
        args=(s.ws, _account(server)),
        kwargs={
            "poll_seconds": 0.05,
            "stop": stop,
            "backoff": Backoff(first=0.05, most=0.15),
            "reader": model_reader(s.ws),
            "on_pass": on_pass,
            "on_retry": on_retry,
        },
    )
    watcher.start()
    watcher.join(timeout=60)
    stop.set()
    assert not watcher.is_alive()
    assert pauses[:4] == [0.05, 0.1, 0.15, 0.15][: len(pauses[:4])] and len(pauses) >= 3
    handled = [h.contact for p in passes for h in p.handled]
    assert handled == [DANA, SAM]


def test_a_refused_login_is_one_clear_line_and_no_secret(server, tmp_path):
    env = {
        **os.environ,
        "SDR_WORKSPACE": str(tmp_path / "ws"),
        "SDR_IMAP_HOST": "127.0.0.1",
        "SDR_IMAP_PORT": str(server.port),
        "SDR_IMAP_SECURITY": "plain",
        "SDR_IMAP_USERNAME": USER,
        "SDR_IMAP_PASSWORD": "wrong-secret-9",
        "COLUMNS": "200",
    }
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli.app", "replies", "fetch"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "refused the login" in lines[0] and "SDR_IMAP_PASSWORD" in lines[0]
    assert "wrong-secret-9" not in result.stderr + result.stdout


def test_plain_text_to_a_remote_host_is_refused(monkeypatch):
    from agent.errors import ConfigError
    from agent.settings import load_settings

    settings = load_settings(imap_host="imap.example.com", imap_security="plain", imap_username=USER)
    with pytest.raises(ConfigError, match="SDR_IMAP_PASSWORD"):
        ImapAccount.from_settings(settings)
    settings = load_settings(
        imap_host="imap.example.com", imap_security="plain", imap_username=USER, imap_password=PASSWORD
    )
    with pytest.raises(ConfigError, match="loopback"):
        ImapAccount.from_settings(settings)
    account = ImapAccount.from_settings(load_settings(imap_host="h", imap_username=USER, imap_password=PASSWORD))
    assert PASSWORD not in repr(account)
