"""An AE is never booked on a public holiday where they work, and is never offered one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from agent.campaign.meetings import AccountExecutive
from agent.meetings.availability import Rules, free_slots, why_not
from tests.meetings.conftest import AES

PRIYA, HANNAH = AES  # Chicago, London


def ae(base: dict[str, Any], **changes: Any) -> AccountExecutive:
    return AccountExecutive.model_validate({**base, **changes})


def test_the_aes_public_holidays_are_not_working_days() -> None:
    now = datetime.fromisoformat("2026-11-20T09:00:00-06:00")
    thanksgiving = datetime.fromisoformat("2026-11-26T10:00:00-06:00")
    assert (
        why_not(thanksgiving, Rules.of(ae(PRIYA)), [], now)
        == "Thursday 26 November is a public holiday (Thanksgiving Day)"
    )
    assert why_not(thanksgiving, Rules.of(ae(HANNAH)), [], now) is None  # a working day in London
    assert why_not(thanksgiving, Rules.of(ae(PRIYA, working_hours={"observe_public_holidays": False})), [], now) is None


def test_a_regional_holiday_counts_where_the_ae_works() -> None:
    st_patricks = datetime.fromisoformat("2026-03-17T11:00:00+00:00")
    in_belfast = Rules.of(ae(HANNAH, country="GB", region="Northern Ireland"))
    now = st_patricks - timedelta(days=3)
    assert "public holiday (Saint Patrick's Day)" in (why_not(st_patricks, in_belfast, [], now) or "")
    assert why_not(st_patricks, Rules.of(ae(HANNAH)), [], now) is None


def test_slots_offered_over_christmas_skip_the_holidays() -> None:
    rules = Rules.of(ae(PRIYA))
    now = datetime.fromisoformat("2026-12-21T09:00:00-06:00")
    slots = free_slots(rules, [], now, count=5, horizon_days=14)
    days = [s.astimezone(rules.zone).date().isoformat() for s in slots]
    assert len(slots) == 5 and "2026-12-25" not in days and "2027-01-01" not in days
    assert days[:2] == ["2026-12-22", "2026-12-23"]


def test_an_unknown_country_is_refused_in_the_campaign_file() -> None:
    with pytest.raises(ValidationError, match="no public-holiday calendar for this country"):
        ae(PRIYA, country="Atlantis")
