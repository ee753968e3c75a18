"""Is a sentence backed by its evidence? A deterministic test for invented specifics.

A model that paraphrases a source keeps its figures and its names; one that invents adds new
ones. So a sentence is supported when every number and every proper name in it appears in the
cited evidence (or is on the allowed list: our own names, the prospect's, the campaign's words).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_NUMBER = re.compile(r"\$?\d[\d,.]*\s?(%|k|m|b|million|billion|thousand|x)?", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-zA-Z&'-]+(?:\s+[A-Z][a-zA-Z&'-]+)*")
_COMMON = frozenset(
    [
        "I",
        "I'm",
        "I've",
        "I'd",
        "We",
        "We're",
        "We've",
        "Our",
        "You",
        "You're",
        "Your",
        "Hi",
        "Hello",
        "Hey",
        "Dear",
        "Thanks",
        "Thank",
        "Best",
        "Regards",
        "Cheers",
        "The",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "It's",
        "Its",
        "A",
        "An",
        "And",
        "But",
        "Or",
        "So",
        "If",
        "When",
        "Would",
        "Could",
        "Can",
        "Do",
        "Does",
        "Did",
        "Is",
        "Are",
        "Was",
        "Were",
        "Happy",
        "Glad",
        "Quick",
        "Just",
        "Also",
        "Any",
        "Are",
        "Worth",
        "Open",
        "How",
        "What",
        "Why",
        "Who",
        "Where",
        "Which",
        "Congrats",
        "Congratulations",
        "Saw",
        "Noticed",
        "Read",
        "Looks",
        "Sounds",
        "Curious",
        "Mind",
        "Let",
        "Not",
        "Since",
        "After",
        "Before",
        "As",
        "At",
        "In",
        "On",
        "For",
        "With",
        "From",
        "By",
        "Of",
        "To",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "PS",
        "P.S.",
        "CEO",
        "COO",
        "CFO",
        "CIO",
        "CTO",
        "VP",
        "SVP",
        "EVP",
        "Director",
        "Head",
        "Manager",
        "Operations",
        "Logistics",
        "Supply",
        "Chain",
        "IT",
    ]
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace(",", ""))


_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_ACRONYM = re.compile(r"[A-Z]{2,4}s?")
_LEAD = re.compile(r"^[\s\"'“‘(\[*-]*")


def numbers(text: str) -> list[str]:
    found = []
    for match in _NUMBER.finditer(_ISO_DATE.sub(" ", text)):
        core = re.sub(r"[^\d.]", "", match.group(0)).strip(".")
        if core and not re.fullmatch(r"[12]\d{3}", core):  # years are dates, not specifics
            found.append(core)
    return found


def names(text: str) -> list[str]:
    """Capitalised runs that look like names. A sentence's capitalised first word is not a name
    unless a second capitalised word follows it; short acronyms (WMS, TMS) are not names."""
    out = []
    start = _LEAD.match(text).end()  # type: ignore[union-attr]
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        if match.start() == start and len(words) == 1:
            continue
        words = [w for w in words if w not in _COMMON and not _ACRONYM.fullmatch(w)]
        if words:
            out.append(" ".join(words))
    return out


def unsupported(sentence: str, evidence: list[str], allowed: Sequence[str] = ()) -> list[str]:
    """The numbers and names in `sentence` that neither the evidence nor `allowed` contains."""
    return Support(evidence, allowed).missing(sentence)


class Support:
    """What a text's sentences may state: the evidence and the allowed terms, read once for all of
    them (a message's checks ask it for every sentence)."""

    def __init__(self, evidence: list[str], allowed: Sequence[str] = ()) -> None:
        self.corpus = _norm(" ".join([*evidence, *allowed]))
        self.numbers = set(numbers(" ".join([*evidence, *allowed])))

    def missing(self, sentence: str) -> list[str]:
        """`unsupported` for one sentence."""
        missing = [n for n in numbers(sentence) if n not in self.numbers]
        for name in names(sentence):
            if not all(word.lower() in self.corpus for word in name.split()):
                missing.append(name)
        return missing
