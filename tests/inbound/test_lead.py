"""A lead is validated strictly before anything is stored; a bad one is named by field."""

from __future__ import annotations

import pytest

from agent.errors import InputError
from agent.inbound.lead import parse_lead
from agent.inbound.report import percentile

GOOD = '"name": "Ana Ruiz", "email": "Ana.Ruiz@Harvest-Lane.example", "source": "demo request"'


def test_a_good_lead_keeps_its_offset_and_lower_cases_the_address() -> None:
    lead = parse_lead("{" + GOOD + ', "received_at": "2026-11-28T23:40:00-06:00", "employees": "201-500"}')
    assert lead.email == "ana.ruiz@harvest-lane.example" and lead.first_name == "Ana" and lead.last_name == "Ruiz"
    assert lead.received_at.utcoffset() is not None and lead.received_at.utcoffset().total_seconds() == -6 * 3600


@pytest.mark.parametrize(
    ("extra", "field", "says"),
    [
        (', "received_at": "2026-11-28T23:40:00"', "received_at", "UTC offset"),
        (', "received_at": "last night"', "received_at", "datetime"),
        (', "received_at": "2026-11-28T23:40:00Z", "employees": "lots"', "employees", "band"),
        (', "received_at": "2026-11-28T23:40:00Z", "employees": "1200"', None, None),
        (', "received_at": "2026-11-28T23:40:00Z", "timezone": "Mars/Olympus"', "timezone", "unknown time zone"),
        (', "received_at": "2026-11-28T23:40:00Z", "budget": "big"', "budget", "unknown field"),
        (', "received_at": "2026-11-28T23:40:00Z", "employees": 12.5', "employees", None),
    ],
)
def test_a_bad_field_is_named(extra: str, field: str | None, says: str | None) -> None:
    if field is None:
        parse_lead("{" + GOOD + extra + "}")
        return
    with pytest.raises(InputError) as caught:
        parse_lead("{" + GOOD + extra + "}", file="leads.jsonl", line=7)
    assert caught.value.field == field and str(caught.value).startswith(f"leads.jsonl:7: {field}: ")
    assert says is None or says in str(caught.value)


def test_not_json_and_not_an_object_are_one_line_each() -> None:
    with pytest.raises(InputError, match=r"^f:2: not JSON"):
        parse_lead('{"name": ', file="f", line=2)
    with pytest.raises(InputError, match="expected a JSON object"):
        parse_lead("[1, 2]")
    with pytest.raises(InputError, match=r"email: 'nobody' is not an email address"):
        parse_lead('{"name": "A", "email": "nobody", "source": "x", "received_at": "2026-11-28T23:40:00Z"}')


def test_percentiles_are_values_that_occurred() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 0.5) == 10.0 and percentile(values, 0.95) == 19.0
    assert percentile([], 0.5) is None and percentile([3.0], 0.95) == 3.0
