"""What worked on past calls with prospects like this one: messaging context for a draft.

Winning calls in the prospect's industry and persona, the pain the persona is known for as the
question. Call snippets inform how a draft is written; they are never evidence for a claim
about the prospect (they are about other companies).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.drafting.context import DraftContext
from agent.workspace import Workspace

if TYPE_CHECKING:
    from agent.calls.retrieve import Snippet

SNIPPETS_PER_CONTACT = 3


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
    who = (persona["name"].replace("_", " ") if persona else ctx.contact.title) or "a buyer"
    query = f"How a {who} at a {ctx.account.industry or 'company'} described {pain}, and the answer that won the deal"
    found = find_snippets(
        ws,
        query,
        industry=ctx.account.industry,
        persona=persona["name"] if persona else None,
        outcome="won",
        k=3 * SNIPPETS_PER_CONTACT,
    )
    # one snippet per call: three moments of one conversation say less than three conversations
    distinct: dict[str, Snippet] = {}
    for snippet in found:
        distinct.setdefault(snippet.call_id, snippet)
    return list(distinct.values())[:SNIPPETS_PER_CONTACT]


def provenance(snippets: list[Snippet], drew_on: list[str] | None) -> list[dict[str, Any]]:
    """What a draft stores: every snippet it was given, and whether it drew on it."""
    return [
        {
            "id": s.id,
            "call_id": s.call_id,
            "account": s.metadata.get("account"),
            "outcome": s.metadata.get("outcome"),
            "similarity": s.similarity,
            "text": s.text[:600],
            "drew_on": drew_on is not None and s.id in drew_on,
        }
        for s in snippets
    ]
