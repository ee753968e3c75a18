"""The one vocabulary of time expressions, English, Spanish, French, German and Portuguese, as data.

Rules R2-R18 (evals/booking/README.md, evals/times/README.md) read these words; the resolution
logic lives apart (`days.py`, `clock.py`, `reading.py`) so that adding a phrasing is a one-line
change here.
"""

from __future__ import annotations

import re

WEEKDAYS = {
    0: "monday lunes lundi montag segunda-feira segunda",
    1: "tuesday tues tue martes mardi dienstag terça-feira terca-feira terça terca",
    2: "wednesday wed miércoles miercoles mercredi mittwoch quarta-feira quarta",
    3: "thursday thurs thur thu jueves jeudi donnerstag quinta-feira quinta",
    4: "friday fri viernes vendredi freitag sexta-feira sexta",
    5: "saturday sábado sabado samedi samstag",
    6: "sunday domingo dimanche sonntag",
}
WEEKDAY = {word: number for number, words in WEEKDAYS.items() for word in words.split()}
# Portuguese weekday names are also ordinals ("segunda vez", "quarta parte"): not before such a noun.
_NOT_A_DAY = r"(?!\s+(?:vez|vezes|opção|opcao|parte|semana|quinzena|metade|reunião|chamada|etapa|fase|rodada))"
WEEKDAY_RE = (
    "(?:"
    + "|".join(sorted(map(re.escape, WEEKDAY), key=len, reverse=True))
    + r")\.?"
    + _NOT_A_DAY
    + r"|(?:mon|sat|sun)\.?(?=\s*(?:at\b|\d))"  # words too: only as an abbreviation before a time or date
)
WEEKDAY.update({"mon": 0, "sat": 5, "sun": 6})

MONTHS = {
    1: "january jan enero janvier januar jänner janeiro",
    2: "february feb febrero février fevrier februar fevereiro",
    3: "march mar marzo mars märz maerz março marco",
    4: "april apr abril avril",
    5: "may mayo mai maio",
    6: "june jun junio juin juni junho",
    7: "july jul julio juillet juli julho",
    8: "august aug agosto août aout",
    9: "september sept sep septiembre setiembre septembre setembro",
    10: "october oct octubre octobre oktober okt outubro",
    11: "november nov noviembre novembre novembro",
    12: "december dec diciembre décembre decembre dezember dez dezembro",
}
MONTH = {word: number for number, words in MONTHS.items() for word in words.split()}
MONTH_RE = "(?:" + "|".join(sorted(map(re.escape, MONTH), key=len, reverse=True)) + r")\.?"
# A month named alone is a period ("December works"), except words that are also other words.
LONE_MONTH_RE = "(?:" + "|".join(w for w in MONTH if len(w) > 4 and w not in ("march", "mars", "marco")) + ")"

NUMBER_WORDS = {"a": 1, "an": 1, "a couple of": 2, "couple of": 2}  # the others are digits by now (numbers.py)
NUMBER_RE = r"\d{1,2}|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True))

# Relative weeks (R6, R12): how many weeks ahead each phrase points.
WEEK_AHEAD = [
    (r"(?:the )?week after next|übernächste[nr]? woche", 2),
    (r"next week|the following week|the week after|(?:la )?semaine prochaine|(?:la )?semana que viene"
     r"|(?:la )?próxima semana|(?:la )?proxima semana|nächste[nr]? woche|naechste[nr]? woche|kommende[nr]? woche"
     r"|(?:na |a )?semana que vem|(?:na |a )?próxima semana", 1),
]  # fmt: skip
UNIT_WEEKS = r"weeks?|semanas?|semaines?|wochen?"

# R5: named windows, minutes after midnight. Longest phrases first.
WINDOWS: list[tuple[str, tuple[int, int]]] = [
    (r"late morning", (600, 720)),
    (r"early afternoon", (720, 900)),
    (r"late afternoon", (900, 1020)),
    (r"end of (?:the )?(?:business )?day|eod|cob|close of business|(?:en )?fin de (?:la )?journée"
     r"|(?:al )?final del día|(?:no )?final do dia", (960, 1020)),
    (r"lunch ?time|lunch|mediod[ií]a\b(?! *a las)", (720, 780)),
    (r"por la mañana|por la manana|in the morning|dans la matinée|vormittags?|mornings?|matin(?:ée)?"
     r"|de manhã|pela manhã|de manha|pela manha|am vormittag", (540, 720)),
    (r"por la tarde|in the afternoon|après-midi|apres-midi|am nachmittag|nachmittags?|afternoons?"
     r"|à tarde|a tarde|pela tarde|de tarde|tarde", (720, 1020)),
    (r"in the evening|evenings?|tonight|at night|nights?|am abend|abends?|soir(?:ée)?|por la noche|de noche|noche"
     r"|à noite|a noite|de noite|noite", (1020, 1200)),
]  # fmt: skip
WINDOW_RE = "|".join(f"(?:{pattern})" for pattern, _ in WINDOWS)


