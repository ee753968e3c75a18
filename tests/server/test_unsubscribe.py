"""RFC 8058 one-click unsubscribe against the live server: the POST suppresses, the GET never does."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from agent.drafting.compliance import unsubscribe_token
from agent.store.tables import Enrollment, EnrollmentState, Suppression
from tests.inbound.conftest import CAMPAIGN, Desk
from tests.server.conftest import serving

ONE_CLICK = {"content": b"List-Unsubscribe=One-Click", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


def token(desk: Desk, email: str, secret: str | None = None) -> str:
    return unsubscribe_token(email, CAMPAIGN, secret or desk.ws.unsubscribe_secret)


def suppressed(desk: Desk) -> list[tuple[str, str, str | None]]:
    with desk.ws.store.transaction() as session:
        return [(r.value, r.reason, r.source) for r in session.scalars(select(Suppression))]


def test_one_click_post_suppresses_at_once_and_again_changes_nothing(desk: Desk, app: Starlette) -> None:
    desk.answer(message="Demo please.")  # an enrollment tied to the campaign, like any contact we wrote to
    with serving(app) as base, httpx.Client(base_url=base) as client:
        url = f"/unsubscribe?t={token(desk, 'jordan.blake@reno-freight.example')}"
        first = client.post(url, **ONE_CLICK)
        again = client.post(url, **ONE_CLICK)
    assert (first.status_code, again.status_code) == (200, 200)
    assert suppressed(desk) == [
        ("jordan.blake@reno-freight.example", "unsubscribe", "one-click unsubscribe (q4-dock-ops)")
    ]
    with desk.ws.store.transaction() as session:
        states = session.scalars(select(Enrollment.state)).all()
        assert states and all(s == EnrollmentState.stopped for s in states)


def test_a_get_shows_a_button_that_posts_and_unsubscribes_no_one(desk: Desk, app: Starlette) -> None:
    with serving(app) as base, httpx.Client(base_url=base) as client:
        page = client.get(f"/unsubscribe?t={token(desk, 'dana.whitfield@reno-freight.example')}")
    assert page.status_code == 200 and '<form method="post">' in page.text
    assert (
        'name="List-Unsubscribe" value="One-Click"' in page.text and "dana.whitfield@reno-freight.example" in page.text
    )
    assert suppressed(desk) == []


def test_an_invalid_token_gets_400_and_changes_nothing(desk: Desk, app: Starlette) -> None:
    forged = token(desk, "dana.whitfield@reno-freight.example", secret="someone-elses-secret")
    with serving(app) as base, httpx.Client(base_url=base) as client:
        answers = [
            client.post(f"/unsubscribe?t={forged}", **ONE_CLICK),
            client.post("/unsubscribe?t=not-a-token", **ONE_CLICK),
            client.post("/unsubscribe", **ONE_CLICK),
            client.get(f"/unsubscribe?t={forged}"),
        ]
    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert suppressed(desk) == []


def test_the_link_in_a_sent_answer_unsubscribes_its_reader(desk: Desk, app: Starlette) -> None:
    desk.answer(message="Demo please.")
    [mail] = desk.outbox(to="jordan.blake@reno-freight.example")
    link = next(w for w in mail.get_content().split() if "unsubscribe?t=" in w)
    path = link.removeprefix("https://lumendock.example")
    with serving(app) as base, httpx.Client(base_url=base) as client:
        assert client.post(path, **ONE_CLICK).status_code == 200
    assert [s[0] for s in suppressed(desk)] == ["jordan.blake@reno-freight.example"]
