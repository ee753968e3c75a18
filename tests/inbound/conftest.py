"""A desk that answers inbound leads: the demo accounts, the demo campaign with its AEs' calendars, and a
fake model that reads each message as the test says (or as `interested` when it says nothing)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from agent.accounts.importer import import_file
from agent.campaign import load_campaign
from agent.inbound.answer import LeadAnswer, answer_lead
from agent.inbound.lead import InboundLead
from agent.meetings.admin import seed_calendars
from agent.pipeline import register_campaign
from agent.replies.classify import ReplyReader
from agent.replies.extract import ALL_FIELDS
from agent.workspace import Workspace
from tests.conftest import EXAMPLES, SuiteClock, function_model, make_workspace

CAMPAIGN = "q4-dock-ops"
# Tuesday 24 November 2026, 09:05 in Chicago: a day the demo AEs' calendars describe.
TUESDAY = "2026-11-24T09:05:00-06:00"
NULLS = dict.fromkeys(f for f in ALL_FIELDS if f != "summary")  # the model read nothing


@dataclass
class Desk:
    ws: Workspace
    reader: ReplyReader
    readings: dict[str, str] = field(default_factory=dict)  # words in a message -> the intent the model reads

    def lead(self, **fields: Any) -> InboundLead:
        data = {
            "name": "Jordan Blake",
            "email": "jordan.blake@reno-freight.example",
            "company": "Reno Freight Systems",
            "title": "Director of Logistics",
            "source": "demo request",
            "received_at": TUESDAY,
            "timezone": "America/Los_Angeles",
            "message": "",
            **fields,
        }
        return InboundLead.model_validate_json(json.dumps({k: v for k, v in data.items() if v is not None}))

    def answer(self, *, now: datetime | None = None, **fields: Any) -> LeadAnswer:
        lead = self.lead(**fields)
        return answer_lead(self.ws, lead, CAMPAIGN, now=now or lead.received_at, reader=self.reader)

    def outbox(self, to: str | None = None) -> list[EmailMessage]:
        folder = self.ws.settings.outbox_dir
        mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]
        return [m for m in mails if to is None or to in str(m["To"])]  # type: ignore[misc]


def build_desk(tmp_path: Path, campaign: Path = EXAMPLES / "campaign.yaml", **settings: Any) -> Desk:
    readings: dict[str, str] = {}

    def read(messages: list[Any]) -> dict[str, Any]:
        text = str(messages[-1].content)
        intent = next((i for words, i in readings.items() if words in text), "interested")
        return {"intent": intent, **NULLS, "summary": ""}

    handle, _ = function_model(read, writer=False)
    ws = make_workspace(tmp_path, model=handle, **settings)
    import_file(ws.store, EXAMPLES / "accounts.csv")
    import_file(ws.store, EXAMPLES / "contacts.csv")
    register_campaign(ws, campaign)
    spec = load_campaign(campaign)
    assert spec.meetings is not None
    seed_calendars(ws, spec.meetings, EXAMPLES / "calendars")
    return Desk(ws, ReplyReader(classifier=None, llm=ws.llm, trust_model_intent=True), readings)


@pytest.fixture(autouse=True)
def _leads_arrive_on_tuesday(suite_clock: SuiteClock) -> None:
    """The desk's scene is dated (its leads, the AEs' calendars): the agent's clock reads a minute
    after the leads were sent, whatever clock the run started with."""
    suite_clock.set(datetime.fromisoformat(TUESDAY) + timedelta(minutes=1))


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return build_desk(tmp_path)
