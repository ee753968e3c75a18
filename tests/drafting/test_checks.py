from __future__ import annotations

from datetime import date

import pytest

from agent.campaign import Channel, load_campaign
from agent.drafting.checks import Claim, StepDraft, run_checks
from agent.drafting.compliance import compose_body, read_unsubscribe_token, unsubscribe_token
from agent.drafting.context import DraftContext
from agent.research.brief import Brief, Cited
from agent.research.facts import Fact
from agent.store.tables import Account, Contact
from tests.conftest import EXAMPLES

SPEC = load_campaign(EXAMPLES / "campaign.yaml")
FACT = Fact(
    id="F7",
    source_id=1,
    source_title="Acme opens Reno cross-dock",
    source_kind="news",
    published_on=date(2026, 10, 2),
    text="Acme Logistics opened a 400,000 sq ft cross-dock in Reno in October 2026.",
)
BRIEF = Brief(account_domain="acme.example", summary=Cited(text="", fact_ids=[]), facts=[FACT])
CTX = DraftContext(
    spec=SPEC,
    account=Account(domain="acme.example", name="Acme Logistics", technologies=[]),
    contact=Contact(email="dana@acme.example", first_name="Dana", title="VP Operations"),
    brief=BRIEF,
    hooks=[],
)
GOOD = (
    "Hi Dana,\n\nI read that Acme Logistics opened a 400,000 sq ft cross-dock in Reno in October 2026. "
    "More doors usually means more trucks waiting at the gate. Lumen Dock lets carriers book their own "
    "dock appointments and shows every door live, so detention fees fall. Would a 20-minute call next "
    "week be useful?\n\nMaya"
)


def checks(
    body: str = GOOD,
    subject: str | None = "Reno cross-dock",
    claims: list[Claim] | None = None,
    channel: Channel = Channel.email,
    composed: str | None = None,
) -> dict[str, str]:
    claims = [Claim(text=FACT.text, fact_id="F7")] if claims is None else claims
    draft = StepDraft(step_number=1, channel=channel, subject=subject, body=body, claims=claims)
    link = SPEC.sender.unsubscribe_url + "?t=x"
    text = composed if composed is not None else compose_body(body, SPEC.sender, link)
    return {r.check: r.detail for r in run_checks(draft, CTX, text) if not r.ok}


def test_a_good_email_passes_every_check() -> None:
    assert checks() == {}


@pytest.mark.parametrize(
    "body",
    [
        "Hi {{ contact.first_name }}, " + GOOD,
        "Hi [First Name], " + GOOD,
        GOOD + " TODO add proof",
        "Hi {first_name}, " + GOOD,
    ],
)
def test_unfilled_placeholders_fail(body: str) -> None:
    assert "placeholders" in checks(body)


def test_length_limits_per_channel() -> None:
    assert "length" in checks(GOOD + " word" * 200)
    assert "length" in checks(subject="")
    assert "length" in checks(subject="x" * 90)
    assert "length" in checks(body="Hi Dana, " + "quick note " * 40, channel=Channel.linkedin, subject=None)


def test_email_needs_postal_address_and_unsubscribe() -> None:
    assert "compliance" in checks(composed=GOOD)
    assert (
        checks(
            channel=Channel.linkedin,
            subject=None,
            body="Hi Dana, I read that Acme Logistics opened a 400,000 sq ft cross-dock in Reno. Happy to connect.",
            composed="",
        )
        == {}
    )


def test_a_claim_with_no_cited_source_fails() -> None:
    assert "claims" in checks(claims=[])  # the same text, with its citation removed


def test_an_invented_figure_or_name_fails_even_with_a_citation() -> None:
    body = GOOD.replace("400,000", "900,000")
    assert "900000" in checks(body)["claims"]
    body = GOOD.replace("More doors", "Globex Ventures says more doors")
    assert "Globex Ventures" in checks(body)["claims"]


def test_a_vague_personal_claim_needs_a_backing_fact() -> None:
    body = GOOD.replace(
        "I read that Acme Logistics opened a 400,000 sq ft cross-dock in Reno in October 2026.",
        "Congrats on the recent funding round.",
    )
    assert "claims" in checks(body)


def test_citing_a_fact_that_does_not_exist_fails() -> None:
    assert "unknown facts" in checks(claims=[Claim(text="x", fact_id="F99")])["claims"]


@pytest.mark.parametrize(
    "body",
    [
        GOOD + " This is 100% risk-free!",
        GOOD + " Click here: https://bit.ly/x",
        GOOD + " ACT NOW before it is gone.",
        GOOD + " https://a.example https://b.example",
    ],
)
def test_spammy_patterns_fail(body: str) -> None:
    assert "spam" in checks(body)


def test_subject_may_not_pretend_to_be_a_reply() -> None:
    assert "spam" in checks(subject="Re: our call")


def test_unsubscribe_tokens_are_signed() -> None:
    token = unsubscribe_token("Dana@acme.example", "q4", "secret")
    assert read_unsubscribe_token(token, "secret") == ("dana@acme.example", "q4")
    assert read_unsubscribe_token(token, "other-secret") is None
    assert read_unsubscribe_token(token[:-2] + "xx", "secret") is None
    assert read_unsubscribe_token("garbage", "secret") is None
