"""Who is working on what: a claim names the process that took a piece of work (a message to send,
a lead to answer, a reply to handle), so that when that process dies its work is taken up again
at once, never while it is still at it.

On this machine a claim is checked against the process table (a pid is reused, so its start time
must match too); a claim from another machine holds for a lease, renewed while the work goes on.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from functools import cache

import psutil

LEASE = timedelta(seconds=30)  # a claim from another machine, unrenewed this long, is taken as dead


@cache
def claimant() -> str:
    """This process, as a claim names it: host, pid and the pid's start time."""
    me = psutil.Process(os.getpid())
    return f"{socket.gethostname()}:{me.pid}:{me.create_time():.2f}"


def claimant_gone(claimed_by: str | None, claimed_at: datetime | None, now: datetime) -> bool:
    """Whether the process behind a claim has stopped (a claim with no claimant: a previous release's)."""
    if not claimed_by:
        return True
    host, _, rest = claimed_by.partition(":")
    pid, _, started = rest.partition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            return f"{psutil.Process(int(pid)).create_time():.2f}" != started
        except psutil.NoSuchProcess:
            return True
    return claimed_at is None or claimed_at < now - LEASE
