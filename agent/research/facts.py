"""Sources become numbered facts: one sentence each, with the signals it carries.

Facts are what every claim in a brief or a draft must cite. A sentence that reads like an
instruction to an AI (prompt injection) is kept out of the facts and flagged for a human.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel

from agent.campaign import TriggerKind

TRIGGER_PATTERNS: dict[TriggerKind, re.Pattern[str]] = {
    kind: re.compile(pattern, re.IGNORECASE)
    for kind, pattern in {
        TriggerKind.funding: r"\b(rais(es|ed|ing)\b.*[$€£]|series [a-f]\b|seed round|funding round|growth equity"
        r"|investment led by|(secured|closed|lands?) [$€£][\d.,]+ ?(m|million|b|billion|bn))",
        TriggerKind.hiring: r"\b(is hiring|are hiring|now hiring|we('re| are) looking for|job (opening|posting)"
        r"|open (roles|positions)|recruiting|join our team|apply (now|today))\b",
        TriggerKind.leadership_change: r"\b(appoint(s|ed|ment of)|named ([\w.'-]+ ){0,3}(as )?(its |the )?(new )?"
        r"(chief|vp|vice president|head|director|coo|cfo|cio|cto|ceo|president)|joins as|joined as|promoted to"
        r"|new (coo|cfo|cio|ceo|vp|chief|head of)|(hires|hired) ([\w.'-]+ ){0,3}as)",
        TriggerKind.expansion: r"\b(open(s|ed|ing) (a |its )?(new |second |third )?([\w,-]+ )*"
        r"(distribution|fulfil?lment|warehouse|facility|cross-dock|center|centre|site|dc)\b"
        r"|expan(ds|ded|ding|sion)\b|sq\.? ?ft|square[- ]f(ee|oo)t"
        r"|m²|square met(er|re)s?|breaks? ground|new (distribution|fulfil?lment) (center|centre|hub))",
        TriggerKind.product_launch: r"\b(launch(es|ed)?|unveil(s|ed)?|introduc(es|ed) (a |its )?new)\b",
        TriggerKind.acquisition: r"\b(acquir(es|ed|ing)|acquisition of|merg(es|ed|er) with)\b",
        TriggerKind.partnership: r"\b(partner(s|ed|ing) with|(strategic|new) partnership)\b",
        TriggerKind.contract_ending: r"\b(contract(s)? (\w+ ){0,6}(ends?|expires?|expiring|is up|comes? up|runs? out)"
        r"|up for renewal|renewal (in|date)|rfp\b|request for proposals?|evaluating (alternatives|vendors|options))",
        TriggerKind.technology_change: r"\b(migrat(e|es|ed|ing|ion)|go-live|go(es|ing)? live|went live"
        r"|roll(s|ed|ing) out|"
        r"implement(s|ed|ing|ation) (of )?(a |its |the )?(new )?([\w-]+ ){0,3}(wms|tms|erp|system|platform)|"
        r"select(s|ed) (manhattan|blue yonder|sap|oracle|netsuite))",
    }.items()
}

PAIN_PATTERN = re.compile(
    r"\b(detention|dwell|congestion|bottleneck|delays?|backlog|overtime|no-shows?|spreadsheets?|manual"
    r"|wait(ing)? times?|idle|late (trucks|carriers|arrivals)|missed appointments|penalt(y|ies))\b",
    re.IGNORECASE,
)

INJECTION_PATTERN = re.compile(
    r"(ignore (all |any |your )?(previous|prior|above|earlier) (instructions|prompts?)|disregard (all |your )?"
    r"(previous |prior )?instructions|\bsystem prompt\b|\b(ai|llm) (assistants?|agents?|models?) reading"
    r"|you are (now )?(an? )?(ai|assistant|language model|chatbot)|new instructions:|\bjailbreak"
    r"|(forward|send|email|share) (me |us )?(your|the) (full |entire |whole )?"
    r"(contact|customer|lead|prospect)s? (list|data)"
    r"|^\s*(system|assistant)\s*:)",
    re.IGNORECASE | re.MULTILINE,
)

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9$])")
_ABBREVIATIONS = re.compile(r"\b(Inc|Corp|Co|Ltd|LLC|St|Mr|Ms|Mrs|Dr|Jr|Sr|No|U\.S|approx|vs|e\.g|i\.e)\.$")
_MARKUP = re.compile(r"^\s*(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)")


class Fact(BaseModel):
    id: str  # "F3": what prompts and drafts cite
    source_id: int
    source_title: str
    source_kind: str
    published_on: date | None
    text: str
    signals: list[TriggerKind] = []
    pain: bool = False


def sentences(text: str) -> list[str]:
    """Sentences of a source, one per paragraph line or bullet; markup stripped."""
    out: list[str] = []
    for raw_line in text.splitlines():
        line = _MARKUP.sub("", raw_line).strip().replace("**", "").replace("__", "")
        if not line:
            continue
        pieces = _SENTENCE_END.split(line)
        buffer = ""
        for piece in pieces:
            buffer = f"{buffer} {piece}".strip() if buffer else piece.strip()
            if not _ABBREVIATIONS.search(buffer):
                out.append(buffer)
                buffer = ""
        if buffer:
            out.append(buffer)
    return [s for s in out if 25 <= len(s) <= 400 and re.search(r"[a-z]", s)]


def is_injection(text: str) -> bool:
    return bool(INJECTION_PATTERN.search(text))


def extract_facts(
    sources: list[tuple[int, str, str, date | None, str]],
) -> tuple[list[Fact], list[str]]:
    """(source_id, title, kind, published_on, text) rows -> facts, and flags for the reviewer."""
    facts: list[Fact] = []
    flags: list[str] = []
    seen: set[str] = set()
    for source_id, title, kind, published_on, text in sources:
        for sentence in sentences(text):
            key = re.sub(r"\W+", " ", sentence.lower()).strip()
            if key in seen:
                continue
            seen.add(key)
            if is_injection(sentence):
                flags.append(f"injection_suspected: {title!r} contains instructions aimed at an AI; left out")
                continue
            facts.append(
                Fact(
                    id=f"F{len(facts) + 1}",
                    source_id=source_id,
                    source_title=title,
                    source_kind=kind,
                    published_on=published_on,
                    text=sentence,
                    signals=[k for k, p in TRIGGER_PATTERNS.items() if p.search(sentence)],
                    pain=bool(PAIN_PATTERN.search(sentence)),
                )
            )
    return facts, sorted(set(flags))
