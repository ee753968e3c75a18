"""Score accounts and contacts against the campaign's ICP: fit, intent and priority, with reasons.

Scoring is arithmetic, not a model's opinion: an operator can read every reason and change
every weight in the campaign file.
- fit (0-100): the weighted share of ICP criteria met (industry, size, region, technologies,
  and for a contact, persona);
- intent (0-100): fresh trigger events from the brief, combined as independent signals;
- priority: the campaign's blend of the two. Outreach goes in priority order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.campaign import CampaignSpec, Persona
from agent.research.brief import Brief, fresh_triggers
from agent.store.db import add_missing
from agent.store.tables import Account, Contact, Score


@dataclass
class ScoreCard:
    fit: float
    intent: float
    priority: float
    persona: str | None
    reasons: list[str] = field(default_factory=list)
    missed_required: list[str] = field(default_factory=list)  # hard ICP filters the account fails


_ABBREVIATIONS = {
    "vice president": "vp",
    "svp": "vp",
    "evp": "vp",
    "senior": "sr",
    "director": "dir",
    "operations": "ops",
    "operation": "ops",
    "manager": "mgr",
    "logistic": "logistics",
    "chief operating officer": "coo",
    "chief information officer": "cio",
}
_FILLER = frozenset({"of", "the", "and", "for", "at", "in", "a", "an", "to"})
# Words that name a kind of product rather than the product: "Manhattan WMS" is Manhattan.
_GENERIC = frozenset(
    {
        "wms",
        "tms",
        "yms",
        "erp",
        "system",
        "systems",
        "software",
        "cloud",
        "suite",
        "associates",
        "inc",
        "platform",
        "management",
        "warehouse",
        "transportation",
    }
)


@lru_cache(maxsize=4096)  # the ICP's words and the titles, industries and products of a burst of leads
def _tokens(text: str) -> frozenset[str]:
    text = " " + re.sub(r"[^a-z0-9]+", " ", text.lower()).strip() + " "
    for long, short in _ABBREVIATIONS.items():
        text = text.replace(f" {long} ", f" {short} ")
    return frozenset(text.split()) - _FILLER


def _contains(haystack: str, needle: str) -> bool:
    """All the needle's significant words are in the haystack, in any order ("Director, Supply
    Chain" contains "director of supply chain"; "VP Ops" contains "Vice President Operations")."""
    wanted = _tokens(needle)
    return bool(wanted) and wanted <= _tokens(haystack)


def _same_product(a: str, b: str) -> bool:
    """Two names of one product: they share a distinctive word."""
    return bool((_tokens(a) - _GENERIC) & (_tokens(b) - _GENERIC))


def match_persona(title: str | None, spec: CampaignSpec) -> tuple[Persona | None, str]:
    criterion = spec.icp.personas
    if not title:
        return None, "no title"
    for excluded in criterion.exclude_titles:
        if _contains(title, excluded):
            return None, f"title {title!r} is excluded ({excluded!r})"
    best: Persona | None = None
    for persona in criterion.roles:
        if any(_contains(title, keyword) for keyword in persona.titles) and (
            best is None or persona.score > best.score
        ):
            best = persona
    if best is None:
        return None, f"title {title!r} matches no persona"
    return best, f"title {title!r} -> persona {best.name}"


