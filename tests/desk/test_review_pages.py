"""The reviewer's pages over the one review queue: most urgent first, filters, pages; approve, edit,
reject, regenerate, bulk approve; every decision attributed; of two reviewers, one wins."""

from __future__ import annotations

import re

from sqlalchemy import update
from starlette.applications import Starlette

from agent import review
from agent.desk import queue
from agent.replies.tables import Reply
from agent.states import Origin, OutboxState
from agent.store.tables import Contact, OutboxMessage
from agent.workspace import Workspace
from tests.desk.conftest import signed_in


def _pending(ws: Workspace) -> list[review.ReviewItem]:
    return review.list_items(ws, states=[OutboxState.pending_review])


def _ids_on(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-href="/desk/items/(\d+)', page)]


def test_the_queue_shows_what_awaits_a_person_in_the_review_queues_order_a_page_at_a_time(
    app: Starlette, desk_ws: Workspace, monkeypatch
) -> None:
    monkeypatch.setattr(queue, "PAGE_SIZE", 5)
    everything = [i.id for i in review.list_items(desk_ws)]
    sam = signed_in(app, "sam")
    shown: list[int] = []
    page = 1
    while True:
        html = sam.get(f"/desk/queue?page={page}").text
        shown += _ids_on(html)
        if 'rel="next"' not in html:
            break
        page += 1
    assert shown == everything and len(everything) > 5


def test_filters_narrow_the_queue(app: Starlette, desk_ws: Workspace) -> None:
    sam = signed_in(app, "sam")
    linkedin = _ids_on(sam.get("/desk/queue?channel=linkedin").text)
    assert linkedin and all(review.item(desk_ws, i).channel == "linkedin" for i in linkedin)
    step_two = _ids_on(sam.get("/desk/queue?step=2&campaign=q4-dock-ops").text)
    assert step_two and all(review.item(desk_ws, i).step == 2 for i in step_two)
    assert _ids_on(sam.get("/desk/queue?campaign=no-such-campaign").text) == []


def test_an_inbound_answer_waiting_comes_first_with_its_speed_to_lead_clock(app: Starlette, desk_ws: Workspace) -> None:
    sam = signed_in(app, "sam")
    last = _pending(desk_ws)[-1]
    with desk_ws.store.transaction() as session:  # the scene: the last cold step is an answer to a lead instead
        session.execute(update(OutboxMessage).where(OutboxMessage.id == last.id).values(origin=Origin.inbound_answer))
    ids = _ids_on(sam.get("/desk/queue").text)
    assert ids[0] == last.id


def test_approve_is_attributed_and_moves_on_to_the_next_item(app: Starlette, desk_ws: Workspace) -> None:
    first, second = _pending(desk_ws)[:2]
    sam = signed_in(app, "sam")
    page = sam.get(f"/desk/items/{first.id}").text
    assert f'href="/desk/items/{second.id}?" id="next"' in page
    answer = sam.post(f"/desk/items/{first.id}/approve", {"version": first.version})
    assert answer.status_code == 303 and answer.headers["location"] == f"/desk/items/{second.id}?"
    assert review.item(desk_ws, first.id).state == OutboxState.approved
    last = review.history(desk_ws, first.id)[-1]
    assert (last["action"], last["reviewer"]) == ("approve", "sam")
    assert "Approved message" in sam.get(answer.headers["location"]).text
    assert "approve</strong> by sam" in sam.get(f"/desk/items/{first.id}").text


def test_an_edit_that_fails_a_check_is_saved_flagged_and_cannot_be_approved(app: Starlette, desk_ws: Workspace) -> None:
    item = next(i for i in _pending(desk_ws) if i.channel == "email")
    sam = signed_in(app, "sam")
    sam.get(f"/desk/items/{item.id}")
    body = item.body + "\n\nP.S. Congrats on your $300 million raise!"
    answer = sam.post(f"/desk/items/{item.id}/edit", {"version": item.version, "subject": item.subject, "body": body})
    note = sam.get(answer.headers["location"]).text
    assert "fails its checks and cannot be approved" in note
    edited = review.item(desk_ws, item.id)
    assert edited.state == OutboxState.flagged and edited.body == body and edited.version == item.version + 1
    refused = sam.post(f"/desk/items/{item.id}/approve", {"version": edited.version})
    assert "Not approved: it fails its checks" in sam.get(refused.headers["location"]).text
    assert review.item(desk_ws, item.id).state == OutboxState.flagged
    history = sam.get(f"/desk/items/{item.id}").text
    assert "edit</strong> by sam" in history and f"version {item.version} → {item.version + 1}" in history


def test_reject_needs_a_reason_from_the_list_and_keeps_the_words(app: Starlette, desk_ws: Workspace) -> None:
    item = _pending(desk_ws)[0]
    sam = signed_in(app, "sam")
    sam.get(f"/desk/items/{item.id}")
    for reason in ("", "because I said so", "other"):
        sam.post(f"/desk/items/{item.id}/reject", {"version": item.version, "reason": reason})
        assert review.item(desk_ws, item.id).state == OutboxState.pending_review
    sam.post(
        f"/desk/items/{item.id}/reject", {"version": item.version, "reason": "wrong facts", "detail": "they left WMS"}
    )
    assert review.item(desk_ws, item.id).state == OutboxState.rejected
    assert review.history(desk_ws, item.id)[-1]["reason"] == "wrong facts: they left WMS"


def test_of_two_reviewers_one_decision_wins_and_the_other_is_told(app: Starlette, desk_ws: Workspace) -> None:
    item = _pending(desk_ws)[0]
    sam, riley = signed_in(app, "sam"), signed_in(app, "riley")
    sam.get(f"/desk/items/{item.id}")
    riley.get(f"/desk/items/{item.id}")
    sam.post(f"/desk/items/{item.id}/approve", {"version": item.version})
    late = riley.post(f"/desk/items/{item.id}/reject", {"version": item.version, "reason": "bad timing"})
    told = riley.get(late.headers["location"]).text
    assert "changed meanwhile (last: approve by sam" in told
    assert review.item(desk_ws, item.id).state == OutboxState.approved
    # an edit on a text someone else changed since is not saved over theirs either
    other = _pending(desk_ws)[0]
    sam.get(f"/desk/items/{other.id}")
    sam.post(
        f"/desk/items/{other.id}/edit", {"version": other.version, "subject": other.subject, "body": other.body + " "}
    )
    riley.post(f"/desk/items/{other.id}/edit", {"version": other.version, "subject": other.subject, "body": "mine"})
    assert review.item(desk_ws, other.id).body == other.body + " "


def test_regenerate_and_bulk_approve(app: Starlette, desk_ws: Workspace) -> None:
    item = _pending(desk_ws)[0]
    sam = signed_in(app, "sam")
    sam.get(f"/desk/items/{item.id}")
    sam.post(f"/desk/items/{item.id}/regenerate", {"version": item.version})
    assert review.item(desk_ws, item.id).version == item.version + 1
    waiting = {i.id for i in _pending(desk_ws)}
    sam.get("/desk/queue")
    answer = sam.post("/desk/queue/approve", {"campaign": "q4-dock-ops", "min_priority": ""})
    assert f"Approved {len(waiting)} messages" in sam.get(answer.headers["location"]).text
    assert not _pending(desk_ws)


def test_a_lead_named_like_a_script_and_a_reply_in_html_are_shown_as_text(app: Starlette, desk_ws: Workspace) -> None:
    item = _pending(desk_ws)[0]
    name, reply_text = "<script>alert('name')</script>", 'Sure! <img src=x onerror="alert(1)"> <b>call me</b>'
    with desk_ws.store.transaction() as session:
        row = session.get_one(OutboxMessage, item.id)
        contact = session.get_one(Contact, row.contact_id)
        contact.first_name, row.to_name = name, name
        row.body = row.body + "\n" + name
        reply = Reply(
            contact_id=contact.id,
            matched_by="address",
            from_address=contact.email,
            text=reply_text,
            received_at=row.created_at,
            intent="interested",
            decided_by="rules",
            confidence=0.9,
            analysis={"intent": "interested", "need": {"value": "<i>x</i>"}},
        )
        session.add(reply)
        session.flush()
        row.reply_id = reply.id
    sam = signed_in(app, "sam")
    for path in ("/desk/queue", f"/desk/items/{item.id}"):
        html = sam.get(path).text
        assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in html
    html = sam.get(f"/desk/items/{item.id}").text
    assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "<b>call me" not in html and "<i>x</i>" not in html


def test_a_refused_message_can_be_sent_again_or_rejected(app: Starlette, desk_ws: Workspace) -> None:
    failed, other = _pending(desk_ws)[:2]
    with desk_ws.store.transaction() as session:  # the scene: the mail server refused both
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([failed.id, other.id]))
            .values(state=OutboxState.failed, error="550 mailbox unavailable")
        )
    sam = signed_in(app, "sam")
    page = sam.get(f"/desk/items/{failed.id}").text
    assert "550 mailbox unavailable" in page and "Send again" in page and "Approve (a)" not in page
    sam.post(f"/desk/items/{failed.id}/retry", {"version": failed.version})
    assert review.item(desk_ws, failed.id).state == OutboxState.approved
    assert review.history(desk_ws, failed.id)[-1]["action"] == "retry"
    sam.get(f"/desk/items/{other.id}")
    sam.post(
        f"/desk/items/{other.id}/reject", {"version": other.version, "reason": "other", "detail": "left the company"}
    )
    assert review.item(desk_ws, other.id).state == OutboxState.rejected
