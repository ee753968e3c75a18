"""Return and nurture dates chosen from the dates a reply names, read in the prospect's zone."""

from __future__ import annotations

from datetime import date

import pytest

from agent.replies.resume_dates import nurture_date, return_date

THU = date(2026, 11, 5)


@pytest.mark.parametrize(
    ("text", "today", "zone", "expected"),
    [
        ("I'm out of office, back on the 3rd.", date(2026, 11, 24), "America/New_York", date(2026, 12, 3)),
        ("Out until Monday, November 30.", date(2026, 11, 23), "America/New_York", date(2026, 11, 30)),
        ("Je suis absente jusqu'au 2 novembre inclus.", date(2026, 10, 28), "Europe/Paris", date(2026, 11, 3)),
        (
            "Ich bin bis einschließlich 6. November nicht im Büro und ab dem 9. November wieder erreichbar.",
            date(2026, 11, 3),
            "Europe/Berlin",
            date(2026, 11, 9),
        ),
        (
            "Estou fora do escritório até 16/11. Retorno no dia 17/11.",
            date(2026, 11, 12),
            "America/Sao_Paulo",
            date(2026, 11, 17),
        ),
        ("I am on maternity leave until March 2027.", date(2026, 10, 9), "America/New_York", date(2027, 3, 1)),
        ("Back at my desk 11/9.", date(2026, 11, 2), "America/New_York", date(2026, 11, 9)),
        ("Back at my desk 11/9.", date(2026, 8, 2), "Europe/London", date(2026, 9, 11)),  # D/M outside the US
        ("Away and back next week.", date(2026, 10, 16), "America/New_York", date(2026, 10, 19)),
    ],
)
def test_return_dates(text: str, today: date, zone: str, expected: date) -> None:
    assert return_date(text, today, zone) == expected


@pytest.mark.parametrize(
    ("text", "today", "zone", "expected"),
    [
        ("Not now - ping me in Q2.", THU, "America/New_York", date(2027, 4, 1)),
        ("Melden Sie sich bitte nach dem 5. Januar wieder.", THU, "Europe/Berlin", date(2027, 1, 6)),
        ("Vuelve a escribirme después de Reyes.", THU, "Europe/Madrid", date(2027, 1, 7)),
        ("maybe in 6 months", date(2026, 10, 15), "America/New_York", date(2027, 4, 15)),
        ("Circle back the week after Thanksgiving.", THU, "America/New_York", date(2026, 11, 30)),
        ("not interested right now, maybe next year", THU, "America/New_York", date(2027, 1, 1)),
        ("Me procura de novo em março.", THU, "America/Sao_Paulo", date(2027, 3, 1)),
        ("Melde dich in drei Wochen wieder.", THU, "Europe/Berlin", date(2026, 11, 23)),  # that week's Monday
        ("Volte a falar comigo no fim do mês.", date(2026, 11, 10), "America/Sao_Paulo", date(2026, 11, 21)),
    ],
)
def test_nurture_dates(text: str, today: date, zone: str, expected: date) -> None:
    assert nurture_date(text, today, zone) == expected
