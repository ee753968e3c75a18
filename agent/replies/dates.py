"""Dates in replies, resolved to real dates in the prospect's time zone (rules in evals/replies/README.md).

"Back on the 3rd", "nach dem 5. Januar", "después de Reyes", "Q2", "Tuesday at 2pm Eastern":
each mention is found with the words around it, then resolved from the prospect's local date
when the reply arrived. A named month, quarter or year means its first day; "after D" means
D + 1 (after a period: the day after it ends); "next week" means that week's Monday; "until X"
means back on X unless the reply says the X was inclusive.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTHS = {
    1: "january jan enero janvier januar jänner janeiro",
    2: "february feb febrero février fevrier februar fevereiro",
    3: "march mar marzo mars märz maerz março marco",
    4: "april apr abril avril",
    5: "may mayo mai maio",
    6: "june jun junio juin juni junho",
    7: "july jul julio juillet juli julho",
    8: "august aug agosto août aout",
    9: "september sep sept septiembre setiembre septembre setembro",
    10: "october oct octubre octobre oktober okt outubro",
    11: "november nov noviembre novembre novembro",
    12: "december dec diciembre décembre decembre dezember dez dezembro",
}
MONTH = {word: number for number, words in _MONTHS.items() for word in words.split()}
_WEEKDAYS = {
    0: "monday mon lunes lundi montag segunda segunda-feira",
    1: "tuesday tue tues martes mardi dienstag terça terca terça-feira",
    2: "wednesday wed miércoles miercoles mercredi mittwoch quarta quarta-feira",
    3: "thursday thu thur thurs jueves jeudi donnerstag quinta quinta-feira",
    4: "friday fri viernes vendredi freitag sexta sexta-feira",
    5: "saturday sat sábado sabado samedi samstag",
    6: "sunday sun domingo dimanche sonntag",
}
WEEKDAY = {word: number for number, words in _WEEKDAYS.items() for word in words.split()}
_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "a": 1,
    "un": 1,
    "une": 1,
    "uno": 1,
    "ein": 1,
    "einem": 1,
    "um": 1,
    "dos": 2,
    "deux": 2,
    "zwei": 2,
    "dois": 2,
    "tres": 3,
    "trois": 3,
    "drei": 3,
    "três": 3,
    "seis": 6,
    "sechs": 6,
    "six mois": 6,
}

_MONTH_RE = "|".join(sorted((re.escape(w) for w in MONTH), key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted((re.escape(w) for w in WEEKDAY), key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th|er|º|ª|\.)?"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(p, re.IGNORECASE))
    for name, p in [
        ("iso", r"\b(20\d\d)-(\d\d)-(\d\d)\b"),
        ("numeric", r"(?<![\d/.:])(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\.?(?![\d/:])"),
        ("month_day", rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}}){_ORD}(?:,?\s+(20\d\d))?\b"),
        ("day_month", rf"\b(\d{{1,2}}){_ORD}\s*(?:of\s+|de\s+)?({_MONTH_RE})\b\.?(?:,?\s+(?:de\s+)?(20\d\d))?"),
        (
            "quarter",
            r"\b(?:end of |fin (?:du |de )?|ende )?(?:q|quarter |trimestre |quartal )([1-4])\b(?:\s+(20\d\d))?",
        ),
        (
            "month",
            rf"\b(early |mid-?|late |end of |beginning of |start of |début |mi-|principios de |mediados de "
            rf"|finales de |fin de |anfang |mitte |ende |início de |meados de |final de )?({_MONTH_RE})\b\.?"
            rf"(?:\s+(20\d\d))?",
        ),
        (
            "next_year",
            r"\b(next year|the new year|new year|el año que viene|el próximo año|el proximo año"
            r"|l'année prochaine|l'an prochain|nächstes jahr|nächsten jahr|ano que vem|próximo ano)\b",
        ),
        (
            "relative",
            r"\b(?:in|en|dans|em|within)\s+(\d+|a|one|two|three|four|six|eight|twelve|un|une|dos|deux|zwei|dois"
            r"|tres|trois|drei|três|seis|sechs)\s+(days?|weeks?|months?|years?|días|dias|semanas?|meses|mois"
            r"|semaines?|ans?|jours?|monaten?|wochen?|tagen?|jahren?|anos?)\b",
        ),
        (
            "next_week",
            r"\b(next week|the week after next|la semana que viene|la próxima semana|la proxima semana"
            r"|la semaine prochaine|nächste woche|nächsten woche|próxima semana|semana que vem)\b",
        ),
        ("tomorrow", r"\b(tomorrow|mañana|demain|morgen|amanhã|amanha)\b"),
        ("week_after", r"\bthe week after (thanksgiving|christmas)\b"),
        ("holiday", r"\b(thanksgiving|reyes|christmas|navidad|noël|noel|weihnachten|natal)\b"),
        ("weekday_after", rf"\bthe ({_WEEKDAY_RE}) after\b"),
        (
            "weekday_day",
            rf"\b({_WEEKDAY_RE}),?\s+(?:the\s+|der\s+|dia\s+)?(\d{{1,2}}){_ORD}(?![\d:/]|\s*(?:am|pm|h|uhr)\b)",
        ),
        ("weekday", rf"\b({_WEEKDAY_RE})\b(?:'s)?"),
        (
            "ordinal",
            r"\b(?:the|le|el|am|dia|on the)\s+(\d{1,2})(?:st|nd|rd|th|er)?\b(?![\d:/]|\.\d|\s*(?:am|pm|h|uhr))",
        ),
    ]
]
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


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    day: date
    period_end: date  # same as day for a point in time
    text: str

    def after(self) -> date:
        return self.period_end + timedelta(days=1)


def _next_month(month: int, today: date, year: str | None = None) -> int:
    if year:
        return int(year)
    return today.year if month >= today.month else today.year + 1


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_weekday(weekday: int, today: date, strictly_after: bool = True) -> date:
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead or (7 if strictly_after else 0))


def _next_day_of_month(day: int, today: date) -> date | None:
    for offset in range(0, 3):
        month = (today.month - 1 + offset) % 12 + 1
        year = today.year + (today.month - 1 + offset) // 12
        candidate = _safe(year, month, day)
        if candidate and candidate > today:
            return candidate
    return None


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _holiday(name: str, today: date) -> date:
    name = name.lower()
    if name == "thanksgiving":
        day = _thanksgiving(today.year)
        return day if day >= today else _thanksgiving(today.year + 1)
    month, day_of_month = (1, 6) if name == "reyes" else (12, 25)
    candidate = date(today.year, month, day_of_month)
    return candidate if candidate >= today else date(today.year + 1, month, day_of_month)


def _resolve(
    kind: str, m: re.Match[str], today: date, language: str, previous: Mention | None
) -> tuple[date, date] | None:
    g = m.groups()
    if kind == "iso":
        d = _safe(int(g[0]), int(g[1]), int(g[2]))
    elif kind == "numeric":
        a, b = int(g[0]), int(g[1])
        month_first = language == "en" and a <= 12
        if a > 12 or (not month_first and b <= 12):
            day, month = a, b
        else:
            month, day = a, b
        if month > 12:
            return None
        year = int(g[2]) + (2000 if g[2] and len(g[2]) == 2 else 0) if g[2] else _next_month(month, today)
        d = _safe(year, month, day)
        if d and not g[2] and d < today:
            d = _safe(year + 1, month, day)
    elif kind == "month_day":
        if g[0].lower() in ("may", "mar", "sat", "sun") and not g[0][0].isupper():
            return None
        month = MONTH[g[0].lower()]
        d = _safe(_next_month(month, today, g[2]), month, int(g[1]))
    elif kind == "day_month":
        month = MONTH[g[1].lower()]
        d = _safe(_next_month(month, today, g[2]), month, int(g[0]))
    elif kind == "quarter":
        month = 3 * (int(g[0]) - 1) + 1
        year = int(g[1]) if g[1] else _next_month(month + 2, today)
        start = date(year, month, 1)
        end = date(year, month + 2, calendar.monthrange(year, month + 2)[1])
        if m.group(0).lower().startswith(("end", "fin", "ende")):
            return end, end
        return start, end
    elif kind == "month":
        word = g[1].lower()
        if word in (
            "may",
            "mar",
            "jan",
            "jun",
            "jul",
            "aug",
            "sep",
            "oct",
            "nov",
            "dec",
            "feb",
            "apr",
            "mai",
            "sat",
            "sun",
            "dez",
            "okt",
        ) and (not g[1][0].isupper() or (word == "may" and not g[2])):
            return None
        month = MONTH[word]
        year = _next_month(month, today, g[2])
        last = calendar.monthrange(year, month)[1]
        modifier = (g[0] or "").strip().lower()
        if modifier.startswith(("mid", "mi-", "mediados", "mitte", "meados")):
            return date(year, month, 15), date(year, month, last)
        if modifier.startswith(("late", "end", "finales", "fin", "ende", "final")):
            return date(year, month, last), date(year, month, last)
        return date(year, month, 1), date(year, month, last)
    elif kind == "next_year":
        return date(today.year + 1, 1, 1), date(today.year + 1, 12, 31)
    elif kind == "relative":
        amount = int(g[0]) if g[0].isdigit() else _NUMBERS.get(g[0].lower(), 1)
        unit = g[1].lower()
        if unit.startswith(("day", "día", "dia", "jour", "tag")):
            d = today + timedelta(days=amount)
        elif unit.startswith(("week", "seman", "semaine", "woche")):
            d = today + timedelta(weeks=amount)
        elif unit.startswith(("month", "mes", "mois", "monat")):
            month0 = today.month - 1 + amount
            year, month = today.year + month0 // 12, month0 % 12 + 1
            d = _safe(year, month, min(today.day, calendar.monthrange(year, month)[1]))
        else:
            d = _safe(today.year + amount, today.month, today.day)
    elif kind == "next_week":
        monday = today + timedelta(days=7 - today.weekday())
        if "after next" in g[0].lower():
            monday += timedelta(days=7)
        return monday, monday + timedelta(days=6)
    elif kind == "tomorrow":
        d = today + timedelta(days=1)
    elif kind == "week_after":
        holiday = _holiday(g[0], today)
        d = holiday + timedelta(days=7 - holiday.weekday())
    elif kind == "holiday":
        d = _holiday(g[0], today)
    elif kind == "weekday_after":
        anchor = previous.period_end if previous else today
        d = _next_weekday(WEEKDAY[g[0].lower()], anchor)
    elif kind == "weekday_day":
        d = _next_day_of_month(int(g[1]), today)
    elif kind == "weekday":
        d = _next_weekday(WEEKDAY[g[0].lower()], today)
    elif kind == "ordinal":
        d = _next_day_of_month(int(g[0]), today)
    else:
        return None
    return (d, d) if d else None


def mentions(text: str, today: date, language: str = "en") -> list[Mention]:
    """Every date mention in the text, earliest in the text first; overlapping matches keep the first kind."""
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    raw: list[tuple[int, int, str, re.Match[str]]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append((m.start(), m.end()))
            raw.append((m.start(), m.end(), kind, m))
    for start, end, kind, m in sorted(raw, key=lambda r: r[0]):
        resolved = _resolve(kind, m, today, language, found[-1] if found else None)
        if resolved:
            found.append(Mention(start, end, resolved[0], resolved[1], m.group(0)))
    # "Tuesday Dec 1", "Friday 10/16": the weekday only confirms the date written next to it.
    found = [
        x
        for i, x in enumerate(found)
        if not (
            WEEKDAY.get(x.text.lower().rstrip(",")) is not None
            and i + 1 < len(found)
            and 0 <= found[i + 1].start - x.end <= 3
        )
    ]
    if re.search(_PATTERNS[8][1], text):  # "next week" moves a bare weekday into that week
        monday = today + timedelta(days=7 - today.weekday())
        found = [
            Mention(x.start, x.end, x.day + timedelta(days=7), x.period_end + timedelta(days=7), x.text)
            if WEEKDAY.get(x.text.lower().rstrip("'s")) is not None and x.day < monday
            else x
            for x in found
        ]
    return found


def _before(text: str, mention: Mention, width: int = 45) -> str:
    return text[max(0, mention.start - width) : mention.start]


def return_date(text: str, today: date, language: str = "en") -> date | None:
    """When an out-of-office prospect is back."""
    best: tuple[int, date] | None = None
    for mention in mentions(text, today, language):
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


def nurture_date(text: str, today: date, language: str = "en") -> date | None:
    """When a not-now prospect asked to be contacted again."""
    best: tuple[int, int, date] | None = None
    for index, mention in enumerate(mentions(text, today, language)):
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


_TIME = re.compile(
    r"(?:\b(noon|midday|mediodía)\b"
    r"|\b(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])"
    r"|\b(\d{1,2})[:h](\d{2})\b(?:\s*(?:uhr|h))?"
    r"|\b(\d{1,2})\s*(?:h|uhr)\b"
    r"|\b(?:at|à|às|as|a las|um|ab)\s+(\d{1,2})\b(?![:/.\d]))",
    re.IGNORECASE,
)
_ZONES = [
    (r"eastern|\bet\b|\best\b|\bedt\b|new york", "America/New_York"),
    (r"central|\bct\b|\bcst\b|\bcdt\b|chicago", "America/Chicago"),
    (r"mountain|\bmt\b|\bmst\b|\bmdt\b|denver", "America/Denver"),
    (r"pacific|\bpt\b|\bpst\b|\bpdt\b", "America/Los_Angeles"),
    (r"\bcet\b|\bcest\b|\bmez\b", "Europe/Berlin"),
    (r"\butc\b|\bgmt\b", "UTC"),
    (r"brasília|brasilia", "America/Sao_Paulo"),
]


def _clock(m: re.Match[str]) -> time | None:
    noon, h1, m1, ampm, h2, m2, h3, h4 = m.groups()
    if noon:
        return time(12, 0)
    if h1:
        hour, minute = int(h1), int(m1 or 0)
        pm = ampm.lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    elif h2:
        hour, minute = int(h2), int(m2)
    elif h3:
        hour, minute = int(h3), 0
    else:
        hour, minute = int(h4), 0
        if hour < 7:  # "at 2" in business talk is the afternoon
            hour += 12
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _zone_after(text: str, end: int, default: ZoneInfo) -> ZoneInfo:
    window = text[end : end + 30].lower()
    window = window.split(",")[0] if "your time" not in window else window
    for pattern, name in _ZONES:
        if re.search(pattern, window):
            return ZoneInfo(name)
    return default


def meeting_times(text: str, received_local: datetime, language: str = "en") -> list[datetime]:
    """Start times the prospect proposes, aware, in the order written (best first)."""
    tz = received_local.tzinfo
    assert isinstance(tz, ZoneInfo)
    days = mentions(text, received_local.date(), language)
    out: list[datetime] = []
    previous_end = -1
    for m in _TIME.finditer(text):
        after = text[m.end() : m.end() + 20].lower()
        if (
            re.search(r"(instead of|rather than|statt|en lugar de|au lieu de|em vez de)\s*$", text[: m.start()])
            or re.match(r"\s*(for you|para ti|pour vous|für sie|pra você)", after)
            or re.match(r"\s*(minutes|min\b|hours?|people|doors|trucks|trailers|%)", after)
        ):
            continue
        clock = _clock(m)
        if clock is None:
            continue
        sentence = max(text.rfind(".", 0, m.start()), text.rfind("?", 0, m.start()), text.rfind("\n", 0, m.start()))
        # "Tuesday or Wednesday, from 2pm": a time belongs to every day named since the previous time.
        named = [d for d in days if max(sentence, previous_end) < d.start < m.start()]
        later = [d for d in days if m.end() <= d.start < m.end() + 25]
        earlier = [d for d in days if d.start < m.start()]
        previous_end = m.end()
        zone = _zone_after(text, m.end(), tz)
        for d in named or later[:1] or earlier[-1:]:
            moment = datetime.combine(d.day, clock, zone).astimezone(tz)
            if moment > received_local and moment not in out:
                out.append(moment)
    return out
