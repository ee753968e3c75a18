"""A trigger event said the way a rep says it: one short sentence in the writer's own words.

"Congrats on the new cross-dock in Sparks, Nevada." rather than pasting the article's headline
and sentence. The sentence keeps the few specifics that make it personal (the place, the amount,
the role, the system) and nothing else, so it is short and never copies its source; the hook's
fact stays on the draft as the claim's citation for the reviewer. A hook nothing can be said
about in a few words gives no sentence, and the template opens another way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.research.brief import Hook

_NAMED = r"[A-Z][\w'’.-]*(?:[ -][A-Z][\w'’.-]*)*"
_PLACE = rf"((?:the )?{_NAMED}(?: and {_NAMED})?(?:,? {_NAMED})?)"
_FACILITY = re.compile(
    r"\b(cross-dock|warehouses?|distribution cent(?:er|re)s?|hub|freezer|frozen-storage warehouse"
    r"|logistics cent(?:er|re)|facility|plant|DC)\b",
    re.IGNORECASE,
)
_WHERE = re.compile(rf"\b(?:in|at) {_PLACE}")
_AMOUNT = re.compile(r"((?:US)?[$€£]\s?[\d.,]+ (?:million|billion)(?: Series [A-Z])?)")
_ROUND = re.compile(r"\b(Series [A-Z]|growth investment|seed round)\b")
_LED_BY = re.compile(r"\bled by ((?:[A-Z][\w'-]*\s?){1,4})")
_HIRING = re.compile(r"\bhiring (?:a |an |two |three |several )?((?:[A-Z&][\w&/().-]*\s?){1,6})")
_APPOINTED = re.compile(
    r"\b(?:appointed|names|named|hires|hired) ([A-Z][\w'-]+ [A-Z][\w'-]+) (?:as )?([a-z][a-z ,]+?)"
    r"(?: on | effective|[.,]|$)"
)
_ACQUIRED = re.compile(r"\bacqui(?:red|sition of) ((?:[A-Z][\w'’ôéèç-]*\s?){1,4})")
_CONTRACT = re.compile(r"\b([A-Z]\w+)(?: [a-z]+){0,3} contract ends on ([A-Z][a-z]+)")


MIN_SHARED = 3
_PLAIN = frozenset(
    [
        "the",
        "a",
        "an",
        "on",
        "in",
        "at",
        "of",
        "to",
        "new",
        "your",
        "you",
        "is",
        "that",
        "saw",
        "news",
        "congrats",
        "noticed",
    ]
)


@dataclass(frozen=True)
class Trigger:
    fact_id: str
    kind: str
    sentence: str  # the writer's sentence, e.g. "Congrats on the $42 million Series C."


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(" ,.")


def _expansion(hook: Hook) -> str | None:
    facility, where = _FACILITY.search(hook.text), _WHERE.search(hook.text)
    if not facility or not where:
        return None
    noun = facility.group(1).lower().replace("dc", "DC")
    place = _clean(where.group(1))
    if place.lower().startswith("the "):
        return f"Congrats on the new {noun} at {place}."
    return f"Congrats on the new {noun} in {place}."


def _funding(hook: Hook) -> str | None:
    amount = _AMOUNT.search(hook.text)
    if not amount:
        return None
    money = _clean(amount.group(1))
    round_, led = _ROUND.search(hook.text), _LED_BY.search(hook.text)
    if round_ and round_.group(1) not in money:
        money = f"{money} {round_.group(1)}"
    elif not round_ and led:
        money = f"{money} raise led by {_clean(led.group(1))}"
    return f"Congrats on the {money}."


def _hiring(hook: Hook) -> str | None:
    role = _HIRING.search(hook.text)
    return f"Noticed you're hiring a {_clean(role.group(1))}." if role else None


def _leadership(hook: Hook, contact: str) -> str | None:
    named = _APPOINTED.search(hook.text)
    if not named:
        return None
    role = _clean(named.group(2))
    if named.group(1).casefold() == contact.casefold():  # news about the person we write to
        return f"Congrats on the new role as {role}."
    return f"Saw the news that {named.group(1)} is your new {role}."


def _technology(hook: Hook, account: str, technologies: list[str]) -> str | None:
    system = next((t for t in technologies if t.lower() in hook.text.lower()), None)
    return f"Saw that {account} is moving to {system}." if system else None


def _acquisition(hook: Hook) -> str | None:
    target = _ACQUIRED.search(hook.text)
    return f"Congrats on the {_clean(target.group(1))} acquisition." if target else None


def _contract(hook: Hook) -> str | None:
    ending = _CONTRACT.search(hook.text)
    return f"Saw that the {ending.group(1)} contract ends in {ending.group(2)}." if ending else None


def _backed(sentence: str, hook: Hook) -> bool:
    """Whether the sentence keeps enough of its source's specifics (three words of substance) to be
    recognisably about it: the drafting checks hold every claim to that."""
    mine = {w.lower() for w in re.findall(r"[A-Za-z0-9$%'-]+", sentence)} - _PLAIN
    theirs = {w.lower() for w in re.findall(r"[A-Za-z0-9$%'-]+", f"{hook.source_title}. {hook.text}")}
    return len(mine & theirs) >= MIN_SHARED


def trigger_sentence(hook: Hook, account: str, contact: str, technologies: list[str]) -> Trigger | None:
    """The writer's sentence for a sourced trigger event, or None when there is nothing short to say."""
    kind = hook.kind
    if kind == "expansion":
        sentence = _expansion(hook)
    elif kind == "funding":
        sentence = _funding(hook)
    elif kind == "hiring":
        sentence = _hiring(hook)
    elif kind == "leadership_change":
        sentence = _leadership(hook, contact)
    elif kind == "technology_change":
        sentence = _technology(hook, account, technologies)
    elif kind == "acquisition":
        sentence = _acquisition(hook)
    elif kind == "contract_ending":
        sentence = _contract(hook)
    else:
        sentence = None
    return Trigger(hook.fact_id, kind, sentence) if sentence and _backed(sentence, hook) else None
