"""A sender process that dies by SIGKILL at a chosen point of its Nth delivery.

`python -m tests.sending.crashing_sender before|after N` sends due drafts of the workspace in
SDR_WORKSPACE as of the test clock, and kills itself just before (or just after) handing over
its Nth message: the two places where a crash can leave a claim behind.
"""

from __future__ import annotations

import os
import signal
import sys

from agent.sending.sender import send_due
from agent.settings import load_settings
from agent.workspace import Workspace
from tests.helpers import IN_WINDOW
from tools.mail import Outgoing, Transport


class Crashing:
    def __init__(self, inner: Transport, when: str, nth: int) -> None:
        self.inner, self.when, self.nth, self.count = inner, when, nth, 0
        self.name = inner.name

    def deliver(self, message: Outgoing) -> None:
        self.count += 1
        if self.count == self.nth and self.when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        self.inner.deliver(message)
        if self.count == self.nth and self.when == "after":
            os.kill(os.getpid(), signal.SIGKILL)

    def confirm(self, message_id: str) -> bool | None:
        return self.inner.confirm(message_id)


def main() -> None:
    when, nth = sys.argv[1], int(sys.argv[2])
    ws = Workspace(load_settings())
    ws.transports.update({channel: Crashing(t, when, nth) for channel, t in ws.transports.items()})
    send_due(ws, now=IN_WINDOW)


if __name__ == "__main__":
    main()
