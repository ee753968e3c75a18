"""The account brief: a summary, pains, trigger events and hooks, each citing facts.

No source, no claim: every item names the facts it rests on, and a fact is a sentence quoted
from a source. The model may summarise and choose, but it can only cite facts that exist
(its answer schema enumerates the valid ids), and whatever it writes is checked again here.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from agent.campaign import CampaignSpec, TriggerKind
from agent.research.facts import Fact

# How much a source kind is worth as a prospect-facing opener. Internal notes and the CRM record
# inform scoring but are never quoted to a prospect.
HOOK_SOURCE_WEIGHT = {
    "news": 1.0,
    "press_release": 1.0,
    "job_post": 0.8,
    "web": 0.7,
    "website": 0.7,
    "notes": 0.0,
    "crm": 0.0,
}


class Cited(BaseModel):
    text: str
    fact_ids: list[str]


class Trigger(BaseModel):
    kind: TriggerKind
    fact_id: str
    published_on: date | None


class Brief(BaseModel):
    account_domain: str
    summary: Cited
    pains: list[Cited] = []
    triggers: list[Trigger] = []
    facts: list[Fact] = []
    hook_fact_ids: list[str] = Field(default_factory=list, description="The model's picks, best first.")
    flags: list[str] = []
    made_by: str = "rules"

    def fact(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)


class Hook(BaseModel):
    """A sourced observation a draft may open with."""

    fact_id: str
    source_id: int
    kind: str  # a trigger kind, or "initiative"
    text: str
    source_title: str
    source_kind: str
    published_on: date | None
    score: float


def rules_brief(domain: str, name: str, facts: list[Fact], flags: list[str]) -> Brief:
    triggers = [
        Trigger(kind=kind, fact_id=f.id, published_on=f.published_on)
        for f in facts
        if f.source_kind != "crm"
        for kind in f.signals
    ]
    about = [f for f in facts if f.source_kind in ("crm", "web", "website")][:2]
    lead = [f for f in facts if f.signals and f.source_kind != "crm"][:1]
    cited = about + lead
    summary = Cited(
        text=" ".join(f.text for f in cited) or f"No sources found for {name}.",
        fact_ids=[f.id for f in cited],
    )
    pains = [Cited(text=f.text, fact_ids=[f.id]) for f in facts if f.pain][:3]
    return Brief(account_domain=domain, summary=summary, pains=pains, triggers=triggers, facts=facts, flags=flags)


def _age_days(published_on: date | None, today: date) -> int | None:
    return (today - published_on).days if published_on else None


def rank_hooks(brief: Brief, spec: CampaignSpec, today: date) -> list[Hook]:
    """Facts worth opening with, best first: fresh trigger events the ICP cares about."""
    triggers = spec.icp.triggers
    max_age = triggers.max_age_days if triggers else 180
    hooks = []
    for fact in brief.facts:
        weight = HOOK_SOURCE_WEIGHT.get(fact.source_kind, 0.5)
        if weight == 0 or not (fact.signals or fact.pain):
            continue
        age = _age_days(fact.published_on, today)
        if age is not None and (age > max_age or age < 0):
            continue  # a stale (or future-dated) event makes a bad opener
        kinds = [k for k in fact.signals if triggers and k in triggers.kinds]
        relevance = max((triggers.kinds[k] for k in kinds), default=0.0) if triggers else 0.5
        if not kinds:
            relevance = 0.35 if fact.pain else 0.2
        recency = 1.0 if age is None else 1.0 - 0.5 * age / max_age
        score = round(weight * relevance * recency * (1.2 if fact.id in brief.hook_fact_ids else 1.0), 4)
        hooks.append(
            Hook(
                fact_id=fact.id,
                source_id=fact.source_id,
                kind=(kinds[0].value if kinds else "initiative"),
                text=fact.text,
                source_title=fact.source_title,
                source_kind=fact.source_kind,
                published_on=fact.published_on,
                score=score,
            )
        )
    return sorted(hooks, key=lambda h: -h.score)


def fresh_triggers(brief: Brief, spec: CampaignSpec, today: date) -> list[tuple[Trigger, float]]:
    """Trigger events inside the ICP's age limit, with their weight after recency decay."""
    icp_triggers = spec.icp.triggers
    if not icp_triggers:
        return []
    out = []
    for trigger in brief.triggers:
        if trigger.kind not in icp_triggers.kinds:
            continue
        age = _age_days(trigger.published_on, today)
        if age is not None and not 0 <= age <= icp_triggers.max_age_days:
            continue
        recency = 0.5 if age is None else 1.0 - 0.5 * age / icp_triggers.max_age_days
        out.append((trigger, icp_triggers.kinds[trigger.kind] * recency))
    return out
