"""The campaign file's `qualification:` section: the written SQL definition and the reply policy.

Kept apart from `agent.campaign` (which embeds it) so the replies capability owns its rules.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from agent.strict import Strict

ResponseIntent = Literal["interested", "question", "objection", "meeting_request", "reschedule", "cancel"]


class SqlDefinition(Strict):
    """What makes a sales-qualified lead: the lowest bar that starts a real sales conversation."""

    need: bool = Field(default=True, description="An objectively stated need (quoted from a reply).")
    authority_or_champion: bool = Field(
        default=True, description="The person decides or signs, names who does, or is a champion by title."
    )
    timeline_within_months: int | None = Field(
        default=6, ge=1, le=36, description="A stated timeline within this many months (null: any or none)."
    )
    budget: bool = Field(default=False, description="A stated budget (most teams qualify without one).")
    champion_titles: list[str] = Field(
        default_factory=lambda: ["chief", "vp", "vice president", "head of", "director", "general manager"],
        description="Title words that make a person a champion for a first conversation.",
    )


class ReplyPolicy(Strict):
    auto_send: list[ResponseIntent] = Field(
        default_factory=list, description="Intents whose drafted response goes out without review."
    )
    responses: Literal["auto", "template", "model"] = Field(
        default="auto", description="auto: the model writes when it can write, else templates."
    )
    out_of_office_pause_days: int = Field(
        default=7, ge=1, le=60, description="Pause when an out-of-office note gives no return date."
    )
    account_executive: str | None = Field(default=None, description="Who qualified meetings go to.")
    meeting_minutes: int = Field(default=20, ge=10, le=120)


class QualificationSpec(Strict):
    sql: SqlDefinition = SqlDefinition()
    replies: ReplyPolicy = ReplyPolicy()

    @model_validator(mode="after")
    def _something_required(self) -> QualificationSpec:
        sql = self.sql
        if not (sql.need or sql.authority_or_champion or sql.budget or sql.timeline_within_months):
            raise ValueError("the SQL definition requires nothing: every reply would qualify")
        return self
