"""Sign-in and the gate in front of every page: sessions, CSRF, roles, throttling, secrets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from typer.testing import CliRunner

from agent import review
from agent.cli.app import app as cli
from agent.clock import utcnow
from agent.desk import users
from agent.desk.tables import FailedSignIn, Role
from agent.errors import ConfigError
from agent.server.app import create_app
from agent.states import OutboxState
from agent.store.tables import Review
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.desk.conftest import DESK_SECRET, PASSWORD, Person, signed_in
from tests.helpers import UNSUBSCRIBE_SECRET


def _desk_routes(app: Starlette) -> list[tuple[str, str]]:
    """(method, path) of every desk route but the sign-in form and the static files, ids filled in."""
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/desk")
    found = []
    for route in mount.routes:
        if isinstance(route, Route) and not route.path.startswith("/sign-in"):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                path = route.path
                for param in ("{outbox_id:int}", "{handoff_id:int}", "{reply_id:int}"):
                    path = path.replace(param, "1")
                found.append((method, "/desk" + path))
    return found


def test_every_route_without_a_session_redirects_to_sign_in_or_answers_401(app: Starlette, person: Person) -> None:
    routes = _desk_routes(app)
    assert len(routes) >= 11
    for method, path in routes:
        answer = person.client.request(method, path, follow_redirects=False)
        if method == "GET":
            assert answer.status_code == 303 and answer.headers["location"].startswith("/desk/sign-in"), path
        else:
            assert answer.status_code == 401, path


def test_a_forged_or_stale_cookie_is_no_session(app: Starlette, person: Person, desk_ws: Workspace) -> None:
    person.client.cookies.set("sdr_desk", "eyJ1IjoxLCJlIjowLCJ0IjoiMjAyNi0xMS0yNFQxNTowMDowMCIsImMiOiJ4In0.forged")
    assert person.client.get("/desk/queue", follow_redirects=False).status_code == 303
    sam = signed_in(app, "sam")
    assert sam.get("/desk/queue").status_code == 200
    users.disable(desk_ws, "sam")  # a disabled user's open session ends at its next request
    assert sam.client.get("/desk/queue", follow_redirects=False).status_code == 303


def test_a_session_lasts_its_hours_by_the_agents_clock(app: Starlette, suite_clock) -> None:
    sam = signed_in(app, "sam")
    suite_clock.advance(timedelta(hours=11))
    assert sam.client.get("/desk/queue", follow_redirects=False).status_code == 200
    suite_clock.advance(timedelta(hours=2))
    assert sam.client.get("/desk/queue", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_signed_httponly_samesite_and_secure_over_https(app: Starlette) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        someone = Person(TestClient(app, base_url=base))
        answer = someone.sign_in("sam")
        cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("sdr_desk="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/desk" in cookie
        assert ("Secure" in cookie) is secure


def test_a_state_changing_request_without_the_csrf_token_is_refused_and_changes_nothing(
    app: Starlette, desk_ws: Workspace
) -> None:
    sam = signed_in(app, "sam")
    item = review.list_items(desk_ws, states=[OutboxState.pending_review])[0]
    sam.get(f"/desk/items/{item.id}")
    for token in (None, "", "not-the-token"):
        form = {"version": item.version, "reason": "bad timing", "body": "changed"}
        if token is not None:
            form["csrf"] = token
        for action in ("approve", "reject", "edit"):
            answer = sam.post(f"/desk/items/{item.id}/{action}", form, csrf=False)
            assert answer.status_code == 403
        assert sam.post("/desk/queue/approve", {"campaign": "q4-dock-ops", **form}, csrf=False).status_code == 403
    # another person's token is not this session's either
    riley = signed_in(app, "riley")
    riley.get("/desk/queue")
    answer = sam.post(f"/desk/items/{item.id}/approve", {"version": item.version, "csrf": riley.csrf}, csrf=False)
    assert answer.status_code == 403
    assert review.item(desk_ws, item.id).state == OutboxState.pending_review
    with desk_ws.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Review)) == 0


def test_an_ae_or_an_operator_cannot_approve_and_a_reviewer_cannot_close_handoffs(
    app: Starlette, desk_ws: Workspace
) -> None:
    item = review.list_items(desk_ws, states=[OutboxState.pending_review])[0]
    for name in ("sofia", "olga"):
        someone = signed_in(app, name)
        someone.get("/desk/")
        assert someone.client.get(f"/desk/items/{item.id}", follow_redirects=False).status_code == 403
        assert someone.post(f"/desk/items/{item.id}/approve", {"version": item.version}).status_code == 403
        assert someone.post("/desk/queue/approve", {"campaign": "q4-dock-ops"}).status_code == 403
    assert review.item(desk_ws, item.id).state == OutboxState.pending_review


def test_wrong_passwords_are_slowed_and_logged(app: Starlette, desk_ws: Workspace, suite_clock, caplog) -> None:
    person = Person(TestClient(app))
    for _ in range(users.FREE_TRIES):
        assert person.sign_in("sam", "not the password at all").status_code == 401
    # Now even the right password waits: guessing is slowed, whatever is guessed.
    refused = person.sign_in("sam", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 30
    suite_clock.advance(timedelta(seconds=31))
    assert person.sign_in("sam", "still not it").status_code == 401  # one more failure doubles the wait
    assert int(person.sign_in("sam", PASSWORD).headers["Retry-After"]) == 60
    suite_clock.advance(timedelta(seconds=61))
    assert person.sign_in("sam", PASSWORD).status_code == 303
    assert "desk sign-in failed for 'sam'" in caplog.text and PASSWORD not in caplog.text
    with desk_ws.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(FailedSignIn)) == users.FREE_TRIES + 1


def test_one_address_trying_many_names_is_slowed_too(app: Starlette, suite_clock) -> None:
    person = Person(TestClient(app))
    for n in range(users.CLIENT_FREE_TRIES):
        assert person.sign_in(f"guess{n}", "password123456").status_code == 401
    refused = person.sign_in("sam", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 30
    suite_clock.advance(timedelta(seconds=31))
    assert person.sign_in("sam", PASSWORD).status_code == 303


def test_signing_out_ends_the_session_everywhere(app: Starlette) -> None:
    sam = signed_in(app, "sam")
    sam.get("/desk/queue")
    copied = sam.client.cookies["sdr_desk"]
    assert sam.post("/desk/sign-out").headers["location"] == "/desk/sign-in"
    thief = Person(TestClient(app))
    thief.client.cookies.set("sdr_desk", copied)
    assert thief.client.get("/desk/queue", follow_redirects=False).status_code == 303


def test_an_unknown_name_fails_like_a_wrong_password(person: Person) -> None:
    answer = person.sign_in("nobody", PASSWORD)
    assert answer.status_code == 401 and "Wrong name or password." in answer.text


def test_sign_in_needs_its_own_form_token_and_never_redirects_elsewhere(person: Person) -> None:
    person.get("/desk/sign-in")
    assert person.post("/desk/sign-in", {"name": "sam", "password": PASSWORD}, csrf=False).status_code == 403
    person.get("/desk/sign-in?next=//evil.example/x")
    answer = person.post("/desk/sign-in", {"name": "sam", "password": PASSWORD, "next": "https://evil.example/"})
    assert answer.status_code == 303 and answer.headers["location"] == "/desk/queue"


def test_sign_in_returns_to_the_page_asked_for_and_each_role_lands_on_its_page(app: Starlette) -> None:
    person = Person(TestClient(app))
    first = person.client.get("/desk/items/3?campaign=q4-dock-ops", follow_redirects=False)
    assert first.headers["location"] == "/desk/sign-in?next=%2Fdesk%2Fitems%2F3%3Fcampaign%3Dq4-dock-ops"
    person.get(first.headers["location"])
    target = re.search(r'name="next" value="([^"]+)"', person.client.get(first.headers["location"]).text)
    assert target and target.group(1) == "/desk/items/3?campaign=q4-dock-ops"
    homes = {"sam": "/desk/queue", "sofia": "/desk/handoffs", "olga": "/desk/results", "ada": "/desk/queue"}
    for name, home in homes.items():
        someone = signed_in(app, name)
        assert someone.client.get("/desk/", follow_redirects=False).headers["location"] == home


def test_the_desk_refuses_to_start_without_a_strong_session_secret(tmp_path) -> None:
    ws = make_workspace(tmp_path, unsubscribe_secret=UNSUBSCRIBE_SECRET)
    with pytest.raises(ConfigError, match="SDR_DESK_SECRET is not set"):
        create_app(ws, worker=False, desk=True)
    create_app(ws, worker=False, desk=False)  # the webhooks alone do not need it
    for weak in ("change-me", "secret", "short-one"):
        with pytest.raises(ConfigError, match="at least 16 characters"):
            make_workspace(tmp_path, desk_secret=weak)
    assert make_workspace(tmp_path, desk_secret=DESK_SECRET).settings.desk_secret is not None


def test_sdr_serve_says_in_one_line_what_the_desk_needs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SDR_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)
    result = CliRunner().invoke(cli, ["serve", "--no-worker"])
    assert result.exit_code != 0 and "SDR_DESK_SECRET is not set" in str(result.exception)
    assert "--no-desk" in str(result.exception)


def test_users_are_managed_without_a_password_on_the_command_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SDR_WORKSPACE", str(tmp_path / "cli"))
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "kim", "--role", "reviewer", "--password-stdin"], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    prompted = runner.invoke(cli, ["users", "add", "lee", "--role", "operator"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0 and PASSWORD not in prompted.output
    short = runner.invoke(cli, ["users", "add", "max", "--role", "reviewer", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in str(short.exception)
    no_email = runner.invoke(cli, ["users", "add", "al", "--role", "ae", "--password-stdin"], input=PASSWORD + "\n")
    assert "an AE needs --email" in str(no_email.exception)
    assert runner.invoke(cli, ["users", "disable", "kim"]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list", "--json"]).output
    assert '"name": "kim"' in listed and '"active": false' in listed and "argon2" not in listed
    ws = make_workspace(tmp_path, workspace=tmp_path / "cli")
    assert users.sign_in(ws, "kim", PASSWORD, client="test", now=utcnow()) is None  # disabled
    new = "another long password"
    assert runner.invoke(cli, ["users", "reset", "kim", "--password-stdin"], input=new + "\n").exit_code == 0
    signed = users.sign_in(ws, "kim", new, client="test", now=utcnow())
    assert signed is not None and signed.role is Role.reviewer
