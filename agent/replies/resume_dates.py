"""When to resume contact after a reply: an out-of-office's return date, a not-now's nurture date.

"Back on the 3rd", "nach dem 5. Januar", "después de Reyes", "Q2": the dates and periods come
from the one time reader (`agent.timex.date_mentions`, read from the prospect's local date and
zone); which of them is the return or the nurture date is decided here, by the words around it.
A named month, quarter or year means its first day; "after D" means D + 1 (after a period: the
day after it ends); "next week" means that week's Monday; "until X" means back on X unless the
reply says the X was inclusive.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from agent.timex import DateMention, date_mentions

_AFTER = re.compile(
    r"(after|nach dem|nach|después de|despues de|après|apres|depois d[eo]|passado)\s+(the |our |el |"
    r"la |le |los |o |a )?$",
    re.IGNORECASE,
)
_RETURN = re.compile(
    r"(back|return|returning|retour|de retour|regreso|regresaré|de vuelta|volto|volta|retorno|wieder"
    r"|zurück|ab dem|ab|dès le|a partir d[eo]l?|à partir du|reachable|available again)\b",
    re.IGNORECASE,
)
_UNTIL = re.compile(r"\b(until|till|through|thru|hasta|jusqu'au|jusqu'à|bis|até|ate)\b", re.IGNORECASE)
_INCLUSIVE = re.compile(r"\b(through|thru|inclus|inclusive|einschließlich|incluido|inclusive)\b", re.IGNORECASE)
_CONTACT = re.compile(
    r"(reach|circle|check|ping|try|contact|write|get|touch|follow|revisit|talk|put me down|"
    r"recontact|vuelve|escríbe|escribe|melden|procura|volte|fale|schreiben|reprendre|then)",
    re.IGNORECASE,
)


def _before(text: str, mention: DateMention, width: int = 45) -> str:
    return text[max(0, mention.start - width) : mention.start]


def return_date(text: str, today: date, zone_name: str) -> date | None:
    """When an out-of-office prospect is back."""
    best: tuple[int, date] | None = None
    for mention in date_mentions(text, today, zone_name):
        before, after = _before(text, mention), text[mention.end : mention.end + 25]
        day = mention.day
        score = 1
        if _RETURN.search(before[-30:]):
            score = 3
        elif _UNTIL.search(before[-25:]):
            score = 2
            if _INCLUSIVE.search(before[-25:] + after):
                day = mention.period_end + timedelta(days=1)
        elif re.search(r"\b(from|desde|du|vom|de)\s*$", before, re.IGNORECASE):
            score = 0
        if re.match(r"\s*(?:through|thru|to|bis|au|al|a)\b", after, re.IGNORECASE):
            score = 0
        if day <= today:
            continue
        if best is None or (score, day) > best:
            best = (score, day)
    return best[1] if best else None


def nurture_date(text: str, today: date, zone_name: str) -> date | None:
    """When a not-now prospect asked to be contacted again."""
    best: tuple[int, int, date] | None = None
    for index, mention in enumerate(date_mentions(text, today, zone_name)):
        before = _before(text, mention, 40)
        day, score = mention.day, 1
        if _AFTER.search(before):
            day, score = mention.after(), 2
        elif _CONTACT.search(before):
            score = 2
        if day <= today:
            continue
        if best is None or score > best[0]:
            best = (score, -index, day)
    return best[2] if best else None
