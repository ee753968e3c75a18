"""Dates resolved by the rules in evals/replies/README.md, from the prospect's local date."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from agent.replies.dates import meeting_times, nurture_date, return_date

THU = date(2026, 11, 5)


@pytest.mark.parametrize(
    ("text", "today", "language", "expected"),
    [
        ("I'm out of office, back on the 3rd.", date(2026, 11, 24), "en", date(2026, 12, 3)),
        ("Out until Monday, November 30.", date(2026, 11, 23), "en", date(2026, 11, 30)),
        ("Je suis absente jusqu'au 2 novembre inclus.", date(2026, 10, 28), "fr", date(2026, 11, 3)),
        (
            "Ich bin bis einschließlich 6. November nicht im Büro und ab dem 9. November wieder erreichbar.",
            date(2026, 11, 3),
            "de",
            date(2026, 11, 9),
        ),
        ("Estou fora do escritório até 16/11. Retorno no dia 17/11.", date(2026, 11, 12), "pt", date(2026, 11, 17)),
        ("I am on maternity leave until March 2027.", date(2026, 10, 9), "en", date(2027, 3, 1)),
        ("Back at my desk 11/9.", date(2026, 11, 2), "en", date(2026, 11, 9)),
        ("Away and back next week.", date(2026, 10, 16), "en", date(2026, 10, 19)),
    ],
)
def test_return_dates(text, today, language, expected):
    assert return_date(text, today, language) == expected


@pytest.mark.parametrize(
    ("text", "today", "language", "expected"),
    [
        ("Not now - ping me in Q2.", THU, "en", date(2027, 4, 1)),
        ("Melden Sie sich bitte nach dem 5. Januar wieder.", THU, "de", date(2027, 1, 6)),
        ("Vuelve a escribirme después de Reyes.", THU, "es", date(2027, 1, 7)),
        ("maybe in 6 months", date(2026, 10, 15), "en", date(2027, 4, 15)),
        ("Circle back the week after Thanksgiving.", THU, "en", date(2026, 11, 30)),
        ("not interested right now, maybe next year", THU, "en", date(2027, 1, 1)),
        ("Me procura de novo em março.", THU, "pt", date(2027, 3, 1)),
    ],
)
def test_nurture_dates(text, today, language, expected):
    assert nurture_date(text, today, language) == expected


def test_meeting_times_across_zones_and_dst():
    berlin = datetime(2026, 10, 26, 9, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    times = meeting_times("Thursday 15:00 CET works for me – that should be 10:00 for you in New York.", berlin)
    assert times == [datetime(2026, 10, 29, 15, 0, tzinfo=ZoneInfo("Europe/Berlin"))]
    la = datetime(2026, 11, 17, 12, 2, tzinfo=ZoneInfo("America/Los_Angeles"))
    (eastern,) = meeting_times("Monday the 23rd, 10am your time (Eastern) - send it over.", la)
    assert eastern == datetime(2026, 11, 23, 7, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    paris = datetime(2026, 11, 13, 9, 5, tzinfo=ZoneInfo("Europe/Paris"))
    assert [t.isoformat() for t in meeting_times("Je peux mardi prochain à 14h ou mercredi à 9h30.", paris, "fr")] == [
        "2026-11-17T14:00:00+01:00",
        "2026-11-18T09:30:00+01:00",
    ]
    assert meeting_times("Send me your calendar link.", paris) == []
