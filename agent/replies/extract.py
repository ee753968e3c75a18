"""The model tier: the fields rules cannot read (quotes for BANT, the referred colleague, a summary),
and the intent when the classifier is unsure.

The reply reaches the model only fenced by the `untrusted` filter, and with the sentences that
try to steer the agent already taken out. Whatever the model answers is checked against the
reply: a BANT quote must be an exact substring of the visible reply (never the quoted history),
a competitor or a referral must be written there, otherwise the field stays unknown. The model
is asked only for the fields the reply's intent needs, so a small local model writes little.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pydantic import BaseModel

from agent.llm import LLM
from agent.replies.model import Evidence, Intent, Objection, Qualification, Referral

BANT = ("budget", "authority", "need", "timeline")
# Which fields each intent needs from the model (dates come from the rules first: agent.timex).
NEEDS: dict[Intent, tuple[str, ...]] = {
    Intent.interested: (*BANT, "competitor", "summary"),
    Intent.question: (*BANT, "competitor", "summary"),
    Intent.meeting_request: (*BANT, "competitor", "summary"),
    Intent.objection: (*BANT, "competitor", "objection", "summary"),
    Intent.not_now: (*BANT, "competitor", "objection", "date_phrase", "summary"),
    Intent.not_interested: ("competitor", "objection", "summary"),
    Intent.referral: ("referral_name", "referral_email", "referral_title", "summary"),
    Intent.cancel: ("competitor", "summary"),
}
ALL_FIELDS = (
    *BANT,
    "competitor",
    "objection",
    "referral_name",
    "referral_email",
    "referral_title",
    "date_phrase",
    "summary",
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


class ModelReading(BaseModel):
    """The model's answer, before it is checked against the reply."""

    intent: Intent | None = None
    budget: str | None = None
    authority: str | None = None
    need: str | None = None
    timeline: str | None = None
    competitor: str | None = None
    objection: Objection | None = None
    referral_name: str | None = None
    referral_email: str | None = None
    referral_title: str | None = None
    date_phrase: str | None = None
    summary: str = ""


