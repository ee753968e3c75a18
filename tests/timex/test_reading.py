"""The one time reader: the rules beyond the evaluation sets' phrasings, in the five languages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent.timex import date_mentions, read_times
from agent.timex.numbers import words_to_digits
from evals.times.suite import SUITE as TIMES

NOW = datetime.fromisoformat("2026-11-18T10:00:00-05:00")  # a Wednesday in New York


def read(text: str, **kwargs: Any) -> tuple[str, list[str], bool]:
    reading = read_times(text, NOW, "America/New_York", **kwargs)
    return reading.kind, [c.isoformat() for c in reading.candidates], reading.ambiguous


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We are a team of 5 at 3 locations", ("none", [], False)),
        ("Thursday at 3 is out, Friday at 3 works", ("slot", ["2026-11-20T15:00:00-05:00"], False)),
        ("I can't do Thursday, but Friday at 10 works", ("slot", ["2026-11-20T10:00:00-05:00"], False)),
        ("Not Thursday, but Friday at 10 works.", ("slot", ["2026-11-20T10:00:00-05:00"], False)),
        ("Anything but Thursday. Friday at 3?", ("slot", ["2026-11-20T15:00:00-05:00"], False)),
        ("Any day except Thursday; Friday at 3 works", ("slot", ["2026-11-20T15:00:00-05:00"], False)),
        ("Friday, 2-3pm", ("range", ["2026-11-20T14:00:00-05:00", "2026-11-20T14:30:00-05:00"], False)),
        ("Thursday at 3 or Friday at 10", ("slot", ["2026-11-19T15:00:00-05:00", "2026-11-20T10:00:00-05:00"], True)),
        ("Dec 3rd at 9:30am PST", ("slot", ["2026-12-03T09:30:00-08:00"], False)),
        ("our budget is 2.50 per unit", ("none", [], False)),
        ("Mon at 2", ("slot", ["2026-11-23T14:00:00-05:00"], False)),
        ("Friday at 6 in the morning", ("slot", ["2026-11-20T06:00:00-05:00"], False)),
        ("Tuesday morning at 10", ("slot", ["2026-11-24T10:00:00-05:00"], False)),
        ("Thursday afternoon at 3", ("slot", ["2026-11-19T15:00:00-05:00"], False)),
        (
            "I have 2 kids so mornings are bad, afternoons are good, say Thursday?",
            ("range", [f"2026-11-19T{h}:00-05:00" for h in ("12:00", "12:30", "13:00", "13:30")], False),
        ),
        ("Friday at 8 in the evening", ("slot", ["2026-11-20T20:00:00-05:00"], False)),
        (
            "Friday 14-16 Uhr",
            ("range", [f"2026-11-20T{h}:00-05:00" for h in ("14:00", "14:30", "15:00", "15:30")], False),
        ),
    ],
)
def test_more_phrasings(text: str, expected: tuple[str, list[str], bool]) -> None:
    assert read(text) == expected


def test_relative_to_an_existing_meeting() -> None:
    existing = datetime.fromisoformat("2026-11-19T14:00:00-06:00")
    assert read("an hour later?", existing=existing)[1] == ["2026-11-19T16:00:00-05:00"]
    assert read("same time on Friday", existing=existing)[1] == ["2026-11-20T15:00:00-05:00"]
    assert read("Could we push our Thursday call to 4pm the same day?", existing=existing)[1] == [
        "2026-11-19T16:00:00-05:00"
    ]


def test_your_time_means_the_aes_zone() -> None:
    assert read("Friday at 10 your time", your_tz="Europe/London")[1] == ["2026-11-20T10:00:00+00:00"]


def test_now_without_an_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        read_times("Friday at 3", datetime(2026, 11, 18, 10), "America/New_York")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # R12: a weekday goes into the relative week written near it.
        ("next week - Monday at 9?", ("slot", ["2026-11-23T09:00:00-05:00"], False)),
        ("The week after next. Thursday at 11 if possible.", ("slot", ["2026-12-03T11:00:00-05:00"], False)),
        ("Montag übernächste Woche um 9", ("slot", ["2026-11-30T09:00:00-05:00"], False)),
        # R13: a day part decides a bare hour.
        ("Wednesday night, 8ish", ("slot", ["2026-11-25T20:00:00-05:00"], False)),
        ("mañana a las 6 de la tarde", ("slot", ["2026-11-19T18:00:00-05:00"], False)),
        # R14: windows.
        (
            "Monday between 9 and 11",
            ("range", [f"2026-11-23T{h}:00-05:00" for h in ("09:00", "09:30", "10:00", "10:30")], False),
        ),
        (
            "jueves de 5 a 7",
            ("range", [f"2026-11-19T{h}:00-05:00" for h in ("17:00", "17:30", "18:00", "18:30")], False),
        ),
        # R15, R16: numbers in words, a written year.
        ("vendredi à dix heures et quart", ("slot", ["2026-11-20T10:15:00-05:00"], False)),
        ("2 de fevereiro de 2027 às onze", ("slot", ["2027-02-02T11:00:00-05:00"], False)),
        ("Friday 0:30", ("slot", ["2026-11-20T00:30:00-05:00"], False)),  # 0 is midnight, for every reader
        # R17: periods are vague.
        ("sometime the week of Jan 4th", ("vague", ["2027-01-04T09:00:00-05:00"], False)),
        ("en fin de mois", ("vague", ["2026-11-23T09:00:00-05:00"], False)),
        # R18: numbers that are not times.
        ("A 1:1 works, we are 3:1 on doors and 24/7 on the yard", ("none", [], False)),
        ("second option, the first one is gone", ("none", [], False)),
        # "et", "est" are French words, never Eastern time.
        ("Le créneau de 15h est parfait", ("slot", ["2026-11-18T15:00:00-05:00"], False)),
    ],
)
def test_the_families_of_issue_15(text: str, expected: tuple[str, list[str], bool]) -> None:
    assert read(text) == expected


def test_the_start_times_a_reply_names() -> None:
    """What a reply's `meeting_times` field holds: slots and windows stated by the clock, never a day part."""
    berlin = datetime(2026, 10, 26, 9, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    said = "Thursday 15:00 CET works for me – that should be 10:00 for you in New York."
    assert read_times(said, berlin, "Europe/Berlin").named_starts == [
        datetime(2026, 10, 29, 15, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    ]
    la = datetime(2026, 11, 17, 12, 2, tzinfo=ZoneInfo("America/Los_Angeles"))
    (eastern,) = read_times("Monday the 23rd, 10am your time (Eastern) - send it over.", la, "America/Los_Angeles")\
        .named_starts  # fmt: skip
    assert eastern == datetime(2026, 11, 23, 7, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    paris = datetime(2026, 11, 13, 9, 5, tzinfo=ZoneInfo("Europe/Paris"))
    starts = read_times("Je peux mardi prochain à 14h ou mercredi à 9h30.", paris, "Europe/Paris").named_starts
    assert [t.isoformat() for t in starts] == ["2026-11-17T14:00:00+01:00", "2026-11-18T09:30:00+01:00"]
    monday = datetime(2026, 11, 16, 8, 55, tzinfo=ZoneInfo("Europe/Berlin"))
    moved = "Können wir auf nächste Woche verschieben? Mir passt Dienstag oder Mittwoch, jeweils ab 14 Uhr."
    assert [t.isoformat() for t in read_times(moved, monday, "Europe/Berlin").named_starts] == [
        "2026-11-24T14:00:00+01:00",
        "2026-11-25T14:00:00+01:00",
    ]
    assert read_times("Wednesday afternoon works", paris, "Europe/Paris").named_starts == []
    assert read_times("Send me your calendar link.", paris, "Europe/Paris").named_starts == []


def test_date_mentions_carry_their_place_and_span() -> None:
    text = "Estou fora até 16/11, de volta na semana que vem."
    found = date_mentions(text, date(2026, 11, 12), "America/Sao_Paulo")
    assert [(text[m.start : m.end], m.day, m.period_end) for m in found] == [
        ("16/11", date(2026, 11, 16), date(2026, 11, 16)),
        ("na semana que vem", date(2026, 11, 16), date(2026, 11, 22)),
    ]
    assert date_mentions("Back 11/9", date(2026, 11, 2), "America/Chicago")[0].day == date(2026, 11, 9)
    assert date_mentions("Back 11/9", date(2026, 8, 2), "Europe/Madrid")[0].day == date(2026, 9, 11)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("december third at ten thirty", "december 3th   at 10:30     "),
        ("am dritten dezember", "am 3.      dezember"),
        ("once we know", "once we know"),  # Spanish eleven only where a time is said
        ("a las once", "a las 11  "),
    ],
)
def test_numbers_in_words_become_digits_in_place(text: str, digits: str) -> None:
    assert words_to_digits(text) == digits
    assert len(words_to_digits(text)) == len(text)


def test_the_time_expression_sets_hold() -> None:
    """The eval's floor on both parts, so that a reader change that breaks a family fails here first."""
    cases = TIMES.cases()
    figures = TIMES.metrics(cases, [TIMES.run_case(case, None) for case in cases])  # type: ignore[arg-type]
    for part in ("dev", "test"):
        assert figures[f"{part}.kind_accuracy"] >= 0.95 and figures[f"{part}.first_candidate_exact"] >= 0.9
        assert figures[f"{part}.ambiguous_accuracy"] == 1.0
