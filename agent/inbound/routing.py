"""Where a lead goes, from what is known about it: a pure decision, so every route has its reasons.

The order is the order of what must never go wrong: an address that asked not to be contacted
hears nothing; attempts to steer the agent get nothing and go to a person, flagged (the address
held if the rest may be an opt-out); an opt-out in doubt holds the address for a person; spam gets
nothing and goes to a person; a competitor or a vendor gets nothing; students and job seekers are
pointed to the right place; then the ICP decides between a meeting, an answer, and a person's
judgement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.campaign.inbound import TemplateName
from agent.inbound.screening import Screen
from agent.inbound.tables import Route
from agent.scoring import ScoreCard


@dataclass(frozen=True)
class Facts:
    screen: Screen
    card: ScoreCard | None  # None: no company to score (a personal address, no website)
    min_fit: float
    suppressed: bool = False
    opt_out: str | None = None  # the phrase, when the message asks not to be contacted
    opt_out_in_doubt: bool = False  # the reader leans to an opt-out without a clear phrase
    injection: list[str] = field(default_factory=list)
    talk: str | None = None  # why they want to talk
    question: bool = False
    answered_topics: list[str] = field(default_factory=list)
    books_meetings: bool = True  # the campaign has a meetings: section


@dataclass(frozen=True)
class Decision:
    route: Route
    reasons: list[str]
    template: TemplateName | None = None  # the first answer due, if any
    disposition_reason: str | None = None  # set when the lead is not qualified
    needs_review: bool = False
    suppress: bool = False
    hold: bool = False  # an opt-out in doubt: the address is blocked until a person settles it


def _unknown(reason: str) -> bool:
    """A hard ICP filter missed for want of data ("industry unknown") rather than by the data."""
    return "unknown" in reason or reason.startswith("no ICP technology known")


def fit_problems(card: ScoreCard | None, min_fit: float) -> tuple[list[str], list[str]]:
    """(what rules the lead out, what leaves it only partly fitting)."""
    if card is None:
        return [], ["no company to score: a personal address and no website"]
    out = [f"outside the ICP ({r.split(':')[0]})" for r in card.missed_required if not _unknown(r)]
    partial = [f"cannot tell: {r.split(':')[0]}" for r in card.missed_required if _unknown(r)]
    if card.persona is None:
        partial.append("no ICP persona for this title")
    if card.fit < min_fit:
        partial.append(f"fit {card.fit:g} below {min_fit:g}")
    return out, partial


def decide(facts: Facts) -> Decision:
    if facts.suppressed:
        return Decision(Route.do_not_contact, ["the address is suppressed"])
    if facts.opt_out:
        return Decision(Route.do_not_contact, [f"asks not to be contacted: {facts.opt_out!r}"], suppress=True)
    held = "may be asking not to be contacted: the address is held until a person settles it"
    if facts.injection:  # what is read beside an injection is not to be relied on; held if it may be an opt-out
        reasons = [f"tries to steer the agent: {facts.injection[0][:80]!r}"]
        if facts.opt_out_in_doubt:
            reasons.append(held)
        return Decision(Route.flagged, reasons, needs_review=True, hold=facts.opt_out_in_doubt)
    if facts.opt_out_in_doubt:
        return Decision(Route.do_not_contact, [held], needs_review=True, hold=True)
    screen = facts.screen
    if screen.kind == "spam":
        return Decision(Route.flagged, [screen.reason], needs_review=True)
    declines: dict[str, TemplateName | None] = {
        "competitor": None, "vendor": None, "student": "student", "job_seeker": "job_seeker",
    }  # fmt: skip
    if screen.kind in declines:
        template = declines[screen.kind]
        return Decision(Route.not_qualified, [screen.reason], template, disposition_reason=screen.reason)
    out, partial = fit_problems(facts.card, facts.min_fit)
    if out:
        return Decision(Route.not_qualified, out, "not_a_fit", disposition_reason=out[0])
    if partial:
        return Decision(Route.review, ["a partial fit: " + "; ".join(partial)], "review", needs_review=True)
    assert facts.card is not None
    fit = f"a fit ({facts.card.fit:g}, {facts.card.persona})"
    if facts.talk and facts.books_meetings:
        return Decision(Route.meeting, [fit, facts.talk], "meeting")
    if facts.talk or facts.question or facts.answered_topics:
        asked = facts.talk or ("asks about " + ", ".join(facts.answered_topics) if facts.answered_topics else "asks")
        if facts.talk:
            asked += "; no meetings: section, so an offer to talk"
        return Decision(Route.answer, [fit, asked], "answer")
    return Decision(Route.review, [fit, "no clear ask: for a person"], "review", needs_review=True)
