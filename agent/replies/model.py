"""What the agent learned from one reply: the intent, the qualification fields, and who decided.

`ReplyAnalysis` is the contract between the tiers (rules, classifier, model), the actions and
the handoff, and the line format of `sdr replies classify --jsonl`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Intent(StrEnum):
    interested = "interested"
    question = "question"
    meeting_request = "meeting_request"
    reschedule = "reschedule"
    cancel = "cancel"
    not_now = "not_now"
    not_interested = "not_interested"
    objection = "objection"
    referral = "referral"
    out_of_office = "out_of_office"
    unsubscribe = "unsubscribe"
    bounce = "bounce"


class Objection(StrEnum):
    price = "price"
    competitor = "competitor"
    built_in_house = "built_in_house"
    no_budget = "no_budget"
    no_need = "no_need"
    timing = "timing"
    security = "security"
    other = "other"


class DecidedBy(StrEnum):
    rule = "rule"
    classifier = "classifier"
    llm = "llm"
    person = "person"  # a reviewer's reading replaced the agent's (`sdr replies decide`)


class Flag(StrEnum):
    injection_suspected = "injection_suspected"
    needs_review = "needs_review"
    # Read as an opt-out by the classifier or a model, not by an opt-out phrase, and not surely:
    # the address is held (nothing is sent to it) until a person confirms or releases it.
    opt_out_in_doubt = "opt_out_in_doubt"


class Evidence(BaseModel):
    """A BANT field: known only with a quote from the reply's own visible text."""

    status: Literal["known", "unknown"] = "unknown"
    evidence: str | None = None

    @classmethod
    def quote(cls, text: str | None) -> Evidence:
        return cls(status="known", evidence=text) if text else cls()


class Referral(BaseModel):
    name: str
    email: str | None = None
    title: str | None = None


class Qualification(BaseModel):
    budget: Evidence = Evidence()
    authority: Evidence = Evidence()
    need: Evidence = Evidence()
    timeline: Evidence = Evidence()
    competitor: str | None = None
    objection: Objection | None = None


class ReplyAnalysis(BaseModel):
    intent: Intent
    fields: Qualification = Qualification()
    return_date: date | None = None
    nurture_date: date | None = None
    meeting_times: list[datetime] = Field(default_factory=list, description="Aware, best first.")
    referral: Referral | None = None
    bounced_address: str | None = None
    language: str = "en"
    summary: str = ""
    confidence: float = Field(ge=0, le=1)
    decided_by: DecidedBy
    flags: list[Flag] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list, description="Why the deciding tier decided.")
    date_phrase: str | None = Field(default=None, exclude=True, description="The model's date words, if any.")

    def flag(self, *flags: Flag) -> None:
        for flag in flags:
            if flag not in self.flags:
                self.flags.append(flag)
