from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.campaign import Sending
from agent.sending.schedule import add_business_days, next_business_morning

CHICAGO_WEEKDAYS = Sending(window_start="09:00", window_end="17:00", default_timezone="America/Chicago")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Tuesday 14:00 in Chicago: the window is open, so now.
        (datetime(2026, 11, 24, 20, 0), datetime(2026, 11, 24, 20, 0)),
        # Tuesday 07:00 in Chicago: later the same morning, an hour after the window opens.
        (datetime(2026, 11, 24, 13, 0), datetime(2026, 11, 24, 16, 0)),
        # Friday 18:00 in Chicago: Monday, 10:00 Chicago time.
        (datetime(2026, 11, 28, 0, 0), datetime(2026, 11, 30, 16, 0)),
    ],
)
def test_the_next_business_morning_is_in_the_campaigns_own_hours(now: datetime, expected: datetime) -> None:
    assert next_business_morning(now, CHICAGO_WEEKDAYS) == expected


def test_business_days_skip_the_weekend_and_keep_the_local_time_across_daylight_saving() -> None:
    # Friday 30 October 2026, 10:00 in Chicago (CDT); the US leaves daylight saving on 1 November.
    friday = datetime(2026, 10, 30, 15, 0)
    monday = add_business_days(friday, 1, ZoneInfo("America/Chicago"), CHICAGO_WEEKDAYS)
    assert monday == datetime(2026, 11, 2, 16, 0)  # 10:00 CST
