"""No step falls due on a public holiday where the prospect is: their country, and their region."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from agent.campaign import Sending
from agent.public_holidays import public_holidays
from agent.sending.schedule import add_business_days, in_window, next_window_start, prospect_holidays
from agent.sending.sender import send_due
from agent.store.tables import Account, Contact, OutboxMessage, OutboxState
from agent.workspace import Workspace
from tests.helpers import TODAY, outbox_rows, run_demo

WEEKDAYS = Sending(window_start="09:00", window_end="17:00", default_timezone="America/Chicago")
CHICAGO, LONDON = ZoneInfo("America/Chicago"), ZoneInfo("Europe/London")
US, GB = public_holidays("US"), public_holidays("United Kingdom", "England")


def test_a_follow_up_due_on_thanksgiving_or_christmas_waits_for_the_next_working_day() -> None:
    # Wednesday 25 November 2026, 10:00 in Chicago: one business day later is Thanksgiving in the US
    wednesday = datetime(2026, 11, 25, 16, 0)
    assert add_business_days(wednesday, 1, CHICAGO, WEEKDAYS, US) == datetime(2026, 11, 27, 16, 0)
    assert add_business_days(wednesday, 1, LONDON, WEEKDAYS, GB) == datetime(2026, 11, 26, 16, 0)  # not in England
    # Thursday 24 December 2026: Christmas is a Friday, Boxing Day a Saturday, observed on Monday in England
    eve = datetime(2026, 12, 24, 10, 0)
    assert add_business_days(eve, 1, CHICAGO, WEEKDAYS, US) == datetime(2026, 12, 28, 10, 0)
    assert add_business_days(eve, 1, LONDON, WEEKDAYS, GB) == datetime(2026, 12, 29, 10, 0)


def test_the_window_stays_shut_all_day_on_a_holiday() -> None:
    christmas_noon = datetime(2026, 12, 25, 18, 0)  # 12:00 in Chicago
    assert not in_window(christmas_noon, CHICAGO, WEEKDAYS, US)
    assert in_window(christmas_noon, CHICAGO, WEEKDAYS)  # without the prospect's calendar it would open
    assert next_window_start(christmas_noon, CHICAGO, WEEKDAYS, US) == datetime(2026, 12, 28, 15, 0)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2029, 12, 31)),
    days=st.integers(min_value=1, max_value=12),
    place=st.sampled_from([("US", "Nevada", "America/Los_Angeles"), ("GB", None, "Europe/London"),
                           ("DE", "BY", "Europe/Berlin"), ("CA", "Ontario", "America/Toronto")]),
)  # fmt: skip
def test_a_step_never_falls_due_on_a_weekend_or_a_holiday(start: datetime, days: int, place: tuple) -> None:
    country, region, zone = place
    holidays, tz = public_holidays(country, region), ZoneInfo(zone)
    due = add_business_days(start, days, tz, WEEKDAYS, holidays)
    local = due.replace(tzinfo=UTC).astimezone(tz)
    assert local.weekday() < 5 and holidays.on(local.date()) is None
    opens = next_window_start(due, tz, WEEKDAYS, holidays).replace(tzinfo=UTC).astimezone(tz)
    assert opens.weekday() < 5 and holidays.on(opens.date()) is None and opens.time() >= WEEKDAYS.window_start


def test_the_prospects_calendar_is_their_accounts_country_and_region_else_their_time_zones() -> None:
    nevada = Contact(email="a@x.example", account=Account(domain="x.example", name="X", country="US", region="NV"))
    assert prospect_holidays(nevada, WEEKDAYS).on(date(2026, 11, 27)) == "Family Day"  # Nevada's, not federal
    berlin = Contact(email="b@y.example", timezone="Europe/Berlin", account=Account(domain="y.example", name="Y"))
    assert prospect_holidays(berlin, WEEKDAYS).on(date(2026, 10, 3)) == "German Unity Day"
    ignored = Sending(default_timezone="America/Chicago", observe_public_holidays=False)
    assert prospect_holidays(nevada, ignored).on(date(2026, 12, 25)) is None


def _next_thanksgiving(after: date) -> date:
    day = after + timedelta(days=1)
    while US.on(day) != "Thanksgiving Day":
        day += timedelta(days=1)
    return day


def test_on_thanksgiving_the_sender_writes_to_canada_and_holds_the_us_until_their_next_working_day(
    ws: Workspace, tmp_path: Path
) -> None:
    run_demo(ws, tmp_path, ["reno-freight.example", "maple-route.example"])  # Nevada, US; Ontario, Canada
    with ws.store.transaction() as session:
        for step in session.scalars(select(OutboxMessage).where(OutboxMessage.step_number == 1)):
            step.state = OutboxState.approved
    thanksgiving = _next_thanksgiving(TODAY)
    noon_in_the_middle = datetime.combine(thanksgiving, time(18, 0))  # 10:00 in Nevada, 13:00 in Ontario
    summary = send_due(ws, now=noon_in_the_middle)
    sent = outbox_rows(ws, OutboxMessage.id.in_(summary.sent))
    assert sent and {m.to_address.rsplit("@", 1)[1] for m in sent} == {"maple-route.example"}
    # Reno's first emails wait: Thanksgiving, then Nevada's Family Day, then the weekend
    reopens = thanksgiving + timedelta(days=1)
    nevada = public_holidays("US", "Nevada")
    while reopens.weekday() >= 5 or nevada.on(reopens):
        reopens += timedelta(days=1)
    nine_in_reno = datetime.combine(reopens, time(9), tzinfo=ZoneInfo("America/Los_Angeles"))
    assert summary.next_due == nine_in_reno.astimezone(UTC).replace(tzinfo=None)


@pytest.mark.parametrize("country", ["US", "USA", "United States", "united states of america"])
def test_countries_are_read_as_crms_write_them(country: str) -> None:
    assert public_holidays(country).country == "US"
