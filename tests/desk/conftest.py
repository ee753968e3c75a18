"""The desk over a workspace with drafts awaiting review, and people of every role signed in through
its own sign-in form (Starlette's TestClient: the real app, in process)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agent.desk import users
from agent.desk.tables import Role
from agent.server.app import create_app
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.helpers import HUMAN_REVIEW, UNSUBSCRIBE_SECRET, campaign_variant, run_demo

DESK_SECRET = "a-desk-secret-for-the-tests-only"
PASSWORD = "correct horse battery staple"
AE_EMAIL = "sofia.marin@lumendock.example"
PEOPLE = {
    "sam": (Role.reviewer, None),
    "riley": (Role.reviewer, None),
    "sofia": (Role.ae, AE_EMAIL),
    "olga": (Role.operator, None),
    "ada": (Role.admin, None),
}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def desk_workspace(tmp_path: Path) -> Workspace:
    ws = make_workspace(tmp_path, unsubscribe_secret=UNSUBSCRIBE_SECRET, desk_secret=DESK_SECRET)
    run_demo(
        ws,
        tmp_path,
        ["reno-freight.example", "harvest-lane.example"],
        campaign=campaign_variant(tmp_path, HUMAN_REVIEW),
    )
    for name, (role, email) in PEOPLE.items():
        users.add(ws, name, role, PASSWORD, email)
    return ws


@pytest.fixture
def desk_ws(tmp_path: Path) -> Workspace:
    return desk_workspace(tmp_path)


@pytest.fixture
def app(desk_ws: Workspace) -> Starlette:
    return create_app(desk_ws, worker=False, desk=True)


class Person:
    """A browser-like client: keeps cookies, follows the desk's forms, reads the CSRF token off pages."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def get(self, path: str, *, follow: bool = True) -> httpx.Response:
        page = self.client.get(path, follow_redirects=follow)
        if found := CSRF.search(page.text):
            self.csrf = found.group(1)
        return page

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True) -> httpx.Response:
        form = {**(data or {}), **({"csrf": self.csrf} if csrf else {})}
        return self.client.post(path, data=form, follow_redirects=False)

    def sign_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/desk/sign-in")
        return self.post("/desk/sign-in", {"name": name, "password": password})


@pytest.fixture
def person(app: Starlette) -> Iterator[Person]:
    with TestClient(app) as client:
        yield Person(client)


def signed_in(app: Starlette, name: str) -> Person:
    someone = Person(TestClient(app))
    assert someone.sign_in(name).status_code == 303
    return someone
