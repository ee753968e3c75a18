"""A real CalDAV server for the tests: Radicale on 127.0.0.1, started and stopped by the session.

Storage and configuration live in a temporary folder; users sign in with plain htpasswd
passwords. Each test gets a calendar collection of its own.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import free_port

START_SECONDS = 30.0


@dataclass(frozen=True)
class Radicale:
    url: str
    username: str
    password: str

    def new_calendar(self) -> str:
        """A fresh, empty calendar collection; its URL."""
        import caldav

        client = caldav.DAVClient(url=self.url, username=self.username, password=self.password, timeout=10)
        name = f"cal-{uuid.uuid4().hex[:10]}"
        calendar = client.principal().make_calendar(name=name, cal_id=name)
        return str(calendar.url)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    pytest.importorskip("radicale", reason="the CalDAV tests need the radicale package (pip install -e '.[dev]')")
    pytest.importorskip("caldav")
    root: Path = tmp_path_factory.mktemp("radicale")
    port = free_port()
    (root / "users").write_text("ae:secret-for-tests\n")
    (root / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {root / 'users'}\nhtpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {root / 'collections'}\n"
        "[rights]\ntype = owner_only\n[logging]\nlevel = warning\n"
    )
    log = (root / "radicale.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(root / "config")], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Radicale did not start: {(root / 'radicale.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield Radicale(f"http://127.0.0.1:{port}/", "ae", "secret-for-tests")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
