"""Numbers written as words, in the five languages, rewritten as digits before a text is read (R15).

"December third at ten thirty", "el tres de diciembre a las diez", "am dritten Dezember um zehn
Uhr", "à quinze heures trente", "dia três às duas e meia": once the words are digits, one
grammar of dates and clock times reads them all. The rewrite keeps every character's position
(a number is padded with spaces to the length of its words), so that what the reader finds can
be shown in the original text.

Words that are also other words ("once", "sept", "dez", "elf", "neuf", "um") become digits only
where a time or a date is being said: after "at", "a las", "à", "um", "às", "el", "le", "dia", or
before "hours", "heures", "horas", "Uhr", "h".
"""

from __future__ import annotations

import re

_UNITS = {
    "en": "one two three four five six seven eight nine",
    "es": "uno dos tres cuatro cinco seis siete ocho nueve",
    "fr": "un deux trois quatre cinq six sept huit neuf",
    "de": "ein zwei drei vier fünf sechs sieben acht neun",
    "pt": "um dois três quatro cinco seis sete oito nove",
}
_TEENS = {
    "en": "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen",
    "es": "diez once doce trece catorce quince dieciséis diecisiete dieciocho diecinueve",
    "fr": "dix onze douze treize quatorze quinze seize dix-sept dix-huit dix-neuf",
    "de": "zehn elf zwölf dreizehn vierzehn fünfzehn sechzehn siebzehn achtzehn neunzehn",
    "pt": "dez onze doze treze catorze quinze dezesseis dezessete dezoito dezenove",
}
_TENS = {  # twenty, thirty, forty, fifty (minutes go to 59)
    "en": "twenty thirty forty fifty",
    "es": "veinte treinta cuarenta cincuenta",
    "fr": "vingt trente quarante cinquante",
    "de": "zwanzig dreißig vierzig fünfzig",
    "pt": "vinte trinta quarenta cinquenta",
}
_ORDINALS_EN = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
_ORDINALS_DE = [
    "erst",
    "zweit",
    "dritt",
    "viert",
    "fünft",
    "sechst",
    "siebt",
    "acht",
    "neunt",
    "zehnt",
    "elft",
    "zwölft",
    "dreizehnt",
    "vierzehnt",
    "fünfzehnt",
    "sechzehnt",
    "siebzehnt",
    "achtzehnt",
    "neunzehnt",
    "zwanzigst",
]


def _compound(language: str, tens: str, unit: str, value: int) -> list[str]:
    if language == "en":
        return [f"{tens}-{unit}", f"{tens} {unit}"]
    if language == "es":
        return [f"{tens} y {unit}"] + ([f"veinti{unit}"] if tens == "veinte" else [])
    if language == "fr":
        return [f"{tens} et {unit}", f"{tens}-et-{unit}"] if value % 10 == 1 else [f"{tens}-{unit}", f"{tens} {unit}"]
    if language == "de":
        return [f"{unit}und{tens}"]
    return [f"{tens} e {unit}"]


def _cardinals() -> dict[str, int]:
    words: dict[str, int] = {}
    for language in _UNITS:
        units = _UNITS[language].split()
        for value, word in enumerate(units, 1):
            words[word] = value
        for value, word in enumerate(_TEENS[language].split(), 10):
            words[word] = value
        for step, tens in enumerate(_TENS[language].split(), 2):
            words[tens] = step * 10
            for value, unit in enumerate(units, 1):
                for form in _compound(language, tens, unit, step * 10 + value):
                    words[form] = step * 10 + value
    words.update({"veintidós": 22, "veintitrés": 23, "veintiséis": 26, "veintiún": 21, "dieciseis": 16,
                  "veintidos": 22, "veintitres": 23, "veintiseis": 26, "tres": 3, "três": 3, "uma": 1, "duas": 2,
                  "quatorze": 14, "dezasseis": 16, "dezassete": 17, "dezanove": 19, "eins": 1})  # fmt: skip
    words.update({f"vinte e {u}": 20 + v for u, v in (("uma", 1), ("duas", 2))})
    words.update({f"trinta e {u}": 30 + v for u, v in (("uma", 1), ("duas", 2))})
    words.pop("ein")  # the German article; "eins" is the number
    return words


