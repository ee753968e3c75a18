"""The desk in a real headless browser (Debian's chromium, driven by Playwright) against a server
the test starts on 127.0.0.1: a reviewer works the queue from the keyboard, an edit that fails a
check cannot be approved, a rejection keeps its reason, an AE closes a handoff, the dashboard
shows what `sdr status --json` says; and axe-core finds no serious or critical accessibility
violation on the queue, an item, the AE's page or the dashboard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from typer.testing import CliRunner

from agent import review
from agent.cli.app import app as cli
from agent.replies.handoff import list_handoffs
from agent.states import OutboxState
from agent.store.tables import Contact
from agent.workspace import Workspace
from tests.desk.conftest import AE_EMAIL, PASSWORD
from tests.desk.test_handoff_pages import book_and_hand_off
from tests.helpers import IN_WINDOW
from tests.server.conftest import serving

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright is a dev dependency: pip install -e '.[dev]'"
)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install chromium): the browser tests need it",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def desk(app: Starlette) -> Iterator[str]:
    with serving(app) as base:
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # axe-core is injected by the test: the desk's own policy allows only its own scripts.
    context = browser.new_context(bypass_csp=True)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def sign_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/desk/")
    assert "/desk/sign-in" in page.url
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def no_serious_violations(page: Any, what: str) -> None:
    assert serious_violations(page) == [], what


def test_the_accessibility_check_can_fail(page: Any) -> None:
    page.set_content('<html><body><img src="chart.png"><button></button></body></html>')
    assert {v.split(" ")[0] for v in serious_violations(page)} >= {"image-alt", "button-name"}


def focused(page: Any, element_id: str) -> None:
    page.wait_for_function(f"document.activeElement && document.activeElement.id === {element_id!r}")


def note(page: Any) -> str:
    return str(page.locator(".note").inner_text())


def test_a_reviewer_approves_with_the_keyboard_edits_and_rejects(page: Any, desk: str, desk_ws: Workspace) -> None:
    waiting = review.list_items(desk_ws)
    sign_in(page, desk, "sam")
    assert page.url.endswith("/desk/queue")
    no_serious_violations(page, "the queue")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/desk/items/{waiting[0].id}?")
    no_serious_violations(page, "an item")
    first = waiting[0]
    page.keyboard.press("a")
    page.wait_for_url(f"**/desk/items/{waiting[1].id}?")
    assert f"Approved message {first.id}" in note(page)
    assert review.item(desk_ws, first.id).state == OutboxState.approved
    assert review.history(desk_ws, first.id)[-1]["reviewer"] == "sam"

    # An edit that makes a claim no fact supports: saved, flagged, and "a" cannot approve it.
    second = review.item(desk_ws, waiting[1].id)
    page.keyboard.press("e")
    focused(page, "edit-body")
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\nP.S. Congrats on your $300 million raise!")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and re-check").click()
    assert "fails its checks and cannot be approved" in note(page)
    with page.expect_navigation():
        page.keyboard.press("a")
    assert "Not approved: it fails its checks" in note(page)
    assert review.item(desk_ws, second.id).state == OutboxState.flagged

    # Rejected with a reason from the list and the reviewer's words.
    page.keyboard.press("r")
    focused(page, "reason")
    page.get_by_label("Reject because (r)").select_option("wrong facts")
    page.get_by_label("In your words").fill("no raise was announced")
    with page.expect_navigation():
        page.get_by_role("button", name="Reject").click()
    assert review.item(desk_ws, second.id).state == OutboxState.rejected
    assert review.history(desk_ws, second.id)[-1]["reason"] == "wrong facts: no raise was announced"


def test_an_ae_closes_a_handoff(page: Any, desk: str, desk_ws: Workspace) -> None:
    with desk_ws.store.transaction() as session:
        contact = session.scalars(select(Contact).order_by(Contact.id)).first()
        assert contact is not None
        session.expunge(contact)
    handoff_id = book_and_hand_off(desk_ws, contact, AE_EMAIL)
    sign_in(page, desk, "sofia")
    assert page.url.endswith("/desk/handoffs")
    no_serious_violations(page, "the AE's page")
    card = page.locator(f"article[aria-labelledby=handoff-{handoff_id}]")
    card.get_by_label("Not qualified: back to the SDR").check()
    card.get_by_label("The reason").fill("not the right person")
    with page.expect_navigation():
        card.get_by_role("button", name=f"Close handoff #{handoff_id}").click()
    assert f"Handoff {handoff_id} closed: not qualified" in note(page)
    closed = next(v for v in list_handoffs(desk_ws) if v.id == handoff_id)
    assert (closed.disposition, closed.reason) == ("not_qualified", "not the right person")


def test_the_dashboard_shows_the_figures_of_sdr_status_json(
    page: Any, desk: str, desk_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    review.bulk_approve(desk_ws, campaign="q4-dock-ops", reviewer="sam")
    monkeypatch.setenv("SDR_WORKSPACE", str(desk_ws.settings.workspace))
    runner = CliRunner()
    sent = runner.invoke(cli, ["send", "--campaign", "q4-dock-ops", "--as-of", IN_WINDOW.isoformat() + "Z"])
    assert sent.exit_code == 0, sent.output
    status = json.loads(runner.invoke(cli, ["status", "q4-dock-ops", "--json"]).output)["campaigns"][0]
    sign_in(page, desk, "olga")
    assert page.url.endswith("/desk/results")
    no_serious_violations(page, "the dashboard")
    shown = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('[data-figure]')]"
        ".map(e => [e.dataset.figure, e.dataset.value]))"
    )
    r = status["results"]
    assert r["contacted"] > 0
    for key in ("contacted", "replied", "positive", "meetings_booked", "meetings_held", "handoffs_accepted"):
        assert shown[key] == str(r[key]), key
    rate = r["reply_rate"]
    assert shown["reply_rate"] == ("n/a" if rate is None else f"{rate * 100:.1f}%")
    assert page.locator("svg[role=img]").count() == 5
