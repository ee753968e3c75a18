from __future__ import annotations

from datetime import date

from agent.campaign import TriggerKind, load_campaign
from agent.research.brief import Brief, Cited, Trigger
from agent.scoring import match_persona, score
from agent.store.tables import Account, Contact
from tests.conftest import EXAMPLES

SPEC = load_campaign(EXAMPLES / "campaign.yaml")
TODAY = date(2026, 11, 24)


def acct(**fields: object) -> Account:
    base: dict[str, object] = {
        "domain": "a.example",
        "name": "A",
        "industry": "Third-Party Logistics",
        "employees": 900,
        "country": "US",
        "technologies": ["Manhattan WMS"],
    }
    return Account(**{**base, **fields})


def brief(*triggers: tuple[TriggerKind, date | None]) -> Brief:
    return Brief(
        account_domain="a.example",
        summary=Cited(text="", fact_ids=[]),
        triggers=[Trigger(kind=k, fact_id=f"F{i}", published_on=d) for i, (k, d) in enumerate(triggers)],
    )


def test_ideal_account_and_persona_score_full_fit_with_reasons() -> None:
    card = score(acct(), Contact(email="x@a.example", title="VP of Operations"), None, SPEC, TODAY)
    assert card.fit == 100 and card.persona == "operations_leader"
    assert any("industry" in r for r in card.reasons) and any("persona" in r for r in card.reasons)


def test_each_missing_criterion_lowers_fit() -> None:
    ideal = score(acct(), None, None, SPEC, TODAY).fit
    assert score(acct(industry="Dental Care"), None, None, SPEC, TODAY).fit < ideal
    assert score(acct(employees=20), None, None, SPEC, TODAY).fit < ideal
    assert score(acct(country="BR"), None, None, SPEC, TODAY).fit < ideal
    assert score(acct(technologies=[]), None, None, SPEC, TODAY).fit < ideal
    unknown = score(acct(employees=None), None, None, SPEC, TODAY)
    assert "employee count unknown" in unknown.reasons


def test_excluded_and_unmatched_titles_have_no_persona() -> None:
    assert match_persona("Operations Intern", SPEC)[0] is None
    assert match_persona("Head of Marketing", SPEC)[0] is None
    assert match_persona(None, SPEC)[0] is None
    assert match_persona("Director, Supply Chain", SPEC)[0] is not None


def test_intent_counts_fresh_triggers_once_per_kind_and_ignores_stale_ones() -> None:
    fresh = score(acct(), None, brief((TriggerKind.funding, date(2026, 11, 1))), SPEC, TODAY).intent
    twice = score(
        acct(),
        None,
        brief((TriggerKind.funding, date(2026, 11, 1)), (TriggerKind.funding, date(2026, 10, 1))),
        SPEC,
        TODAY,
    ).intent
    stale = score(acct(), None, brief((TriggerKind.funding, date(2025, 1, 1))), SPEC, TODAY)
    both = score(
        acct(),
        None,
        brief((TriggerKind.funding, date(2026, 11, 1)), (TriggerKind.expansion, date(2026, 11, 10))),
        SPEC,
        TODAY,
    ).intent
    assert 0 < fresh == twice < both <= 100
    assert stale.intent == 0 and "no fresh trigger events" in stale.reasons


def test_priority_blends_fit_and_intent_as_the_campaign_says() -> None:
    card = score(acct(), None, brief((TriggerKind.expansion, TODAY)), SPEC, TODAY)
    weights = SPEC.icp.priority_weights
    assert card.priority == round(weights["fit"] * card.fit + weights["intent"] * card.intent, 1)
