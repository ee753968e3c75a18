"""A workspace with a campaign that books meetings, and a few leads enrolled in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.campaign import CampaignSpec, load_campaign, spec_json
from agent.campaign.meetings import MeetingsSpec
from agent.store.tables import Account, Campaign, Contact, Enrollment, EnrollmentState
from agent.workspace import Workspace
from tests.conftest import EXAMPLES

# Monday 30 November 2026, 09:00 in Chicago: every "Tuesday" below is 1 December.
MONDAY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)

AES: list[dict[str, Any]] = [
    {
        "name": "Priya Nair", "email": "priya.nair@lumendock.example", "timezone": "America/Chicago",
        "working_hours": {"start": "09:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
        "meeting_minutes": 30, "buffer_minutes": 15, "min_notice_hours": 24, "daily_cap": 4,
        "calendar": {"ics": "calendars/priya-nair.ics"}, "territories": ["US"],
    },
    {
        "name": "Hannah Okafor", "email": "hannah.okafor@lumendock.example", "timezone": "Europe/London",
        "working_hours": {"start": "09:00", "end": "17:30", "days": ["mon", "tue", "wed", "thu", "fri"]},
        "meeting_minutes": 30, "buffer_minutes": 15, "min_notice_hours": 24, "daily_cap": 4,
        "calendar": {"ics": "calendars/hannah-okafor.ics"}, "territories": ["GB", "DE"],
    },
]  # fmt: skip

LEADS = [
    # email, first, last, title, timezone, (domain, account, country, region, employees)
    ("dana@reno.example", "Dana", "Whitfield", "VP of Operations", "America/Los_Angeles",
     ("reno.example", "Reno Freight", "US", "Nevada", 1450)),
    ("sam@harvest.example", "Sam", "Ortiz", "Director of Logistics", "America/New_York",
     ("harvest.example", "Harvest Lane", "US", "Illinois", 2300)),
    ("olivia@thames.example", "Olivia", "Barnes", "Head of Transport", "Europe/London",
     ("thames.example", "Thamesgate", "GB", "England", 1700)),
]  # fmt: skip


def campaign_spec(policy: str = "human", **meetings: Any) -> CampaignSpec:
    base = load_campaign(EXAMPLES / "campaign.yaml")
    review = {"policy": policy, "auto_approve_min_priority": 50 if policy == "auto_above_score" else None}
    data = spec_json(base) | {"review": review}
    data["meetings"] = {"account_executives": AES, "routing": "territory", **meetings}
    return CampaignSpec.model_validate(data)


@dataclass
class Setup:
    ws: Workspace
    spec: CampaignSpec
    contacts: dict[str, int] = field(default_factory=dict)

    @property
    def meetings(self) -> MeetingsSpec:
        assert self.spec.meetings is not None
        return self.spec.meetings

    def calendar_file(self, ae: int = 0) -> Path:
        return self.ws.settings.workspace / AES[ae]["calendar"]["ics"]


def enroll(ws: Workspace, spec: CampaignSpec, priority: float = 80.0) -> dict[str, int]:
    ids = {}
    with ws.store.transaction() as session:
        campaign = Campaign(name=spec.name, file_path="campaign.yaml", spec=spec_json(spec), spec_hash=spec.digest)
        session.add(campaign)
        session.flush()
        for email, first, last, title, tz, (domain, name, country, region, employees) in LEADS:
            account = Account(domain=domain, name=name, country=country, region=region, employees=employees)
            session.add(account)
            session.flush()
            contact = Contact(
                account_id=account.id, email=email, first_name=first, last_name=last, title=title, timezone=tz
            )
            session.add(contact)
            session.flush()
            session.add(
                Enrollment(
                    campaign_id=campaign.id, contact_id=contact.id, priority=priority, state=EnrollmentState.stopped
                )
            )
            ids[email] = contact.id
    return ids


@pytest.fixture
def booking(ws: Workspace) -> Setup:
    spec = campaign_spec()
    return Setup(ws, spec, enroll(ws, spec))