def _firmographics(account: Account, spec: CampaignSpec) -> list[tuple[float, float, str]]:
    """(weight, match 0-1, reason) for each firmographic criterion the ICP states, in ICP order."""
    icp, out = spec.icp, []
    if icp.industries:
        hit = account.industry and any(
            _contains(account.industry, v) or _contains(v, account.industry) for v in icp.industries.values
        )
        out.append(
            (
                icp.industries.weight,
                1.0 if hit else 0.0,
                f"industry {account.industry or 'unknown'}: {'in' if hit else 'not in'} ICP",
            )
        )
    if icp.employees:
        if account.employees is None:
            out.append((icp.employees.weight, 0.0, "employee count unknown"))
        else:
            band = next(
                (
                    b
                    for b in icp.employees.bands
                    if (b.min is None or account.employees >= b.min) and (b.max is None or account.employees <= b.max)
                ),
                None,
            )
            score = band.score if band else 0.0
            out.append((icp.employees.weight, score, f"{account.employees:,} employees: size match {score:.0%}"))
    if icp.regions:
        places = [p for p in (account.country, account.region, account.city) if p]
        hit = any(_contains(p, v) for p in places for v in icp.regions.values)
        out.append(
            (
                icp.regions.weight,
                1.0 if hit else 0.0,
                f"region {', '.join(places) or 'unknown'}: {'in' if hit else 'not in'} ICP",
            )
        )
    if icp.technologies:
        used = [t for t in account.technologies if any(_same_product(t, v) for v in icp.technologies.values)]
        out.append(
            (
                icp.technologies.weight,
                1.0 if used else 0.0,
                f"uses {', '.join(used)}" if used else "no ICP technology known",
            )
        )
    return out


def _intent(brief: Brief | None, spec: CampaignSpec, today: date) -> tuple[float, list[str]]:
    if brief is None:
        return 0.0, ["not researched"]
    miss, reasons = 1.0, []
    seen = set()
    for trigger, weight in sorted(fresh_triggers(brief, spec, today), key=lambda t: -t[1]):
        if trigger.kind in seen:
            continue  # one signal per kind: three articles on one round are one round
        seen.add(trigger.kind)
        miss *= 1.0 - weight
        when = f" on {trigger.published_on}" if trigger.published_on else ""
        reasons.append(f"trigger {trigger.kind.value}{when} [{trigger.fact_id}]")
    return round(100 * (1.0 - miss), 1), reasons or ["no fresh trigger events"]


def score(account: Account, contact: Contact | None, brief: Brief | None, spec: CampaignSpec, today: date) -> ScoreCard:
    parts = _firmographics(account, spec)
    icp = spec.icp
    criteria = [c for c in (icp.industries, icp.employees, icp.regions, icp.technologies) if c is not None]
    missed = [
        reason
        for criterion, (_, match, reason) in zip(criteria, parts, strict=True)
        if criterion.required is True and match == 0
    ]
    persona = None
    if contact is not None:
        persona, why = match_persona(contact.title, spec)
        parts.append((spec.icp.personas.weight, persona.score if persona else 0.0, why))
    total = sum(w for w, _, _ in parts)
    fit = round(100 * sum(w * m for w, m, _ in parts) / total, 1) if total else 0.0
    intent, intent_reasons = _intent(brief, spec, today)
    weights = spec.icp.priority_weights
    priority = round(weights.get("fit", 0.7) * fit + weights.get("intent", 0.3) * intent, 1)
    return ScoreCard(
        fit=fit,
        intent=intent,
        priority=priority,
        persona=persona.name if persona else None,
        reasons=[r for _, _, r in parts] + intent_reasons,
        missed_required=missed,
    )


def keep_score(session: Session, campaign_id: int, account_id: int, contact_id: int | None, card: ScoreCard) -> None:
    """Keep the card as the campaign's score of the account (or of one of its contacts): its row is
    inserted unless there, then updated, so `sdr run` and a worker answering the contact's lead may
    score them at the same moment."""
    key = {"campaign_id": campaign_id, "account_id": account_id, "contact_id": contact_id}
    kept = select(Score).where(*(getattr(Score, name) == value for name, value in key.items()))  # None: IS NULL
    values = {"fit": card.fit, "intent": card.intent, "priority": card.priority, "reasons": card.reasons}
    row = session.scalars(kept).first()
    if row is None:
        add_missing(session, Score, [{**key, **values}], tuple(key))
        row = session.scalars(kept).one()  # ours, or the one written a moment ago: the card's values go in
    for name, value in values.items():
        setattr(row, name, value)
