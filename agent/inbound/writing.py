"""The words of a first answer: the route's template filled in, then the drafting checks.

An answer passes the same deterministic checks as a sequence draft, on the text as it will go
out (the body with its compliance footer): no unfilled placeholder, the length of an email, the
postal address and unsubscribe link, no spam pattern, and no name or figure that is not ours,
the lead's own, an AE's, an offered time, or in an approved answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import jinja2

from agent.campaign import CampaignSpec, Channel
from agent.campaign.inbound import InboundSpec, TemplateName, compiled
from agent.drafting.checks import CheckResult, Claim, StepDraft, run_checks
from agent.drafting.compliance import compose_body, unsubscribe_url
from agent.drafting.context import DraftContext
from agent.errors import SdrError
from agent.store.tables import Account, Contact


class TemplateFailed(SdrError):
    """A template could not be rendered for this lead (a strict variable it lacks)."""


@dataclass
class AnswerContext(DraftContext):
    """A draft context whose allowed words include what this answer may say besides ours and theirs."""

    extra_terms: list[str] = field(default_factory=list)

    def allowed_terms(self) -> list[str]:
        return [*super().allowed_terms(), *self.extra_terms]


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def render(spec: CampaignSpec, name: TemplateName, variables: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of the route's template."""
    template = (spec.inbound or InboundSpec()).template(name)
    try:
        subject = _tidy(compiled(template.subject).render(**variables))
        body = _tidy(compiled(template.body).render(**variables))
    except jinja2.TemplateError as exc:
        raise TemplateFailed(f"inbound template {name}: {exc}") from exc
    return " ".join(subject.split()), body


def footer_link(spec: CampaignSpec, email: str, secret: str) -> str:
    return unsubscribe_url(spec.sender, email, spec.name, secret)


def composed(spec: CampaignSpec, email: str, body: str, secret: str) -> str:
    return compose_body(body, spec.sender, footer_link(spec, email, secret))


def check(
    spec: CampaignSpec,
    account: Account,
    contact: Contact,
    subject: str,
    body: str,
    secret: str,
    extra_terms: list[str],
) -> list[CheckResult]:
    draft = StepDraft(
        step_number=1,
        channel=Channel.email,
        subject=subject,
        body=body,
        claims=[Claim(text=p.text, fact_id="campaign") for p in spec.proof_points if p.text in body],
    )
    ctx = AnswerContext(
        spec=spec, account=account, contact=contact, brief=None, hooks=[], outreach=False, extra_terms=extra_terms
    )
    return run_checks(draft, ctx, composed(spec, contact.email, body, secret))
