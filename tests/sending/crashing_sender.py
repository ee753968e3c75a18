"""`sdr send` in a process of its own, that can be told to die by SIGKILL just before or just after
the transport accepts a message of a chosen origin: the two places where a crash leaves a claim
behind.

The processes are forked from a server that has already imported the agent (multiprocessing's
forkserver), so a test can start many in the time one interpreter takes to start; each runs the
real command line (`agent.cli.app.main` with `sdr send`) in its own process, with the environment
the test gives it (workspace, store, mail settings, `SDR_CLOCK`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from functools import cached_property
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

import tools.mail
from agent import clock
from agent.cli.app import main
from agent.settings import Settings
from agent.store import Store, open_store
from agent.store.tables import OutboxMessage
from tools.mail import Outgoing, Transport

When = Literal["before", "after"]
Crash = frozenset[tuple[str, When]]  # (origin, when): die at the first message of one of these origins


class Crashing:
    """A transport that kills its process around the delivery of the first message of an origin it
    was told to die on: before the transport takes it if told so, else just after."""

    def __init__(self, inner: Transport, settings: Settings, crash: Crash) -> None:
        self.inner, self.name = inner, inner.name
        self.settings, self.crash = settings, crash

    @cached_property
    def store(self) -> Store:
        return open_store(self.settings.db_url)

    def _origin_of(self, message_id: str) -> str | None:
        with self.store.transaction() as session:
            return session.scalar(select(OutboxMessage.origin).where(OutboxMessage.message_id == message_id))

    def deliver(self, message: Outgoing) -> None:
        origin = self._origin_of(message.message_id) or ""
        if (origin, "before") in self.crash:
            os.kill(os.getpid(), signal.SIGKILL)
        self.inner.deliver(message)
        if (origin, "after") in self.crash:
            os.kill(os.getpid(), signal.SIGKILL)

    def confirm(self, message_id: str) -> bool | None:
        return self.inner.confirm(message_id)


def run(env: dict[str, str], args: tuple[str, ...], crash: Crash, barrier: Any) -> None:
    """The child's work: `sdr ARGS` in `env`, crashing as told; waits at `barrier` first if given.
    What it prints goes to `sdr.log` beside the workspace."""
    os.environ.update(env)
    os.chdir(Path(env["SDR_WORKSPACE"]).parent)  # no stray .env from wherever the fork server started
    log = os.open("sdr.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    clock.use(clock.clock_from_setting(env[clock.SETTING]))
    if crash:
        build: Callable[[Settings], dict[str, Transport]] = tools.mail.build_transports
        tools.mail.build_transports = lambda settings: {
            channel: Crashing(transport, settings, crash) for channel, transport in build(settings).items()
        }
    if barrier is not None:
        barrier.wait(timeout=60)
    sys.argv = ["sdr", *args]
    main()


# What `sdr send` and `sdr send resolve` import when they run: imported once, by the fork server.
PRELOAD = [
    "agent.cli.app",
    "agent.replies.handling",
    "agent.sending.sender",
    "agent.workspace",
    "tools.mail",
    "alembic.command",
]
_CONTEXT: list[ForkServerContext] = []


def context() -> ForkServerContext:
    """The fork server, started once per test session with the agent imported."""
    if not _CONTEXT:
        # Python 3.11's fork server starts with its own sys.path, not the parent's: this project's
        # root goes on PYTHONPATH so that `tests` is ours (an installed package may ship a `tests`).
        root = str(Path(__file__).resolve().parents[2])
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([*PRELOAD, __name__])
        _CONTEXT.append(ctx)
    return _CONTEXT[0]


def sdr(env: dict[str, str], *args: str, crash: Crash = frozenset(), timeout: float = 120) -> int | None:
    """One `sdr` process (`sdr send` unless told otherwise), to its end; its exit code (-9: killed)."""
    process = context().Process(target=run, args=(env, args or ("send",), crash, None))
    process.start()
    process.join(timeout)
    return process.exitcode


def send_at_once(env: dict[str, str], count: int, timeout: float = 180) -> list[int | None]:
    """`count` `sdr send` processes started together on one workspace; their exit codes."""
    ctx = context()
    barrier = ctx.Barrier(count)
    processes = [ctx.Process(target=run, args=(env, ("send",), frozenset(), barrier)) for _ in range(count)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout)
    return [p.exitcode for p in processes]