def _ordinals() -> dict[str, int]:
    words: dict[str, int] = {w: n for n, w in enumerate(_ORDINALS_EN, 1)}
    for tens, value in (("twenty", 20), ("thirty", 30)):
        words[f"{tens[:-1]}ieth"] = value
        for unit, n in zip(_ORDINALS_EN[:9], range(1, 10), strict=True):
            words[f"{tens}-{unit}"] = words[f"{tens} {unit}"] = value + n
    for n, stem in enumerate(_ORDINALS_DE, 1):
        for ending in ("e", "en", "er", "em", "es"):
            words[stem + ending] = n
    for unit, n in zip(_UNITS["de"].split(), range(1, 10), strict=True):
        for tens, value in (("zwanzig", 20), ("dreißig", 30)):
            for ending in ("ste", "sten", "ster", "stem"):
                words[f"{unit}und{tens}{ending}"] = value + n
    for ending in ("ste", "sten", "ster", "stem"):
        words[f"dreißig{ending}"] = 30
    words.update({"premier": 1, "première": 1, "primero": 1, "primer": 1, "primeiro": 1})
    return words


CARDINALS = _cardinals()
ORDINALS = _ordinals()
# Words that are also ordinary words: digits only where a time or a date is being said.
_RISKY = {"once", "sept", "dez", "elf", "neuf", "un", "um", "uma", "uno", "first", "second", "seis", "sete"}
_MINUTES = {"fifteen": 15, "thirty": 30, "forty-five": 45, "forty five": 45, "quinze": 15, "trente": 30,
            "quarante-cinq": 45, "quince": 15, "treinta": 30, "dreißig": 30, "trinta": 30}  # fmt: skip
_WORD = "|".join(sorted(map(re.escape, {*CARDINALS, *ORDINALS}), key=len, reverse=True))
_NUMBER_RE = re.compile(rf"(?<![\w-])({_WORD})(?![\w-])")
_TIME_BEFORE = re.compile(
    r"(?:\bat|\ba las|\bla|\bà|\bas|\bàs|\bum|\bgegen|\bvers|\bel|\ble|\bdia|\bdem|\bden|\bam|\bthe|\bon the"
    r"|\bjanuary|\bfebruary|\bmarch|\bapril|\bmay|\bjune|\bjuly|\baugust|\bseptember|\boctober|\bnovember"
    r"|\bdecember)\s+$"
)
_TIME_AFTER = re.compile(
    r"^\s*(?:hours?|heures?|horas?|uhr|h\b|o'clock|y media|et demie|e meia|de la|du|da|de|of|am\b|pm\b|a\.m|p\.m"
    r"|janvier|février|décembre|dezember|januar|diciembre|enero|dezembro|janeiro)"
)


# "the first one", "second option": an ordinal before such a noun is a position, not a day.
_POSITION_NOUN = re.compile(
    r"^\s+(?:one|ones|option|options|slot|slots|time|times|choice|choices|thing|week|weeks|step|call|meeting|round"
    r"|half|quarter|of them|of those|opción|option|opção|opcao|vez|fois|mal|termin)\b"
)


def _as_digits(match: re.Match[str], text: str) -> str | None:
    word = match[1]
    if word in ORDINALS and word not in CARDINALS and _POSITION_NOUN.match(text[match.end() :]):
        return None
    context = bool(_TIME_BEFORE.search(text[max(0, match.start() - 14) : match.start()]))
    context = context or bool(_TIME_AFTER.match(text[match.end() :]))
    if word in _RISKY and not context:
        return None
    if word in CARDINALS:
        return str(CARDINALS[word])
    value = ORDINALS[word]
    if word.isascii() and word[-2:] in ("st", "nd", "rd", "th"):
        return f"{value}th"  # "the third" -> "the 3th": the day-of-month grammar takes any suffix
    return f"{value}." if word[-1] in "nrmse" and word not in ("premier", "première") else str(value)


def words_to_digits(text: str) -> str:
    """`text` (lowercase) with numbers in words written as digits, every position kept."""
    out = list(text)
    done = 0
    for match in _NUMBER_RE.finditer(text):
        if match.start() < done or (digits := _as_digits(match, text)) is None:
            continue
        end = match.end()
        minutes = re.match(rf"\s+({'|'.join(map(re.escape, _MINUTES))})(?![\w-])", text[end:])
        if minutes and digits.isdigit() and int(digits) <= 23:  # "ten thirty"
            end += minutes.end()
            digits = f"{digits}:{_MINUTES[minutes[1]]:02d}"
        out[match.start() : end] = list(digits.ljust(end - match.start()))
        done = end
    return "".join(out)