def window_for(phrase: str) -> tuple[int, int]:
    for pattern, window in WINDOWS:
        if re.fullmatch(pattern, phrase):
            return window
    raise KeyError(phrase)


# A day part after a clock time decides am or pm (R3): "4 de la tarde", "9 in the morning".
DAYPART_AM = r"in the morning|de la mañana|de la manana|du matin|morgens|vormittags|da manhã|da manha"
DAYPART_PM = (
    r"in the afternoon|in the evening|de la tarde|de la noche|de l'après-midi|du soir|nachmittags|abends|at night"
    r"|da tarde|da noite"
)

# After "at 3": words that say the 3 is a time. Any other word ("at 3 locations") says it is not.
TIME_FOLLOWERS = frozenset(
    [
        "on",
        "works",
        "work",
        "worked",
        "is",
        "would",
        "should",
        "could",
        "will",
        "tomorrow",
        "today",
        "then",
        "please",
        "if",
        "for",
        "my",
        "your",
        "in",
        "ok",
        "okay",
        "sounds",
        "suits",
        "suit",
        "that",
        "this",
        "next",
        "or",
        "and",
        "instead",
        "o'clock",
        "oclock",
        "ish",
        "sharp",
        "de",
        "du",
        "a",
        "à",
        "uhr",
        "passt",
        "geht",
        "ist",
        "wäre",
        "est",
        "es",
        "me",
        "te",
        "nos",
        "ça",
        "ca",
        "por",
        "la",
        "le",
        "el",
        "am",
        "pm",
        "any",
        "every",
        "the",
        "ideally",
        "latest",
        "earliest",
        "at",
        "with",
        # Spanish, French, German, Portuguese
        "funciona", "serve", "pode", "podemos", "está", "esta", "dá", "fica", "convient", "marche", "va", "irait",
        "klappt", "würde", "funktioniert", "oder", "ou", "o", "y", "e", "et", "und", "bis", "até", "hasta",
        "na", "no", "em", "da", "do", "des", "del", "às", "as", "hoy", "mañana", "demain", "morgen", "amanhã",
        "hoje", "heute", "aujourd'hui", "sí", "si", "vale", "bien", "gut", "bom", "parfait", "perfeito",
    ]
)  # fmt: skip

# Negative clauses: a time named there is one the prospect cannot do.
NEGATIVE_RE = re.compile(
    r"\b(?:can't|cant|cannot|can not|won't|wont|doesn't|does not|don't|do not|isn't|is not|not available|no longer"
    r"|is out|are out|is bad|are bad|bad for me|doesn't suit|does not suit|packed|fully booked|booked up"
    r"|slammed|swamped|unavailable|out of (?:the )?office|won't work|no good"
    r"|ne peux pas|pas possible|ne suis pas disponible|kann nicht|kann ich nicht|geht nicht|passt nicht|no puedo"
    r"|no me va|no me viene|no podré|não posso|nao posso|não dá|nao da|não consigo|não vou poder|não estou"
    r"|anything but|any day but|any time but|except|other than)\b"
    # A clause that opens with "not": "Not Tuesday, but Wednesday at 10".
    r"|^\s*not\b"
)
# Where a clause ends, for deciding which clause a mention belongs to.
CLAUSE_BREAK_RE = re.compile(
    r"[.;!?,](?=\s|$)|\s[-—–]\s|—|–|(?<!anything )(?<!any day )(?<!any time )\bbut\b"
    r"|\bhow about\b|\bwhat about\b|\binstead\b|\baber\b|\bpero\b|\bmais\b|\bmas\b|\bsondern\b"
)
# Words that join alternatives (R7).
JOIN_RE = re.compile(r"[\s,]*(?:or|oder|ou|o|or maybe|or else|and|und|et|y|e|/)[\s,]*")
CANCEL_RE = re.compile(
    r"\b(?:cancel(?:l?ed|l?ing)?|call(?:ing)? (?:it |this |that )?off|called off|annul(?:er|ez)?|absagen|stornieren"
    r"|cancelar|anular|desmarcar)\b"
)
# "our Thursday call", "tomorrow's demo": the meeting that exists, not a new time.
MEETING_NOUN = r"(?:call|meeting|demo|session|chat|appointment|intro|conversation|reunião|reunion|réunion|termin)"
