"""Property: whatever order people and senders act in, over messages of every origin, nothing goes
to a suppressed address, nothing unapproved goes out, and nothing goes out twice.

Random interleavings of approve, reject, suppress, a sender dying just before or just after the
transport took a message (its claim left in `sending` under a process that no longer exists), a
restart that settles such claims, send rounds, and a person resolving uncertain deliveries from
what the transport received; on a transport that can say what it holds (the outbox folder) and on
one that cannot (like SMTP). Every delivery is counted where it happens, in the transport.
"""

from __future__ import annotations

import socket
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from agent import review
from agent.clock import as_utc
from agent.sending.sender import SendSummary, claim, plan, recover, resolve, send_due
from agent.states import OutboxState
from agent.store.tables import OutboxMessage, Review
from agent.suppression import is_suppressed, suppress
from agent.workspace import Workspace
from tests.conftest import SuiteClock
from tests.sending import world
from tools.mail import Outgoing, Transport

APPROVALS = ("approve", "auto_approve")
GONE = f"{socket.gethostname()}:999999999:0.00"  # a sender process that no longer exists


class Counting:
    """The workspace's transport, counting what it delivers and checking each delivery as it happens."""

    def __init__(self, inner: Transport, ws: Workspace, confirms: bool) -> None:
        self.inner, self.name, self.ws, self.confirms = inner, inner.name, ws, confirms
        self.delivered: Counter[str] = Counter()  # Message-ID -> deliveries

    def deliver(self, message: Outgoing) -> None:
        with self.ws.store.transaction() as session:
            row = session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message.message_id)).one()
            assert not is_suppressed(session, message.to), f"message {row.id} to suppressed {message.to}"
            actions = set(session.scalars(select(Review.action).where(Review.outbox_id == row.id)))
            assert actions & set(APPROVALS) and "reject" not in actions, f"message {row.id} unapproved: {actions}"
        self.inner.deliver(message)
        self.delivered[message.message_id] += 1
        assert self.delivered[message.message_id] == 1, f"message {row.id} delivered twice"

    def confirm(self, message_id: str) -> bool | None:
        return self.inner.confirm(message_id) if self.confirms else None


class Desk:
    """The world, the people and the senders acting on it."""

    def __init__(self, ws: Workspace, now: datetime, confirms: bool, about: list[int]) -> None:
        self.ws, self.now = ws, now
        transport = Counting(ws.transports["email"], ws, confirms)
        ws.transports.update({"email": transport, "linkedin": transport, "call": transport})
        self.transport = transport
        messages = [r.id for r in world.in_state(ws, OutboxState.pending_review)] + [r.id for r in world.due(ws)]
        self.rows = [messages[n % len(messages)] for n in about]
        self.earlier = {r.id for r in world.in_state(ws, OutboxState.sent)}  # sent before the story starts

    def _row(self, n: int) -> OutboxMessage:
        with self.ws.store.transaction() as session:
            row = session.get_one(OutboxMessage, self.rows[n % len(self.rows)])
            session.expunge(row)
            return row

    def approve(self, n: int) -> None:
        row = self._row(n)
        if row.state == OutboxState.pending_review:
            review.approve(self.ws, [row.id], "tester")

    def reject(self, n: int) -> None:
        row = self._row(n)
        if row.state in (OutboxState.pending_review, OutboxState.flagged, OutboxState.approved, OutboxState.failed):
            review.reject(self.ws, row.id, "other", "tester")

    def suppress(self, n: int) -> None:
        with self.ws.store.transaction() as session:
            suppress(session, self._row(n).to_address, "manual", source="test")

    def crash(self, n: int, after: bool) -> None:
        """A sender claims the message, if due, and dies before (or after) the transport took it."""
        row_id = self._row(n).id
        if row_id not in plan(self.ws, self.now, SendSummary()):
            return
        claimed = claim(self.ws, row_id, self.now)
        if isinstance(claimed, Outgoing):
            if after:
                self.transport.deliver(claimed)
            with self.ws.store.transaction() as session:
                session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(claimed_by=GONE))

    def restart(self) -> None:
        recover(self.ws, SendSummary(), self.now)

    def send(self) -> None:
        send_due(self.ws, now=self.now)

    def resolve(self) -> None:
        """A person reads the mail server's log and settles each uncertain delivery."""
        for row in world.in_state(self.ws, OutboxState.uncertain):
            resolve(self.ws, row.id, delivered=self.transport.delivered[row.message_id or ""] > 0, who="tester")

    def sent(self) -> set[str | None]:
        return {r.message_id for r in world.in_state(self.ws, OutboxState.sent) if r.id not in self.earlier}

    def check(self) -> None:
        """The store says sent only what the transport delivered; what it delivered is sent, or its
        sender's claim is not settled yet."""
        unsettled = world.in_state(self.ws, OutboxState.sending) + world.in_state(self.ws, OutboxState.uncertain)
        assert self.sent() <= set(self.transport.delivered)
        assert set(self.transport.delivered) <= self.sent() | {r.message_id for r in unsettled}


# Each story is about a few of the world's 13 messages, so that what happens to one meets what
# happened to it before (a crash, then a suppression of its address, then a restart).
MESSAGE = st.integers(0, 2)  # which of the story's messages
event = st.one_of(
    st.tuples(st.just("approve"), MESSAGE),
    st.tuples(st.just("reject"), MESSAGE),
    st.tuples(st.just("suppress"), MESSAGE),
    st.tuples(st.just("crash"), MESSAGE, st.booleans()),
    st.tuples(st.just("restart")),
    st.tuples(st.just("send")),
    st.tuples(st.just("resolve")),
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
# Stories always told, whatever else is drawn: a crash, then the address suppressed, then a restart
# (the claim must check the address again); a crash after delivery where the transport cannot say.
@example(about=[5], steps=[("crash", 0, False), ("suppress", 0), ("restart",)], confirms=True)
@example(about=[5], steps=[("crash", 0, False), ("suppress", 0), ("restart",)], confirms=False)
@example(about=[8, 12], steps=[("crash", 0, True), ("crash", 1, True), ("restart",), ("send",)], confirms=False)
@given(
    about=st.lists(st.integers(0, 12), min_size=1, max_size=3, unique=True),
    steps=st.lists(event, min_size=3, max_size=8),
    confirms=st.booleans(),
)
def test_no_message_to_a_suppressed_address_none_unapproved_none_twice(
    tmp_path_factory: pytest.TempPathFactory,
    suite_clock: SuiteClock,
    about: list[int],
    steps: list[tuple[Any, ...]],
    confirms: bool,
) -> None:
    ws = world.copy(tmp_path_factory.mktemp("example"), suite_clock, approve=False)
    desk = Desk(ws, as_utc(world.SEND_AT), confirms, about)
    for step in steps:
        getattr(desk, step[0])(*step[1:])
        desk.check()
    # the operator restarts, settles what is uncertain, and sends what is left: nothing stuck, nothing lost
    desk.restart()
    desk.resolve()
    desk.send()
    assert not world.in_state(ws, OutboxState.sending) and not world.in_state(ws, OutboxState.uncertain)
    assert not plan(ws, desk.now, SendSummary())
    assert set(desk.transport.delivered) == desk.sent()
    ws.store.engine.dispose()
