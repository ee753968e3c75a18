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
    "Hi Dana,\n\nCongrats on the new Reno cross-dock, all 400,000 sq ft of it. More doors usually means more "
    "trucks waiting at the gate. We let carriers book their own dock times and show your team every door "
    "live, so trucks wait less and detention fees fall. Would a 20-minute call next week be useful?\n\nMaya"
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
            body="Hi Dana, congrats on the new Reno cross-dock, all 400,000 sq ft of it. Happy to connect.",
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
        "Congrats on the new Reno cross-dock, all 400,000 sq ft of it.",
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


def test_a_first_email_is_50_to_125_words() -> None:
    assert (
        "first email of"
        in checks(
            GOOD.replace("More doors usually means more trucks waiting at the gate. ", "").replace(
                ", so trucks wait less and detention fees fall", ""
            )
        )["craft"]
    )
    padding = " We keep it simple for the crew." * 12
    assert "first email of" in checks(GOOD.replace("\n\nMaya", padding + "\n\nMaya"))["craft"]


def test_a_subject_has_seven_words_at_most() -> None:
    assert "subject of 8 words" in checks(subject="A quick note about the docks in Reno")["craft"]


def test_an_email_asks_exactly_one_thing() -> None:
    two = GOOD.replace("be useful?", "be useful? Or should I talk to someone else?")
    assert "2 asks" in checks(two)["craft"]
    assert "0 asks" in checks(GOOD.replace("Would a 20-minute call next week be useful?", "Talk soon."))["craft"]


def test_hard_reading_fails_plain_words_pass() -> None:
    hard = GOOD.replace(
        "More doors usually means more trucks waiting at the gate.",
        "Consequently, operational throughput considerations typically necessitate comprehensive "
        "reconsideration of inbound appointment orchestration methodologies.",
    )
    assert "reading grade" in checks(hard)["craft"]


def test_copying_a_source_sentence_fails_a_short_phrase_passes() -> None:
    copied = GOOD.replace("Congrats on the new Reno cross-dock, all 400,000 sq ft of it.", FACT.text)
    assert "copies 14 words of a source" in checks(copied)["craft"]


def test_a_connection_note_never_quotes() -> None:
    note = f'Hi Dana, I read this: "{FACT.text[:40]}" Glad to connect.'
    assert "a connection note quotes" in checks(channel=Channel.linkedin, subject=None, body=note, composed="")["craft"]


def test_the_proof_point_must_fit_the_prospect() -> None:
    fits, other = "Keystone Fulfillment", "Harbor Foods"  # a 3PL's operations leader: Keystone fits
    [keystone] = [p.text for p in SPEC.proof_points if p.text.startswith(fits)]
    [harbor] = [p.text for p in SPEC.proof_points if p.text.startswith(other)]
    assert "proof" not in checks(GOOD.replace("\n\nMaya", f" {keystone}\n\nMaya"))
    assert "does not fit" in checks(GOOD.replace("\n\nMaya", f" {harbor}\n\nMaya"))["proof"]
