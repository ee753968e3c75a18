"""The template path: the campaign's step templates, filled with the contact's best cited hooks.

This is how sequencer users write today, and it is the default where the model cannot write
(a tiny embedded model). Operators' templates run in Jinja2's sandbox, with strict variables.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from agent.calls.kinds import MomentKind
from agent.campaign import CampaignSpec
from agent.drafting.checks import Claim, StepDraft
from agent.drafting.context import DraftContext, persona_label
from agent.errors import SdrError

_env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False)


class TemplateProblem(SdrError):
    def __init__(self, step_index: int, field: str, message: str) -> None:
        self.step_index, self.field, self.message = step_index, field, message
        super().__init__(f"sequence[{step_index}].{field}: {message}")


@lru_cache(maxsize=256)
def _compiled(text: str) -> jinja2.Template:
    # Compiling is most of a template's cost, and a campaign renders the same few for every contact.
    return _env.from_string(text)


def _render(text: str, variables: dict[str, object], step_index: int, field: str) -> str:
    try:
        return _compiled(text).render(**variables)
    except jinja2.TemplateError as exc:
        raise TemplateProblem(step_index, field, str(exc)) from exc


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    # A name ending in a full stop at the end of a sentence ("Acme Co.."), never an ellipsis.
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _Tracked(dict[str, object]):
    """A hook or call snippet that remembers being read: a template that says anything drawn from
    a hook ("I saw the funding news") makes a claim citing that hook's fact, and a call task that
    quotes a snippet drew on that call."""

    def __init__(self, data: dict[str, object], used: set[str], id_key: str) -> None:
        super().__init__(data)
        self._used, self._id_key = used, id_key

    def __getitem__(self, key: str) -> object:
        self._used.add(str(dict.__getitem__(self, self._id_key)))
        return super().__getitem__(key)


def render_step(ctx: DraftContext, step_number: int) -> tuple[StepDraft, list[str]]:
    """The step as the campaign's template writes it, and the ids of the call snippets it quoted."""
    step = ctx.spec.sequence[step_number - 1]
    variables = ctx.variables(step_number)
    used: set[str] = set()
    quoted: set[str] = set()
    hooks = [_Tracked(h, used, "fact_id") for h in variables["hooks"]]
    moments = {kind: [_Tracked(m, quoted, "id") for m in found] for kind, found in variables["moments"].items()}
    variables.update(
        hooks=hooks,
        hook=hooks[0] if hooks else None,
        trigger=_Tracked(variables["trigger"], used, "fact_id") if variables["trigger"] else None,
        call_snippets=[_Tracked(s, quoted, "id") for s in variables["call_snippets"]],
        moments=moments,
    )
    body = _tidy(_render(step.template, variables, step_number - 1, "template"))
    subject = _tidy(_render(step.subject, variables, step_number - 1, "subject")) if step.subject else None
    text = f"{subject or ''}\n{body}"
    claims = [Claim(text=h.text, fact_id=h.fact_id) for h in ctx.hooks if h.fact_id in used]
    claims += [Claim(text=p.text, fact_id="campaign") for p in ctx.spec.proof_points if p.text in text]
    draft = StepDraft(step_number=step_number, channel=step.channel, subject=subject, body=body, claims=claims)
    return draft, sorted(quoted)


def sample_contexts(spec: CampaignSpec) -> list[dict[str, object]]:
    """Contexts that exercise both branches of a template: with and without hook and persona."""
    persona = spec.icp.personas.roles[0]
    full = {
        "contact": {
            "first_name": "Sam",
            "last_name": "Lee",
            "full_name": "Sam Lee",
            "title": "VP Operations",
            "email": "sam@example.com",
        },
        "account": {
            "name": "Example Co.",
            "short_name": "Example",
            "domain": "example.com",
            "industry": "Logistics",
            "employees": 500,
            "city": "Reno",
            "country": "US",
        },
        "persona": {"name": persona.name, "label": persona_label(persona.name), "pains": list(persona.pains)},
        "pain": persona.pains[0] if persona.pains else None,
        "hook": {
            "fact_id": "F1",
            "source_id": 1,
            "kind": "expansion",
            "text": "Example Co opened a site.",
            "source_title": "Example News",
            "source_kind": "news",
            "published_on": None,
            "score": 1.0,
        },
        "sender": spec.sender.model_dump(include={"name", "title", "company", "email"}),
        "value_proposition": spec.value_proposition,
        "proof_point": spec.proof_points[0].text if spec.proof_points else None,
        "proof": {"text": spec.proof_points[0].text, "reason": "matched on industry"} if spec.proof_points else None,
        "proof_points": [p.text for p in spec.proof_points],
        "trigger": {"fact_id": "F1", "kind": "expansion", "sentence": "Congrats on the new site in Reno."},
    }
    full["hooks"] = [full["hook"]]
    moment = {
        "id": "C0",
        "call_id": "call-1",
        "kind": "pain",
        "account": "Other Co",
        "outcome": "won",
        "quote": "Buyer: our trucks wait two hours at the gate.",
    }
    full["call_snippets"] = [moment]
    full["moments"] = {kind.value: [moment] for kind in MomentKind}
    bare = {
        **full,
        "persona": None,
        "pain": None,
        "hook": None,
        "hooks": [],
        "trigger": None,
        "call_snippets": [],
        "moments": {kind.value: [] for kind in MomentKind},
    }
    return [full, bare]


def validate_templates(spec: CampaignSpec) -> None:
    """Render every step against sample contacts: a typo'd variable fails here, not mid-campaign."""
    for index, step in enumerate(spec.sequence):
        for variables in sample_contexts(spec):
            variables = {**variables, "step": {"number": index + 1, "goal": step.goal}}
            _render(step.template, variables, index, "template")
            if step.subject:
                _render(step.subject, variables, index, "subject")
