"""The campaign file's `inbound:` section: who answers inbound leads, with what words, and who hears of them.

Kept apart from `agent.campaign` (which embeds it, and which this module must not import) so the
inbound capability owns its rules. Every field has a default: a campaign without the section
answers inbound leads with the built-in templates, sending to fits at once and queueing the rest.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib.resources import files
from typing import Any, Literal

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field, model_validator

from agent.strict import Strict

TemplateName = Literal["meeting", "booked", "answer", "review", "student", "job_seeker", "not_a_fit"]
Notice = Literal["meeting", "answer", "review", "not_qualified", "do_not_contact", "flagged", "duplicate"]
NOTICED: tuple[Notice, ...] = ("meeting", "answer", "review", "flagged")

# Operators' templates run in Jinja2's sandbox with strict variables, like the sequence templates.
ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False)


@lru_cache(maxsize=256)
def compiled(source: str) -> jinja2.Template:
    """A template compiled once per process. Every reading of a campaign (several per lead) checks
    its templates, and every answer renders two: compiling each time was 22 compilations per lead."""
    return ENV.from_string(source)


# What every template may use; an override that names anything else fails when the file is read.
SAMPLE: dict[str, Any] = {
    "lead": {
        "first_name": "Sam",
        "last_name": "Lee",
        "name": "Sam Lee",
        "email": "sam@example.com",
        "company": "Example Co",
        "title": "VP Operations",
        "source": "demo request",
    },
    "account": {"name": "Example Co", "domain": "example.com"},
    "sender": {"name": "Alex Doe", "title": "SDR", "company": "Our Co", "email": "alex@our.example"},
    "ae": {"name": "Pat Kim", "minutes": 30},
    "slots": ["Tuesday 1 December, 10:00 AM CST", "Wednesday 2 December, 2:30 PM CST"],
    "timezone": "America/Chicago",
    "meeting": {"when": "Tuesday 1 December, 10:00 AM CST"},
    "named_time": {"when": "Tuesday 1 December, 10:00 AM CST", "why": "busy"},
    "answers": [{"topic": "SAP EWM", "answer": "We connect to SAP EWM."}],
    "topics": ["SAP EWM"],
    "value_proposition": "What we do, in a sentence.",
    "proof_points": ["A customer's result."],
    "language": "en",
    "reason": "outside the ICP (industry Dental Clinics)",
}


class AnswerTemplate(Strict):
    subject: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, description="Jinja2; the compliance footer is added by the system.")


class ApprovedAnswer(Strict):
    """An answer sales and marketing agreed on, for a question inbound leads ask again and again."""

    topic: str = Field(min_length=1, description="What the question is about, as the answer names it.")
    keywords: list[str] = Field(min_length=1, description="Words that mean the lead asks about it (any case).")
    answer: str = Field(min_length=10, description="Said as written: every name and figure in it is approved.")


class Notify(Strict):
    to: list[str] = Field(default_factory=list, description="Addresses told about each new lead on these routes.")
    routes: list[Notice] = Field(default_factory=lambda: list(NOTICED))

    @model_validator(mode="after")
    def _addresses(self) -> Notify:
        bad = [a for a in self.to if "@" not in a or " " in a.strip()]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an email address")
        return self


class InboundSpec(Strict):
    send_without_review: Literal["fits", "all", "never"] = Field(
        default="fits",
        description="fits: a fit's first answer goes out as soon as it passes the checks (speed-to-lead "
        "wins), others wait for review; all: every due answer that passes; never: all wait for review.",
    )
    talk_sources: list[str] = Field(
        default_factory=lambda: ["demo request", "pricing page", "contact sales", "book a meeting"],
        description="Form sources that mean the lead wants to talk (matched without case).",
    )
    duplicate_window_minutes: int = Field(
        default=30, ge=1, le=1440, description="A second lead from the same address this soon gets no second answer."
    )
    competitors: list[str] = Field(default_factory=list, description="Competitors' names or domains: no answer.")
    answers: list[ApprovedAnswer] = Field(default_factory=list)
    templates: dict[TemplateName, AnswerTemplate] = Field(
        default_factory=dict, description="Overrides of the built-in templates, by route."
    )
    notify: Notify = Notify()

    @model_validator(mode="after")
    def _templates_render(self) -> InboundSpec:
        for name, template in self.templates.items():
            for part in ("subject", "body"):
                try:
                    compiled(getattr(template, part)).render(**SAMPLE)
                except jinja2.TemplateError as exc:
                    raise ValueError(f"templates.{name}.{part}: {exc}") from exc
        return self

    def template(self, name: TemplateName) -> AnswerTemplate:
        return self.templates.get(name) or default_templates()[name]


@cache
def default_templates() -> dict[str, AnswerTemplate]:
    text = files("agent.campaign").joinpath("inbound_templates.yaml").read_text(encoding="utf-8")
    return {name: AnswerTemplate.model_validate(value) for name, value in yaml.safe_load(text).items()}
