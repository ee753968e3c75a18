"""What worked on past calls with prospects like this one: messaging context for a draft.

Moments of winning calls in the prospect's industry and persona, asked for by kind: how buyers
like this one described the pain the persona is known for, and the objections they raised with
the answers that won. Call snippets inform how a draft is written; they are never evidence for
a claim about the prospect (they are about other companies).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.drafting.context import DraftContext
from agent.workspace import Workspace

if TYPE_CHECKING:
    from agent.calls.retrieve import Snippet

PER_KIND = 2  # moments of each kind a draft is given
# What a rep preparing a call (or a writer choosing an angle) asks past calls for.
ASKED = (
    ("pain", ("pain",), "How a {who} at a {industry} described {pain} in their own words"),
    (
        "objection",
        ("objection", "competitor", "pricing", "question"),
        "Objections a {who} at a {industry} raised about {pain}, and the answer that won the deal",
    ),
)


def has_calls(ws: Workspace) -> bool:
    """Whether any calls were ingested (without opening an empty store on the drafting path)."""
    if not ws.settings.chroma_url and not (ws.settings.workspace / "chroma").exists():
        return False
    from agent.calls.index import call_index

    return call_index(ws.settings).count() > 0


def call_snippets(ws: Workspace, ctx: DraftContext) -> list[Snippet]:
    if not has_calls(ws):
        return []
    from agent.calls.retrieve import find_snippets

    persona = ctx.persona
    pain = (persona["pains"][0] if persona and persona["pains"] else "") or "the day-to-day problem we solve"
    who = (persona["label"] if persona else ctx.contact.title) or "a buyer"
    out: list[Snippet] = []
    for _, kinds, question in ASKED:
        found = find_snippets(
            ws,
            question.format(who=who, industry=ctx.account.industry or "company", pain=pain),
            industry=ctx.account.industry,
            persona=persona["name"] if persona else None,
            outcome="won",
            kinds=kinds,
            k=3 * PER_KIND,
        )
        # one moment per call: two moments of one conversation say less than two conversations
        distinct: dict[str, Snippet] = {}
        for snippet in found:
            distinct.setdefault(snippet.call_id, snippet)
        out.extend(list(distinct.values())[:PER_KIND])
    return out


def provenance(snippets: list[Snippet], drew_on: list[str] | None) -> list[dict[str, Any]]:
    """What a draft stores: every snippet it was given, and whether it drew on it."""
    return [
        {
            "id": s.id,
            "kind": s.kind,
            "call_id": s.call_id,
            "account": s.metadata.get("account"),
            "outcome": s.metadata.get("outcome"),
            "similarity": s.similarity,
            "text": s.text[:600],
            "drew_on": drew_on is not None and s.id in drew_on,
        }
        for s in snippets
    ]
