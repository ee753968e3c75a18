"""The reviewer's page of replies the agent was unsure of: held opt-outs first, the prospect's words
escaped, and the reviewer's reading acted on exactly as `sdr replies decide` acts on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from agent.clock import utcnow
from agent.replies.model import DecidedBy, Flag, Intent, ReplyAnalysis
from agent.replies.tables import Reply
from agent.store.tables import Contact, Suppression
from agent.suppression import HELD, is_suppressed, suppress
from agent.workspace import Workspace
from tests.desk.conftest import signed_in


def unsure_reply(ws: Workspace, contact: Contact, text: str, intent: Intent, *flags: Flag, hours: int = 1) -> int:
    """The scene `handle` leaves behind for a reading the agent was not sure of."""
    analysis = ReplyAnalysis(
        intent=intent, confidence=0.4, decided_by=DecidedBy.classifier, flags=[Flag.needs_review, *flags]
    )
    with ws.store.transaction() as session:
        reply = Reply(
            contact_id=contact.id,
            matched_by="address",
            from_address=contact.email,
            text=text,
            received_at=utcnow() - timedelta(hours=hours),
            intent=intent,
            decided_by=analysis.decided_by,
            confidence=analysis.confidence,
            needs_review=True,
            analysis=analysis.model_dump(mode="json"),
        )
        session.add(reply)
        session.flush()
        if Flag.opt_out_in_doubt in flags:
            suppress(session, contact.email, HELD, source=f"reply {reply.id}")
        return reply.id


@pytest.fixture
def replies(desk_ws: Workspace) -> tuple[int, int, str]:
    with desk_ws.store.transaction() as session:
        first, second = session.scalars(select(Contact).order_by(Contact.id).limit(2)).all()
        session.expunge_all()
    older = unsure_reply(desk_ws, first, "Tell me more <b>later</b>", Intent.interested, hours=5)
    held = unsure_reply(
        desk_ws,
        second,
        "Stop the feature talk <script>alert(1)</script>, give me a price per dock.",
        Intent.unsubscribe,
        Flag.opt_out_in_doubt,
    )
    return held, older, second.email


def test_a_reviewer_sees_held_opt_outs_first_with_the_prospects_words_escaped(
    app: Starlette, replies: tuple[int, int, str]
) -> None:
    held, older, _ = replies
    page = signed_in(app, "sam").get("/desk/replies").text
    assert "Replies to settle" in page and page.index(f"#{held} ") < page.index(f"#{older} ")
    assert "Held as a possible opt-out" in page and page.count("Held as a possible opt-out") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert 'href="/desk/replies"' in page


def test_the_reviewers_reading_releases_a_hold_and_is_acted_on(
    app: Starlette, desk_ws: Workspace, replies: tuple[int, int, str]
) -> None:
    held, _, address = replies
    sam = signed_in(app, "sam")
    sam.get("/desk/replies")
    sam.post(f"/desk/replies/{held}/decide", {"intent": "maybe"})
    assert "Not decided: choose what the reply says" in sam.get("/desk/replies").text
    sam.post(f"/desk/replies/{held}/decide", {"intent": "question"})
    page = sam.get("/desk/replies").text
    assert f"Reply {held}: question. released the hold on {address}" in page
    assert f"#{held} " not in page
    with desk_ws.store.transaction() as session:
        assert not is_suppressed(session, address)
        reply = session.get_one(Reply, held)
        assert (reply.intent, reply.decided_by, reply.needs_review) == ("question", "person", False)
    sam.post(f"/desk/replies/{held}/decide", {"intent": "unsubscribe"})
    assert "not waiting for a person" in sam.get("/desk/replies").text


def test_confirming_keeps_the_opt_out_for_good(
    app: Starlette, desk_ws: Workspace, replies: tuple[int, int, str]
) -> None:
    held, _, address = replies
    riley = signed_in(app, "riley")
    riley.get("/desk/replies")
    riley.post(f"/desk/replies/{held}/decide", {"intent": "unsubscribe"})
    with desk_ws.store.transaction() as session:
        row = session.scalar(select(Suppression).where(Suppression.value == address))
        assert row is not None and row.reason == "unsubscribe" and "riley" in (row.source or "")


def test_an_ae_cannot_see_or_decide_replies(app: Starlette, replies: tuple[int, int, str]) -> None:
    sofia = signed_in(app, "sofia")
    sofia.get("/desk/handoffs")
    assert sofia.client.get("/desk/replies").status_code == 403
    assert sofia.post(f"/desk/replies/{replies[0]}/decide", {"intent": "question"}).status_code == 403