def schema_for(fields: tuple[str, ...], intents: list[Intent] | None) -> dict[str, Any]:
    """The JSON schema the model is held to: only these keys, all required, short strings."""
    full = ModelReading.model_json_schema()
    text = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    properties: dict[str, Any] = {}
    for name in fields:
        if name == "objection":
            properties[name] = {"anyOf": [{"enum": [o.value for o in Objection]}, {"type": "null"}]}
        elif name == "summary":
            properties[name] = {"type": "string"}
        else:
            properties[name] = text
    if intents:
        properties = {"intent": {"enum": [i.value for i in intents]}, **properties}
    return {
        "title": full["title"],
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def ask_model(
    llm: LLM,
    *,
    subject: str,
    text: str,
    fields: tuple[str, ...],
    intents: list[Intent] | None,
    ids: dict[str, int | None] | None = None,
    max_tokens: int | None = None,
) -> ModelReading:
    keys = (*(["intent"] if intents else []), *fields)
    return llm.bounded(max_tokens or 40 + 30 * len(keys)).ask(
        "reply_fields",
        ModelReading,
        schema=schema_for(fields, intents),
        subject=ids or {},
        subject_line=subject,
        reply=text,
        fields=list(keys),
        intents=[i.value for i in intents or []],
    )


def _quote(value: str | None, text: str) -> str | None:
    """The value when it is written in the text (exactly; trimmed of quotes and dots), else None."""
    if not value:
        return None
    value = value.strip().strip("\"'“”«»").strip()
    if len(value) < 3:
        return None
    if value in text:
        return value
    trimmed = value.rstrip(".")
    return trimmed if len(trimmed) >= 3 and trimmed in text else None


def _mention(value: str | None, text: str) -> str | None:
    if not value or len(value.strip()) < 2:
        return None
    match = re.search(re.escape(value.strip()), text, re.IGNORECASE)
    return match.group(0) if match else None


def checked_fields(reading: ModelReading, text: str) -> Qualification:
    """The model's fields that the visible reply supports; everything else stays unknown.

    A quote is a phrase (two words at least) written in the reply, and one phrase answers one
    BANT question: a small model pasting "10h" into all four is noise, not evidence.
    """
    quotes = {name: _quote(getattr(reading, name), text) for name in BANT}
    counts = Counter(q for q in quotes.values() if q)
    kept = {n: q if q and counts[q] == 1 and len(q.split()) >= 2 else None for n, q in quotes.items()}
    return Qualification(
        **{name: Evidence.quote(quote) for name, quote in kept.items()},
        competitor=_mention(reading.competitor, text),
        objection=reading.objection,
    )


def checked_referral(reading: ModelReading, text: str) -> Referral | None:
    name = _mention(reading.referral_name, text)
    if name is None:
        return None
    email = reading.referral_email.strip().lower() if reading.referral_email else None
    if email and email not in text.lower():
        email = None
    if email is None:  # an address written right after the name
        window = text[text.find(name) : text.find(name) + 120]
        found = _EMAIL.search(window)
        email = found.group(0).lower() if found else None
    return Referral(name=name, email=email, title=_mention(reading.referral_title, text))


_WORD = r"[A-ZÀ-Ý][a-zà-ÿ'-]+"
_CANDIDATE = re.compile(rf"{_WORD}(?:\s+{_WORD}){{1,3}}")
_HONORIFIC = {
    "herr",
    "frau",
    "mr",
    "mrs",
    "ms",
    "sr",
    "sra",
    "señor",
    "señora",
    "m",
    "mme",
    "dr",
    "hi",
    "hello",
    "try",
    "adding",
    "contact",
    "ask",
    "loop",
    "cc",
    "you",
    "please",
    "talk",
    "reach",
    "escríbele",
    "contactez",
    "olá",
    "hola",
    "bonjour",
}
_POINTER = re.compile(
    r"(?:that's|that is|talk to|reach out to|contact|try|you want|ask|loop in|speak (?:to|with)|escr[ií]bele a"
    r"|habla con|contactez|wenden sie sich an|fale com|procure)\s+",
    re.IGNORECASE,
)
_TITLE = re.compile(
    r"^,?\s*(?:\(|-|–)?\s*(?:our|the|notre|nuestr[oa]|unser(?:e[rn]?)?|a|o|la|el|le)?\s*"
    r"([^,.:;()\n@]{2,40}?)\s*(?:[,.:;()\n]|$| - | – )"
)


def _names(window: str) -> list[str]:
    out = []
    for found in _CANDIDATE.finditer(window):
        words = found.group(0).split()
        titled = [i for i, w in enumerate(words) if w.lower() in ("herr", "frau", "mr", "mrs", "ms", "sr", "sra")]
        words = words[titled[-1] + 1 :] if titled else words
        while words and words[0].lower().strip("'") in _HONORIFIC:
            words = words[1:]
        if len(words) >= 2:
            out.append(" ".join(words[:3]))
    return out


def _title_after(text: str, name: str) -> str | None:
    rest = text[text.find(name) + len(name) :]
    match = _TITLE.match(rest)
    title = match.group(1).strip() if match else None
    if not title or _EMAIL.search(title) or len(title.split()) > 5 or title.lower().startswith(("is ", "he ", "she ")):
        return None
    return title


def _fits(name: str, local: str) -> int:
    """How well a name matches an address's local part ("ogrant" fits "Olivia Grant")."""
    parts = [re.sub(r"[^a-z]", "", w.lower()) for w in name.split()]
    return sum(1 for w in parts if w and w in local) + (1 if parts and local.startswith(parts[0][:1]) else 0)


def referral_from_text(text: str, sender: str = "", ours: frozenset[str] = frozenset()) -> Referral | None:
    """Without a model: a colleague named next to an address (or after "talk to"), as written in the reply."""
    skip = {w.lower() for a in (sender, *ours) for w in re.split(r"[@._-]", a) if w}
    for found in _EMAIL.finditer(text):
        email = found.group(0).lower().rstrip(".")
        if email == sender.lower() or email in ours:
            continue
        local = re.sub(r"[^a-z]", "", email.split("@")[0])
        paragraph = text[max(0, text.rfind("\n\n", 0, found.start())) : found.start()]
        names = [n for n in _names(paragraph) if not {w.lower() for w in n.split()} & skip]

        if names:
            name = max(reversed(names), key=lambda n: _fits(n, local))
            return Referral(name=name, email=email, title=_title_after(text, name))
    if pointer := _POINTER.search(text):
        names = _names(text[pointer.end() : pointer.end() + 60])
        if names and text[pointer.end() :].startswith(names[0].split()[0]):
            return Referral(name=names[0], email=None, title=_title_after(text, names[0]))
    return None
