"""The store writes of requests that arrive at the same moment, in one transaction (a group commit).

SQLite lets one writer in at a time and each commit waits for the disk: 50 webhooks at once, one
transaction each, queued behind each other's commits (commits were 38% of a lead's acknowledgement).
On PostgreSQL each transaction costs the server its round trips and a flush of the log. Here
requests queue in arrival order, and all those waiting when the store is free are written together,
with one commit. If that transaction fails (a replayed request, a lead from the future),
it is rolled back whole and each request is written again on its own: every request gets the answer
it would have had alone, and nothing is kept twice or lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from agent.store.db import Store

T = TypeVar("T")
MOST = 64  # writes in one transaction


@dataclass
class Outcome(Generic[T]):
    value: T | None = None
    error: Exception | None = None


class GroupCommit:
    def __init__(self, store: Store, most: int = MOST) -> None:
        self.store, self.most = store, most
        self._waiting: list[tuple[Callable[[Session], Any], asyncio.Future[Any]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def write(self, work: Callable[[Session], T]) -> T:
        """`work` done in a transaction shared with the other writes waiting now; its value, or its error."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, future))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
            try:
                outcomes = await run_in_threadpool(self.commit, [work for work, _ in group])
            except asyncio.CancelledError:  # the server is stopping
                for _, future in group + self._waiting:
                    future.cancel()
                raise
            except Exception as exc:  # the thread pool itself failed: every request of the group hears it
                outcomes = [Outcome(error=exc)] * len(group)
            for (_, future), outcome in zip(group, outcomes, strict=True):
                if future.done():  # the request was cancelled (its client went away); its write stands
                    continue
                if outcome.error is not None:
                    future.set_exception(outcome.error)
                else:
                    future.set_result(outcome.value)

    def commit(self, works: list[Callable[[Session], Any]]) -> list[Outcome[Any]]:
        """Every work in one transaction; if any fails, each in its own."""
        if len(works) > 1:
            try:
                with self.store.transaction() as session:
                    return [Outcome(work(session)) for work in works]
            except Exception:  # one request's refusal is its own: each on its own, below
                pass
        outcomes: list[Outcome[Any]] = []
        for work in works:
            try:
                with self.store.transaction() as session:
                    outcomes.append(Outcome(work(session)))
            except Exception as exc:
                outcomes.append(Outcome(error=exc))
        return outcomes
