"""The model path: one call writes the contact's whole sequence, citing a fact for every claim.

The answer schema lists the fact ids that exist (and "campaign" for our own proof points), so
a citation can only point at a real source; the checks then test that each sentence is backed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from agent.drafting.checks import Claim, StepDraft
from agent.drafting.context import DraftContext

if TYPE_CHECKING:
    from agent.llm import LLM


class WrittenClaim(BaseModel):
    text: str = Field(max_length=300, description="The sentence of the message that makes the claim.")
    fact_id: str


class WrittenStep(BaseModel):
    subject: str | None = Field(default=None, max_length=80)
    body: str = Field(max_length=1800)
    claims: list[WrittenClaim] = Field(default_factory=list, max_length=4)


class WrittenSequence(BaseModel):
    steps: list[WrittenStep]
    drew_on: list[str] = Field(
        default_factory=list, max_length=3, description="Ids of the past-call snippets the sequence drew on."
    )


def _schema(ctx: DraftContext) -> dict[str, Any]:
    schema = WrittenSequence.model_json_schema()
    ids = [h.fact_id for h in ctx.hooks] + ["campaign"]
    schema["$defs"]["WrittenClaim"]["properties"]["fact_id"]["enum"] = ids
    count = len(ctx.spec.sequence)
    schema["properties"]["steps"].update(minItems=count, maxItems=count)
    schema["properties"]["drew_on"]["items"] = {"type": "string", "enum": [s.id for s in ctx.snippets] or [""]}
    return schema


def write_sequence(
    llm: LLM, ctx: DraftContext, feedback: list[str], subject: dict[str, int | None]
) -> tuple[list[StepDraft], list[str]]:
    """The sequence's steps, and the ids of the past-call snippets it drew on."""
    variables = ctx.variables()
    brief_pains = [p.text for p in ctx.brief.pains] if ctx.brief else []
    answer = llm.ask(
        "draft_sequence",
        WrittenSequence,
        schema=_schema(ctx),
        subject=subject,
        contact=variables["contact"],
        account=variables["account"],
        persona=variables["persona"],
        hooks=[
            {
                "id": h.fact_id,
                "kind": h.kind,
                "text": h.text,
                "source": h.source_title,
                "date": h.published_on,
            }
            for h in ctx.hooks
        ],
        account_pains=brief_pains,
        sender=variables["sender"],
        value_proposition=variables["value_proposition"],
        proof_point=variables["proof_point"],
        steps=[
            {
                "number": i + 1,
                "channel": s.channel.value,
                "delay_business_days": s.delay_business_days,
                "goal": s.goal,
            }
            for i, s in enumerate(ctx.spec.sequence)
        ],
        call_snippets=[
            {"id": s.id, "outcome": s.metadata.get("outcome"), "kind": s.kind, "text": s.text} for s in ctx.snippets
        ],
        feedback=feedback,
    )
    known = {s.id for s in ctx.snippets}
    steps = [
        StepDraft(
            step_number=i + 1,
            channel=step.channel,
            subject=(written.subject or "").strip() or None if step.channel.value == "email" else None,
            body=written.body.strip(),
            claims=[Claim(text=c.text, fact_id=c.fact_id) for c in written.claims],
        )
        for i, (step, written) in enumerate(zip(ctx.spec.sequence, answer.steps, strict=False))
    ]
    return steps, [i for i in answer.drew_on if i in known]
