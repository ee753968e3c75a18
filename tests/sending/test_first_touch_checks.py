"""Before a cold email goes out, its address is checked again: bad syntax and throwaway addresses are
never written to, role mailboxes only when the campaign allows them, and (with the network allowed)
a domain that takes no mail is not written to. Counted in the outbox the transport wrote."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.rcode
import dns.resolver
import dns.rrset
import pytest
from sqlalchemy import select

from agent.sending.recipients import first_touch_problem, receives_mail
from agent.sending.sender import send_due
from agent.store.tables import EnrollmentState, Event, OutboxMessage, OutboxState
from agent.workspace import Workspace
from tests.helpers import EXAMPLES, IN_WINDOW, campaign_variant, run_demo
from tests.sending.test_sender import outbox

ACCOUNTS = ["reno-freight.example", "harvest-lane.example", "great-plains-cold.example"]
BAD = {"ops@@reno-freight.example": "invalid address", "pat@mailinator.com": "throwaway address"}
ROLE = "info@harvest-lane.example"


def _approve_with_addresses(ws: Workspace, tmp_path: Path, campaign: Path) -> dict[str, int]:
    """The demo's first emails approved, three of them readdressed (as a CRM sync or an old
    workspace could have them); the readdressed rows' ids by address."""
    run_demo(ws, tmp_path, ACCOUNTS, campaign)
    readdressed = {}
    with ws.store.transaction() as s:
        first = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.step_number == 1, OutboxMessage.channel == "email")
            .order_by(OutboxMessage.id)
        ).all()
        for row in first:
            row.state = OutboxState.approved
        for row, address in zip(first, [*BAD, ROLE], strict=False):
            row.to_address = address
            readdressed[address] = row.id
    return readdressed


def test_bad_throwaway_and_role_addresses_are_blocked_before_the_first_email(ws: Workspace, tmp_path: Path) -> None:
    ids = _approve_with_addresses(ws, tmp_path, EXAMPLES / "campaign.yaml")
    summary = send_due(ws, now=IN_WINDOW)
    written = {m["To"].addresses[0].addr_spec for m in outbox(ws)}
    assert summary.sent and not written & {*BAD, ROLE}
    with ws.store.transaction() as s:
        for address, row_id in ids.items():
            row = s.get_one(OutboxMessage, row_id)
            assert row.state == OutboxState.blocked and row.error
            why = s.scalar(select(Event.data).where(Event.kind == "send_blocked", Event.outbox_id == row_id))
            assert why is not None and why["why"].startswith(BAD.get(address, "role mailbox"))
            assert row.enrollment is not None and row.enrollment.state == EnrollmentState.stopped
            assert {step.state for step in row.enrollment.steps} == {OutboxState.blocked, OutboxState.cancelled}
    assert send_due(ws, now=IN_WINDOW).sent == []  # blocked for good: a second round sends none of them


def test_a_campaign_that_allows_role_mailboxes_writes_to_them(ws: Workspace, tmp_path: Path) -> None:
    campaign = campaign_variant(tmp_path, ("  days: [mon, tue", "  send_to_role_addresses: true\n  days: [mon, tue"))
    ids = _approve_with_addresses(ws, tmp_path, campaign)
    summary = send_due(ws, now=IN_WINDOW)
    assert ids[ROLE] in summary.sent
    assert ROLE in {m["To"].addresses[0].addr_spec for m in outbox(ws)}


@pytest.fixture
def dns_server() -> Iterator[dns.resolver.Resolver]:
    """A DNS server on 127.0.0.1: `mail.example` has an MX record, `nomail.example` exists with
    nothing to receive mail, every other name does not exist."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            answer = dns.message.make_response(query)
            name = str(query.question[0].name).rstrip(".")
            kind = dns.rdatatype.to_text(query.question[0].rdtype)
            if name == "mail.example" and kind == "MX":
                answer.answer.append(dns.rrset.from_text(name + ".", 300, "IN", "MX", "10 mx.mail.example."))
            elif name == "nomail.example" and kind == "TXT":
                answer.answer.append(dns.rrset.from_text(name + ".", 300, "IN", "TXT", '"hello"'))
            elif name not in ("mail.example", "nomail.example"):
                answer.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(answer.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = sock.getsockname()[1]
    resolver.lifetime = 2
    yield resolver
    stop.set()
    thread.join()
    sock.close()


def test_a_domain_that_takes_no_mail_is_not_written_to(dns_server: dns.resolver.Resolver) -> None:
    def problem(address: str) -> str | None:
        return first_touch_problem(address, send_to_role_addresses=False, lookup_mx=True, resolver=dns_server)

    assert problem("pat@mail.example") is None
    assert problem("pat@nomail.example") == "its domain takes no mail (no MX, A or AAAA record)"
    assert problem("pat@gone.example") == "its domain takes no mail (no MX, A or AAAA record)"
    # Without the network nothing is looked up, and a DNS that cannot answer never blocks a send.
    assert first_touch_problem("pat@gone.example", send_to_role_addresses=False, lookup_mx=False) is None
    silent = dns.resolver.Resolver(configure=False)
    silent.nameservers, silent.port, silent.lifetime = ["127.0.0.1"], 9, 0.5
    assert receives_mail("quiet.example", silent)
