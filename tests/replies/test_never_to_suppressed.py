"""Property: whatever order things happen in, nothing is written to an address suppressed or bounced
before the send, and nothing unapproved is sent.

Random interleavings of import, enroll, approve, send, replies of every intent, suppression,
bounces, out-of-office pauses running out and nurture dates coming, over the demo campaign's
contacts, against the real SQLite store and the `.eml` outbox.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from sqlalchemy import select

from agent import review
from agent.llm import LLM, scripted_handle
from agent.pipeline import run_campaign
from agent.replies.classify import ReplyReader
from agent.replies.handling import due_touches, handle
from agent.replies.ingest import parse_message
from agent.sending.sender import send_due
from agent.settings import load_settings
from agent.states import Origin, OutboxState
from agent.store.tables import Contact, OutboxMessage, Review, Suppression
from agent.suppression import suppress
from agent.workspace import Workspace
from tests.conftest import EXAMPLES, make_workspace
from tests.helpers import IN_WINDOW, TODAY, import_demo
from tests.replies.conftest import email

DOMAINS = ["reno-freight.example", "harvest-lane.example"]
INTENTS = [
    "interested",
    "question",
    "meeting_request",
    "reschedule",
    "cancel",
    "not_now",
    "not_interested",
    "objection",
    "referral",
    "out_of_office",
    "unsubscribe",
    "bounce",
]
TEXTS = {
    "unsubscribe": "Please remove me from your list.",
    "out_of_office": "I am out of the office until next Monday.",
    "not_now": "Not now, try me in Q1.",
    "referral": "Not me - talk to Gloria Pike (gloria.pike@reno-freight.example).",
}


def _campaign(tmp: Path) -> Path:
    spec = yaml.safe_load((EXAMPLES / "campaign.yaml").read_text())
    spec["review"] = {"policy": "human"}  # every outbound step waits for an approval
    spec["qualification"] = {"replies": {"auto_send": ["interested", "meeting_request"]}}
    path = tmp / "campaign.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


_TEMPLATE: dict[str, Path] = {}


def _template(tmp_root: Path) -> Path:
    """One researched, enrolled and drafted workspace, copied for every example."""
    if "ws" not in _TEMPLATE:
        base = Path(tempfile.mkdtemp(dir=tmp_root, prefix="template"))
        ws = make_workspace(base)
        import_demo(ws, base, DOMAINS)
        run_campaign(ws, _campaign(base), today=TODAY)
        ws.store.engine.dispose()
        _TEMPLATE["ws"], _TEMPLATE["campaign"] = base / "ws", _campaign(base)
    return _TEMPLATE["ws"]


event = st.one_of(
    st.tuples(st.just("approve"), st.integers(0, 3)),
    st.tuples(st.just("send")),
    st.tuples(st.just("reply"), st.integers(0, 3), st.sampled_from(INTENTS)),
    st.tuples(st.just("suppress"), st.integers(0, 3)),
    st.tuples(st.just("nurture")),
    st.tuples(st.just("approve_responses")),
    st.tuples(st.just("send_responses")),
    st.tuples(st.just("import")),
    st.tuples(st.just("enroll")),
)


class World:
    def __init__(self, folder: Path, campaign: Path) -> None:
        self.ws = Workspace(
            load_settings(workspace=folder, research_with_model=False, sources_dir_setting=EXAMPLES / "sources"),
            model=None,
        )
        self.campaign, self.clock, self.folder = campaign, IN_WINDOW, folder
        with self.ws.store.transaction() as session:
            self.emails = sorted(session.scalars(select(Contact.email)))
        self.suppressed: set[str] = set()
        self.written: set[Path] = set()

    def reader(self, intent: str) -> ReplyReader:
        llm = LLM(
            scripted_handle(
                FakeListChatModel(responses=[json.dumps({"intent": intent, "summary": intent})]), writer=False
            )
        )
        return ReplyReader(classifier=None, llm=llm, trust_model_intent=True)

    def apply(self, step: tuple) -> None:  # type: ignore[type-arg]
        kind = step[0]
        who = self.emails[step[1] % len(self.emails)] if len(step) > 1 else ""
        now = self.clock.replace(tzinfo=None)
        if kind == "approve":
            waiting = review.list_items(self.ws, states=[OutboxState.pending_review], origins=[Origin.sequence_step])
            pending = [v.id for v in waiting if v.contact_email == who]
            if pending:
                review.approve(self.ws, pending, "tester")
        elif kind == "send":
            send_due(self.ws, now=now)
            self.clock += timedelta(days=7)  # Wednesdays, inside the window; later steps fall due
        elif kind == "reply":
            intent = step[2]
            if intent == "bounce":
                message = email(
                    "MAILER-DAEMON@mx.example",
                    f"Delivery to the following recipient failed permanently:\n\n    {who}\n\n550 5.1.1 user unknown",
                    subject="Undelivered Mail Returned to Sender",
                )
            else:
                headers = {"Auto-Submitted": "auto-replied"} if intent == "out_of_office" else None
                message = email(
                    who, TEXTS.get(intent, f"About your note: {intent.replace('_', ' ')}."), headers=headers
                )
            handle(self.ws, parse_message(message), reader=self.reader(intent), now=now)
        elif kind == "suppress":
            with self.ws.store.transaction() as session:
                suppress(session, who, "manual", source="test")
        elif kind == "nurture":
            due_touches(self.ws, now.date() + timedelta(days=200))
        elif kind == "approve_responses":
            answers = review.list_items(self.ws, states=[OutboxState.pending_review], origins=[Origin.reply_answer])
            if answers:
                review.approve(self.ws, [a.id for a in answers], "tester")
        elif kind == "send_responses":
            send_due(self.ws, now=now, steps=False)
        elif kind == "import":
            import_demo(self.ws, self.folder.parent, DOMAINS)
        elif kind == "enroll":
            run_campaign(self.ws, self.campaign, today=TODAY)

    def check(self) -> None:
        """Every file written since the last check went to an address not suppressed before it."""
        outbox = self.ws.settings.outbox_dir
        files = set(outbox.rglob("*.eml")) | set(outbox.rglob("*.md")) if outbox.exists() else set()
        for path in files - self.written:
            if path.suffix == ".eml":
                recipient = message_from_bytes(path.read_bytes(), policy=policy.default)["To"].addresses[0]
                address = recipient.addr_spec.lower()
            else:
                address = path.read_text().split(" task for ", 1)[1].split("\n", 1)[0].strip().lower()
            assert address not in self.suppressed, f"{path.name} written to suppressed {address}"
        self.written = files
        with self.ws.store.transaction() as session:
            self.suppressed |= set(session.scalars(select(Suppression.value)))
            for message in session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.sent)):
                approvals = session.scalars(select(Review.action).where(Review.outbox_id == message.id)).all()
                assert {"approve", "auto_approve"} & set(approvals), f"message {message.id} sent unapproved"
                assert message.reviewer, f"message {message.id} sent without a named approver"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(steps=st.lists(event, min_size=4, max_size=14))
def test_nothing_reaches_a_suppressed_address_and_nothing_unapproved_is_sent(tmp_path_factory, steps):
    template = _template(tmp_path_factory.getbasetemp())
    folder = tmp_path_factory.mktemp("example") / "ws"
    shutil.copytree(template, folder)
    world = World(folder, _TEMPLATE["campaign"])
    world.check()
    for step in steps:
        world.apply(step)
        world.check()
    world.ws.store.engine.dispose()
