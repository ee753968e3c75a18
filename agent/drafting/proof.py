"""The proof point a draft cites: the campaign's customer result that fits this prospect best.

A beverage distributor hears about a beverage distributor, an IT leader about integration. Each
proof point says which industries, personas and pains it speaks to; the best match wins by
industry (5), persona (2) and each pain it shares with the persona's pains (1), the file's order
breaking ties (industry outweighs everything else: a beverage distributor hears about a
beverage distributor first). Only when nothing matches does the campaign's default (or its first) stand in,
and the draft records which it was and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.campaign import CampaignSpec, ProofPoint

INDUSTRY, PERSONA, PAIN = 5, 2, 1
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "from",
        "our",
        "your",
        "their",
        "that",
        "is",
        "are",
    ]
)


def _key(text: str) -> str:
    return " ".join(w for w in re.findall(r"[a-z0-9]+", text.casefold().replace("&", " and ")) if w != "and")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.casefold()) if w not in _STOP and len(w) > 2}


@dataclass(frozen=True)
class ProofChoice:
    point: ProofPoint
    matched_on: list[str] = field(default_factory=list)  # e.g. ["industry", "persona", "pain: detention"]
    fallback: bool = False  # nothing matched: the default stands in

    @property
    def text(self) -> str:
        return self.point.text

    @property
    def reason(self) -> str:
        return "default (nothing matched)" if self.fallback else "matched on " + ", ".join(self.matched_on)


def used_proof(spec: CampaignSpec, choice: ProofChoice | None, text: str) -> list[dict[str, object]]:
    """What a draft stores about the proof points it cites (shown to the reviewer beside the past
    calls): which one, and why it was chosen, or that it was not the best match for this prospect."""
    out: list[dict[str, object]] = []
    for point in spec.proof_points:
        if point.text not in text:
            continue
        best = choice is not None and choice.point == point
        out.append(
            {
                "id": "proof",
                "kind": "proof_point",
                "call_id": "proof point",
                "account": None,
                "outcome": choice.reason if best and choice else "not the best match for this prospect",
                "similarity": None,
                "text": point.text,
                "drew_on": True,
            }
        )
    return out


def _matches(point: ProofPoint, industry: str, persona: str | None, pains: list[str]) -> list[str]:
    found = []
    # "Manufacturing" speaks to "Food & Beverage Manufacturing", not the other way round
    wanted = set(_key(industry).split())
    if wanted and any(set(_key(i).split()) <= wanted for i in point.industries if _key(i)):
        found.append("industry")
    if persona and persona in point.personas:
        found.append("persona")
    said = _words(" ".join(pains))
    found.extend(f"pain: {pain}" for pain in point.pains if _words(pain) & said)
    return found


def _score(matched: list[str]) -> int:
    return sum(INDUSTRY if m == "industry" else PERSONA if m == "persona" else PAIN for m in matched)


def best_proof(spec: CampaignSpec, industry: str, persona: str | None, pains: list[str]) -> ProofChoice | None:
    """The proof point for a prospect in `industry`, of `persona`, with these pains; None without any."""
    if not spec.proof_points:
        return None
    scored = [(point, _matches(point, industry, persona, pains)) for point in spec.proof_points]
    point, matched = max(scored, key=lambda pair: _score(pair[1]))  # max keeps the first of equals
    if matched:
        return ProofChoice(point, matched)
    default = next((p for p in spec.proof_points if p.default), spec.proof_points[0])
    return ProofChoice(default, fallback=True)
