"""What a reviewer reads beside a draft, beyond the review item: the cited words marked in the text,
the score's reasons, the links of the sources. Read only."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select

from agent.review import ReviewItem
from agent.store.tables import OutboxMessage, Score, Source
from agent.workspace import Workspace


def marked(text: str, claims: list[dict[str, Any]]) -> Markup:
    """The text, escaped, with each claim's words (where they appear as written) in <mark>."""
    spans: list[tuple[int, int]] = []
    for claim in claims:
        words = str(claim.get("text") or "").strip()
        start = text.find(words) if words else -1
        if start >= 0 and not any(a < start + len(words) and start < b for a, b in spans):
            spans.append((start, start + len(words)))
    out, at = Markup(""), 0
    for start, end in sorted(spans):
        out += escape(text[at:start]) + Markup("<mark>") + escape(text[start:end]) + Markup("</mark>")
        at = end
    return out + escape(text[at:])


def score_reasons(ws: Workspace, outbox_id: int) -> dict[str, Any] | None:
    """The campaign's score of the contact this message goes to: fit, intent, priority and why."""
    with ws.store.transaction() as session:
        row = session.get(OutboxMessage, outbox_id)
        if row is None or row.contact is None or row.campaign_id is None:
            return None
        newest = select(Score).where(Score.campaign_id == row.campaign_id).order_by(Score.id.desc()).limit(1)
        score = session.scalar(newest.where(Score.contact_id == row.contact.id)) or session.scalar(
            newest.where(Score.account_id == row.contact.account_id)
        )
        if score is None:
            return None
        return {"fit": score.fit, "intent": score.intent, "priority": score.priority, "reasons": score.reasons}


def source_links(ws: Workspace, outbox_id: int, item: ReviewItem) -> dict[str, str]:
    """Source title -> its address, for the sources the item cites that have one."""
    titles = {s["source"] for s in item.sources}
    if not titles:
        return {}
    with ws.store.transaction() as session:
        row = session.get(OutboxMessage, outbox_id)
        if row is None or row.contact is None:
            return {}
        found = session.execute(
            select(Source.title, Source.uri).where(
                Source.account_id == row.contact.account_id, Source.title.in_(titles)
            )
        ).all()
        return {title: uri for title, uri in found if uri and uri.startswith(("http://", "https://"))}
