"""Days and periods named in a text, resolved on the prospect's calendar (rules R4, R6, R12, R16, R17).

A `Day` is one date (or, when people disagree about it, several); a `Period` is a stretch of
days ("next week", "end of the month", "Q2", "the week of December 7"). Weekdays are placed in
the relative week written next to them ("next week on Tuesday", "Dienstag übernächste Woche").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from agent.timex import vocabulary as v
from agent.timex import zones
from agent.timex.scan import Frame, Scanner

_ORDINAL = r"(?:st|nd|rd|th|er|º|ª|\.)?"
_YEAR = r"(?:,?\s+(?:de\s+|of\s+)?(20\d\d))?"


@dataclass
class Day:
    start: int
    end: int
    dates: list[date]
    ambiguous: bool = False
    impossible: bool = False
    weekday: int | None = None  # a bare weekday, which a date or a relative week next to it pins down
    written: bool = False  # a calendar date as written ("December 3", "the 9th")
    window: tuple[int, int] | None = None  # "this afternoon", "Mittwochvormittag"
    after_anchor: bool = False  # "the Monday after": after the day named before it


@dataclass
class Period:
    start: int
    end: int
    first: date | None  # the calendar span; None for "sometime soon", "after the holidays"
    last: date | None
    monday: date | None = None  # a relative week ("next week", "in 3 weeks"): its Monday
    proposal: bool = True  # False: a holiday, a point people avoid rather than propose
    days: list[Day] = field(default_factory=list)


def monday_of(day: date, weeks_ahead: int = 0) -> date:
    return day - timedelta(days=day.weekday()) + timedelta(weeks=weeks_ahead)


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _month_day(today: date, month: int, day: int, year: int | None = None) -> Day | None:
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    if year is None:
        year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
    try:
        return Day(0, 0, [date(year, month, day)], written=True)
    except ValueError:
        return Day(0, 0, [], impossible=True, written=True)


def _nth(today: date, day: int) -> Day | None:
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) > today:
            found = date(year, month, day)
            if today.day == day:  # said on the Nth itself: next month's, or today?
                return Day(0, 0, [found, today], ambiguous=True, written=True)
            return Day(0, 0, [found], written=True)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _place(day: Day | None, match: re.Match[str]) -> Day | None:
    if day is not None:
        day.start, day.end = match.start(), match.end()
    return day


def _year(text: str | None) -> int | None:
    return None if not text else int(text) + (2000 if len(text) == 2 else 0)


def find_days(s: Scanner, f: Frame) -> list[Day]:
    today, found = f.today, []
    for m in s.find(r"\b(20\d\d)-(\d\d)-(\d\d)\b"):
        found.append(_place(_month_day(today, int(m[2]), int(m[3]), int(m[1])), m))
    for m in s.find(r"(?<![\d.:/,])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2}(?!\d))?(?![\d,])"):  # D.M. always
        found.append(_place(_month_day(today, int(m[2]), int(m[1]), _year(m[3])), m))
    # R18: "3/4 of the team", "24/7" are not dates.
    for m in s.find(
        r"(?<![\d.:/$€£])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/%])(?!\s+(?:of|de|des|del|der|das|do|da)\b)"
    ):
        a, b = int(m[1]), int(m[2])
        if (a, b) == (24, 7):
            continue
        month, day = (a, b) if zones.month_first(f.prospect_name) else (b, a)
        if month > 12 >= day:
            month, day = day, month
        found.append(_place(_month_day(today, month, day, _year(m[3])), m))
    for m in s.find(rf"\b({v.MONTH_RE})\s+(\d{{1,2}}){_ORDINAL}{_YEAR}(?![\d:])"):
        month = v.MONTH[m[1].rstrip(".")]
        found.append(_place(_month_day(today, month, int(m[2]), _year(m[3])), m))
    for m in s.find(
        rf"(?:\b(?:le|el|the|am|den|dia|o dia|no dia)\s+)?\b(\d{{1,2}}){_ORDINAL}\s+(?:of\s+|de\s+)?({v.MONTH_RE})"
        rf"(?!\w){_YEAR}"
    ):
        found.append(_place(_month_day(today, v.MONTH[m[2].rstrip(".")], int(m[1]), _year(m[3])), m))
    found += _weekdays(s, today)
    relative_days = [
        (r"\b(?:the day after tomorrow|day after tomorrow|übermorgen|pasado mañana|après-demain"
         r"|depois de amanhã|depois de amanha)\b", 2, None),
        (r"\b(?:tomorrow|tmrw|tomorow|demain|(?<!la )(?<!la\s)mañana(?! por)|(?<!am )(?<!guten )morgen"
         r"|amanhã|amanha)(?![\w-])", 1, None),
        (r"\b(?:today|hoy|aujourd'hui|heute|hoje)\b", 0, None),
        (r"\b(?:yesterday|ayer|hier|gestern|ontem)\b", -1, None),
        (r"\bthis morning\b|\bheute (?:vormittag|morgen)\b|\bce matin\b|\besta mañana\b|\besta manhã\b", 0,
         (540, 720)),
        (r"\bthis afternoon\b|\bheute nachmittag\b|\bcet après-midi\b|\besta tarde\b", 0, (720, 1020)),
        (r"\bthis evening\b|\btonight\b|\bheute abend\b|\bce soir\b|\besta noche\b|\besta noite\b", 0,
         (1020, 1200)),
    ]  # fmt: skip
    for pattern, offset, window in relative_days:
        for m in s.find(pattern):
            found.append(Day(m.start(), m.end(), [today + timedelta(days=offset)], window=window))
    for m in s.find(r"\b(?:in|en|dans|em|within|daqui a)\s+(\d{1,2}|a|one)\s+(?:days?|días|dias|jours?|tagen?)\b"):
        found.append(Day(m.start(), m.end(), [today + timedelta(days=1 if not m[1].isdigit() else int(m[1]))]))
    for m in s.find(r"\b(?:the\s+)?same day\b|\bmesmo dia\b|\bmismo día\b|\bmême jour\b|\bselben tag\b"):
        if f.existing is not None:
            found.append(Day(m.start(), m.end(), [f.existing.astimezone(f.prospect).date()]))
    not_a_time = r"(?![\d:]|\.\d|\s*(?:am|pm|a\.m|p\.m|h\b|uhr|hrs|o'clock|\$|%|k\b))"
    for pattern in (
        rf"\b(?:on the|the|le|el|den|el día|el dia|dia|día|o dia|no dia)\s+(\d{{1,2}})(?:st|nd|rd|th|er|º|\.)?"
        rf"{not_a_time}",
        rf"\bon\s+(\d{{1,2}})(?:st|nd|rd|th){not_a_time}",
        r"\b(?:am|ab dem|vom|bis zum)\s+(\d{1,2})\.(?!\d)",
    ):
        for m in s.find(pattern):
            found.append(_place(_nth(today, int(m[1])), m))
    return _merge_weekday_dates(s, [d for d in found if d is not None])


def _weekdays(s: Scanner, today: date) -> list[Day]:
    wd = rf"({v.WEEKDAY_RE})"
    forms: list[tuple[str, str]] = [
        (rf"\b{wd}\s+(?:of\s+)?the week after next\b|\bübernächste[nr]?\s+{wd}", "after_next"),
        (rf"\b{wd}\s+(?:of\s+)?next week\b|\bnext week(?:'s)?\s+{wd}", "next_week"),
        (rf"\b(?:next|this coming|coming)\s+{wd}|\b{wd}\s+(?:prochain|que viene|que vem|próximo)\b"
         rf"|\b(?:nächsten|nächster|naechsten|el próximo|el proximo|próximo|proximo|próxima|proxima)\s+{wd}", "next"),
        (rf"\b(?:this|ce|este|esta|essa|nesta|nessa|diesen|kommenden)\s+{wd}", "this"),
        (rf"\b(?:last|past|previous|dernier|pasado|letzten|vergangenen)\s+{wd}"
         rf"|\b{wd}\s+(?:dernier|pasado|passado|passada)\b", "last"),
        (rf"\bthe\s+{wd}\s+after\b(?!\s+next)", "after"),
        (rf"\b{wd}(vormittag|nachmittag|abend|mittag|morgen)?(?![\w'])(?:'s)?", "bare"),
    ]  # fmt: skip
    found = []
    for pattern, form in forms:
        for m in s.find(pattern):
            name = next(g for g in m.groups() if g and g.rstrip(".") in v.WEEKDAY).rstrip(".")
            found.append(_weekday(today, v.WEEKDAY[name], form, m))
    return found


def _weekday(today: date, weekday: int, form: str, m: re.Match[str]) -> Day:
    this_week = today + timedelta(days=weekday - today.weekday())
    day = Day(m.start(), m.end(), [])
    if form == "after_next":
        day.dates = [monday_of(today, 2) + timedelta(days=weekday)]
    elif form == "next_week":
        day.dates = [monday_of(today, 1) + timedelta(days=weekday)]
    elif form == "next":
        following = monday_of(today, 1) + timedelta(days=weekday)
        # R4: still ahead this week, "next Wednesday" could be either.
        day.dates = [following, this_week] if weekday > today.weekday() else [following]
        day.ambiguous = len(day.dates) > 1
    elif form == "this":
        day.dates = [today + timedelta(days=(weekday - today.weekday()) % 7)]
    elif form == "last":
        day.dates = [today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)]
    else:
        day.dates, day.weekday = [_next_weekday(today, weekday)], weekday
        day.after_anchor = form == "after"
        suffix = m.groups()[-1] if form == "bare" else None
        if suffix:
            day.window = {"vormittag": (540, 720), "nachmittag": (720, 1020), "abend": (1020, 1200)}.get(
                suffix, (540, 720) if suffix == "morgen" else (720, 780)
            )
    return day


def _merge_weekday_dates(s: Scanner, days: list[Day]) -> list[Day]:
    """R4: "Wednesday, December 3" names one day; when the two disagree, both readings stand."""
    days.sort(key=lambda d: d.start)
    out: list[Day] = []
    for day in days:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.weekday is not None
            and day.written
            and re.fullmatch(r"[\s,]*(?:the\s+|der\s+|le\s+|el\s+|den\s+|dia\s+)?", s.low[previous.end : day.start])
        ):
            if day.impossible or not day.dates:
                out[-1] = day
                continue
            written = day.dates[0]
            if written.weekday() == previous.weekday and not day.ambiguous:
                merged = Day(previous.start, day.end, [written], written=True, window=previous.window)
            else:
                back = written - timedelta(days=(written.weekday() - previous.weekday) % 7)
                ahead = written + timedelta(days=(previous.weekday - written.weekday()) % 7)
                nearest = back if (written - back) <= (ahead - written) else ahead
                merged = Day(previous.start, day.end, [written, nearest], ambiguous=True, written=True)
            out[-1] = merged
            continue
        out.append(day)
    return out


def _last_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_start(today: date, months_ahead: int) -> date:
    index = today.month - 1 + months_ahead
    return date(today.year + index // 12, index % 12 + 1, 1)


_PARTS = (
    "early", "mid", "middle of", "late", "end of", "the end of", "beginning of", "start of", "in", "towards the end of",
    "by the end of", "principios de", "principios del", "a principios de", "a principios del", "mediados de",
    "mediados del", "a mediados de", "a mediados del", "finales de", "finales del", "a finales de", "a finales del",
    "fin de", "en", "début", "début du", "mi", "fin", "fin du", "courant", "anfang", "mitte", "ende", "im",
    "início de", "início do", "inicio de", "meados de", "meados do", "final de", "final do", "fim de", "fim do", "em",
)  # fmt: skip
_PART = "(" + "|".join(sorted(map(re.escape, _PARTS), key=len, reverse=True)) + ")"
_EARLY = ("early", "beginning", "start", "principios", "a principios", "début", "anfang", "início", "inicio")
_MID = ("mid", "middle", "mediados", "a mediados", "mi", "mitte", "meados")
_LATE = ("late", "end", "the end", "towards", "by the end", "finales", "a finales", "fin", "ende", "final", "fim")


def _part_span(part: str | None, year: int, month: int) -> tuple[date, date]:
    last = calendar.monthrange(year, month)[1]
    head = re.sub(r"\s+(?:of|de|del|du|do)$", "", (part or "").strip())
    if head in _EARLY:
        lo, hi = 1, 10
    elif head in _MID:
        lo, hi = 11, 20
    elif head.startswith(_LATE):
        lo, hi = 21, last
    else:
        lo, hi = 1, last
    return date(year, month, lo), date(year, month, hi)


def find_periods(s: Scanner, f: Frame) -> list[Period]:
    today, found = f.today, []

    def add(m: re.Match[str], first: date | None, last: date | None, **extra: object) -> None:
        found.append(Period(m.start(), m.end(), first, last, **extra))  # type: ignore[arg-type]

    def week(m: re.Match[str], monday: date) -> None:
        add(m, monday, monday + timedelta(days=6), monday=monday)

    for m in s.find(r"\bearly next week\b|\bdébut de la semaine prochaine\b|\banfang nächster woche\b"
                    r"|\bprincipios de la semana que viene\b|\binício da próxima semana\b"):  # fmt: skip
        add(m, monday_of(today, 1), monday_of(today, 1) + timedelta(days=1))
    for m in s.find(r"\bthe week after (thanksgiving|christmas)\b"):
        monday = monday_of(_holiday(m[1], today), 1)
        add(m, monday, monday + timedelta(days=6))
    for pattern, ahead in v.WEEK_AHEAD:
        for m in s.find(rf"\b(?:{pattern})\b"):
            week(m, monday_of(today, ahead))
    for m in s.find(rf"\b(?:in|en|dans|em|daqui a|within)\s+(\d{{1,2}}|a couple of|couple of)\s+(?:{v.UNIT_WEEKS})\b"
                    r"(?:'\s*time)?"):  # fmt: skip
        weeks = int(m[1]) if m[1] and m[1].isdigit() else 2
        week(m, monday_of(today + timedelta(weeks=weeks)))
    for m in s.find(r"\b(?:later this week|this week|end of (?:the|this) week|diese woche|cette semaine|esta semana"
                    r"|nesta semana|essa semana)\b"):  # fmt: skip
        add(m, today + timedelta(days=1), monday_of(today) + timedelta(days=6))
    next_month = r"(?:next month|le mois prochain|du mois prochain|el mes que viene|del mes que viene|el próximo mes" \
                 r"|del próximo mes|nächsten monats|nächsten monat|nächster monat|do próximo mês|próximo mês" \
                 r"|do mês que vem|mês que vem)"  # fmt: skip
    for m in s.find(rf"\b{_PART}?\s*(?:the\s+)?{next_month}"):
        start = _month_start(today, 1)
        add(m, *_part_span(m[1], start.year, start.month))
    this_month = r"(?:(?:the|this) month|month[- ]end|(?:de |du |del |des )?mes|(?:du |de )?mois|des monats" \
                 r"|monatsende|(?:do |de )?mês|(?:do |de )?mes)"  # fmt: skip
    for m in s.find(rf"\b(?:towards? (?:the )?|at the |by the |a |à la |au |no |na )?"
                    rf"(end of|fin de|fin du|finales de|ende|final do|final de|fim do|fim de)\s+{this_month}\b"
                    r"|\bmonatsende\b|\bmonth[- ]end\b"):  # fmt: skip
        add(m, max(today.replace(day=21), today), _last_of_month(today.year, today.month))
    for m in s.find(rf"\b{_PART}?[\s-]*(?:de\s+|of\s+)?({v.MONTH_RE})(?!\w)\s*(?:de\s+)?(20\d\d)\b"):
        month, year = v.MONTH[m[2].rstrip(".")], int(m[3])
        add(m, *_part_span(m[1], year, month))
    for m in s.find(rf"\b{_PART}[\s-]*(?:de\s+)?({v.MONTH_RE})(?!\w)(?!\s*\d)|\b({v.LONE_MONTH_RE})\b(?!\s*\d)"):
        month = v.MONTH[(m[2] or m[3]).rstrip(".")]
        year = today.year if month >= today.month else today.year + 1
        add(m, *_part_span(m[1], year, month))
    for m in s.find(r"\b(?:end of |fin (?:du |de )?|ende |final d[oe] )?(?:q|quarter |trimestre |quartal )([1-4])\b"
                    r"(?:\s+(20\d\d))?"):  # fmt: skip
        first_month = 3 * (int(m[1]) - 1) + 1
        year = int(m[2]) if m[2] else (today.year if first_month + 2 >= today.month else today.year + 1)
        first, last = date(year, first_month, 1), _last_of_month(year, first_month + 2)
        add(m, *((last, last) if m[0].startswith(("end", "fin", "ende", "final")) else (first, last)))
    for m in s.find(
        r"\b(?:next year|the new year|new year|el año que viene|el próximo año|el proximo año"
        r"|l'année prochaine|l'an prochain|nächstes jahr|nächsten jahr|ano que vem|próximo ano)\b"
    ):
        add(m, date(today.year + 1, 1, 1), date(today.year + 1, 12, 31))
    for m in s.find(r"\b(?:in|en|dans|em|within)\s+(\d{1,2}|a|one)\s+(months?|meses|mois|monaten?|years?|años"
                    r"|anos?|ans?|jahren?)\b"):  # fmt: skip
        amount = int(m[1]) if m[1].isdigit() else 1
        months = amount if m[2].startswith(("month", "mes", "mois", "monat")) else 12 * amount
        start = _month_start(today, months)
        day = start.replace(day=min(today.day, calendar.monthrange(start.year, start.month)[1]))
        add(m, day, day)
    for m in s.find(r"\b(thanksgiving|reyes|christmas|navidad|noël|noel|weihnachten|natal)\b"):
        day = _holiday(m[1], today)
        add(m, day, day, proposal=False)
    for m in s.find(
        r"\b(?:sometime soon|some time soon|soon|after the holidays|after the new year|in the new year"
        r"|when things (?:calm|settle|quiet) down|down the road|at some point|a few weeks|later on|later)\b"
    ):
        add(m, None, None)
    return found


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _holiday(name: str, today: date) -> date:
    if name == "thanksgiving":
        day = _thanksgiving(today.year)
        return day if day >= today else _thanksgiving(today.year + 1)
    month, day_of_month = (1, 6) if name == "reyes" else (12, 25)
    candidate = date(today.year, month, day_of_month)
    return candidate if candidate >= today else date(today.year + 1, month, day_of_month)


_WEEK_OF = re.compile(
    r"(?:\bthe\s+week\s+of\s+(?:the\s+)?|\bsemaine\s+du\s+|\bsemana\s+del?\s+(?:día\s+)?|\bwoche\s+(?:vom|ab\s+dem)\s+"
    r"|\bsemana\s+(?:de|do)\s+(?:dia\s+)?)$"
)


def place_days(s: Scanner, f: Frame, days: list[Day], periods: list[Period]) -> tuple[list[Day], list[Period]]:
    """R17 "the week of <date>" is a period; R12 a bare weekday goes into the relative week near it;
    "the Monday after" follows the day or period named before it."""
    kept: list[Day] = []
    for day in days:
        if day.written and day.dates and _WEEK_OF.search(s.low[max(0, day.start - 25) : day.start]):
            monday = monday_of(day.dates[0])
            periods.append(Period(day.start, day.end, monday, monday + timedelta(days=6)))
        else:
            kept.append(day)
    weeks = [p for p in periods if p.monday is not None and p.monday > f.today]
    for day in kept:
        if day.weekday is None or day.after_anchor:
            continue
        first, stop = s.sentence_of(day.start)
        same = [p for p in weeks if first <= p.start < stop]
        earlier = [p for p in weeks if p.end <= day.start]
        week = min(same, key=lambda p: abs(p.start - day.start)) if same else max(earlier, key=lambda p: p.start,
                                                                                   default=None)  # fmt: skip
        if week is not None and week.monday is not None:
            day.dates = [week.monday + timedelta(days=day.weekday)]
            week.days.append(day)
    for day in kept:
        if day.after_anchor and day.weekday is not None:
            mentions: list[Day | Period] = [*kept, *periods]
            others = [x for x in mentions if x is not day]
            following = [x for x in others if 0 <= x.start - day.end <= 2]
            anchor = following[0] if following else max((x for x in others if x.end <= day.start),
                                                        key=lambda x: x.end, default=None)  # fmt: skip
            last = anchor.dates[-1] if isinstance(anchor, Day) and anchor.dates else None
            last = anchor.last if isinstance(anchor, Period) else last
            if last is not None:
                day.dates = [_next_weekday(last, day.weekday)]
    return kept, [p for p in periods if not p.days]
