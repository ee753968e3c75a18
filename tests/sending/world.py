"""A workspace with approved messages of every origin waiting for `sdr send`, built through the
capabilities themselves: sequence steps drafted by `run_campaign`, answers to replies and meeting
emails by reply handling, inbound answers and notes to the team by the inbound desk.

The mail server is down while the world is built (a closed port on 127.0.0.1), so what the desk's
stated policies send at once is deferred by the one send path: it waits, approved, like the rest.
A person approves what awaits review. Nothing has been delivered when `build` returns.
"""

from __future__ import annotations

import email
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import select

from agent import review
from agent.accounts.importer import import_file
from agent.campaign import load_campaign
from agent.inbound.answer import answer_lead
from agent.inbound.lead import InboundLead
from agent.llm import ModelHandle, provider
from agent.meetings.admin import seed_calendars
from agent.pipeline import run_campaign
from agent.replies.classify import ReplyReader
from agent.replies.extract import ALL_FIELDS
from agent.settings import Settings, load_settings
from agent.states import Origin, OutboxState
from agent.store.tables import OutboxMessage
from agent.workspace import Workspace
from tests.conftest import EXAMPLES, SuiteClock, function_model
from tests.helpers import DEMO_DAY, IN_WINDOW, UNSUBSCRIBE_SECRET, Mailbox, free_port
from tests.replies.conftest import receive as receive_reply
from tests.replies.conftest import seed

CAMPAIGN = "q4-dock-ops"
SENDER = load_campaign(EXAMPLES / "campaign.yaml").sender
OURS = SENDER.email.rsplit("@", 1)[1]  # the AEs and the inbound team share the sending domain
STEPPED = ["reno-freight.example", "harvest-lane.example"]
REPLYING = ["dana.ops@acme-freight.example", "lee.ops@acme-freight.example", "ravi.ops@acme-freight.example"]
# Tuesday 24 November 2026, 09:05 in Chicago: the day the demo AEs' calendars describe.
LEADS_ARRIVE = datetime(2026, 11, 24, 15, 5, tzinfo=UTC)
SEND_AT = IN_WINDOW.replace(tzinfo=UTC)  # inside every US sending window: sequence steps are due too
# Words in a message -> the intent the scripted model reads (else: interested).
READINGS = {
    "SAP EWM": "question",
    "Manhattan": "question",
    "pricing": "question",
    "student": "other",
    "Wednesday": "meeting_request",
}
NULLS = dict.fromkeys(f for f in ALL_FIELDS if f != "summary")


def _read(messages: list[Any]) -> dict[str, Any]:
    text = str(messages[-1].content)
    intent = next((i for words, i in READINGS.items() if words in text), "interested")
    return {"intent": intent, **NULLS, "summary": ""}


@provider("scripted")
def scripted_reader(_model: str, _settings: Settings) -> ModelHandle:
    """`SDR_MODEL=scripted:reader`: the same scripted reader, for commands run as an operator would."""
    return function_model(_read, writer=False)[0]


def open_workspace(folder: Path, **settings: Any) -> Workspace:
    """The workspace in `folder` (its `ws` subfolder), with the scripted reader and these settings."""
    handle, _ = function_model(_read, writer=False)
    defaults: dict[str, Any] = {
        "workspace": folder / "ws",
        "research_with_model": False,
        "sources_dir_setting": EXAMPLES / "sources",
    }
    return Workspace(load_settings(**{**defaults, **settings}), model=handle)


def reader(ws: Workspace) -> ReplyReader:
    return ReplyReader(classifier=None, llm=ws.llm, trust_model_intent=True)


def _lead(email_address: str, name: str, **fields: Any) -> InboundLead:
    data = {
        "name": name,
        "email": email_address,
        "company": "Reno Freight Systems",
        "title": "Director of Logistics",
        "source": "contact form",
        "received_at": LEADS_ARRIVE.isoformat(),
        "timezone": "America/Los_Angeles",
        **fields,
    }
    return InboundLead.model_validate({k: v for k, v in data.items() if v is not None}, strict=False)


def demo_files(folder: Path, domains: list[str]) -> list[Path]:
    """The demo's accounts and contacts files, cut to these accounts, written in `folder`."""
    paths = []
    for name in ("accounts.csv", "contacts.csv"):
        header, *lines = (EXAMPLES / name).read_text().splitlines()
        paths.append(folder / name)
        paths[-1].write_text("\n".join([header, *(line for line in lines if any(d in line for d in domains))]) + "\n")
    return paths


def build(folder: Path, clock: SuiteClock, *, approve: bool = True, **settings: Any) -> Workspace:
    """Every origin's messages, approved (by a policy, or by a person unless not `approve`) and
    waiting; the clock is left at `SEND_AT`."""
    ws = open_workspace(
        folder,
        mail_transport="smtp",
        smtp_port=free_port(),
        smtp_starttls=False,
        unsubscribe_secret=UNSUBSCRIBE_SECRET,
        **settings,
    )
    # sequence steps: the demo campaign for two accounts, drafted as of the suite's clock
    for path in demo_files(folder, STEPPED):
        import_file(ws.store, path)
    run_campaign(ws, EXAMPLES / "campaign.yaml", today=DEMO_DAY)
    spec = load_campaign(EXAMPLES / "campaign.yaml")
    assert spec.meetings is not None
    seed_calendars(ws, spec.meetings, EXAMPLES / "calendars")
    # answers to replies, and the meeting emails of a time a prospect named in theirs
    clock.set(LEADS_ARRIVE)
    seeded = seed(ws, REPLYING)
    receive_reply(seeded, REPLYING[0], "Do you integrate with SAP EWM?")
    receive_reply(seeded, REPLYING[1], "What does pricing look like for three sites?")
    receive_reply(seeded, REPLYING[2], "Wednesday 2 December at 2pm Central works for a call.")
    # inbound answers (an answer, a polite decline) and the team's notes about the fits
    for lead in (
        _lead("jordan.blake@reno-freight.example", "Jordan Blake", message="Do you integrate with SAP EWM?"),
        _lead(
            "kai.moss@harvest-lane.example",
            "Kai Moss",
            company="Harvest Lane Foods",
            message="Do you have a Manhattan connector?",
        ),
        _lead(
            "tom@state.example.edu",
            "Tom Reyes",
            company="State University",
            title=None,
            message="I'm a student writing my thesis on dock scheduling.",
        ),
    ):
        answer_lead(ws, lead, CAMPAIGN, now=lead.received_at, reader=reader(ws))
    clock.set(SEND_AT)
    if approve:
        approve_all(ws)
    return ws


def approve_all(ws: Workspace) -> None:
    """A person approves everything that awaits review (later sequence steps wait for their turn)."""
    waiting = review.list_items(ws, states=[OutboxState.pending_review])
    review.approve(ws, [v.id for v in waiting if v.origin != Origin.sequence_step or v.step_number == 1], "tester")


_TEMPLATE: dict[str, Path] = {}


def copy(folder: Path, clock: SuiteClock, *, approve: bool = True, **settings: Any) -> Workspace:
    """The world of `build` in `folder`, copied from one built once per test session (SQLite)."""
    if "ws" not in _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="world-", dir=folder.parent))
        build(template, clock, approve=False).store.engine.dispose()
        _TEMPLATE["ws"] = template / "ws"
    shutil.copytree(_TEMPLATE["ws"], folder / "ws")
    clock.set(SEND_AT)
    ws = open_workspace(folder, unsubscribe_secret=UNSUBSCRIBE_SECRET, **settings)
    if approve:
        approve_all(ws)
    return ws


def due(ws: Workspace) -> list[OutboxMessage]:
    """The messages a send round would take now, in its order: every approved message but the
    sequence steps whose turn has not come (a follow-up waits for the step before it)."""
    with ws.store.transaction() as session:
        query = select(OutboxMessage).where(OutboxMessage.state == OutboxState.approved)
        rows = [r for r in session.scalars(query) if r.origin != Origin.sequence_step or r.step_number == 1]
        session.expunge_all()
    return sorted(rows, key=lambda r: (r.origin == Origin.sequence_step, r.id))


def origins(rows: list[OutboxMessage]) -> set[Origin]:
    return {Origin(r.origin) for r in rows}


def in_state(ws: Workspace, state: OutboxState) -> list[OutboxMessage]:
    with ws.store.transaction() as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.state == state)))
        session.expunge_all()
    return rows


def env(ws: Workspace, *, smtp_port: int | None = None) -> dict[str, str]:
    """The environment of an `sdr` process on this workspace (the suite's clock included)."""
    settings = ws.settings
    values = {
        **os.environ,
        "SDR_WORKSPACE": str(settings.workspace),
        "SDR_SOURCES_DIR": str(EXAMPLES / "sources"),
        "SDR_RESEARCH_WITH_MODEL": "false",
    }
    if settings.database_url:
        values["SDR_DATABASE_URL"] = settings.database_url
    if smtp_port is not None:
        values |= {
            "SDR_MAIL_TRANSPORT": "smtp",
            "SDR_SMTP_PORT": str(smtp_port),
            "SDR_SMTP_STARTTLS": "false",
            "SDR_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
        }
    return values


def message_ids(mailbox: Mailbox) -> set[str]:
    return {m["Message-ID"] for m in mailbox.received}


def log(ws: Workspace) -> str:
    """What the `sdr` processes the tests started printed (the tail)."""
    path = ws.settings.workspace.parent / "sdr.log"
    return path.read_text()[-3000:] if path.exists() else ""


def deliveries(messages: Iterable[EmailMessage]) -> Counter[int]:
    """How many times each outbox message was delivered, by its X-SDR-Outbox header."""
    return Counter(int(m["X-SDR-Outbox"]) for m in messages)


def outbox_files(ws: Workspace) -> list[EmailMessage]:
    folder = ws.settings.outbox_dir
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]  # type: ignore[misc]
