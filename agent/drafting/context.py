"""Everything a draft may draw on for one contact, in the shape templates and prompts use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agent.calls.kinds import MomentKind
from agent.campaign import CampaignSpec
from agent.drafting.proof import ProofChoice, best_proof
from agent.drafting.triggers import Trigger, trigger_sentence
from agent.research.brief import HOOK_SOURCE_WEIGHT, Brief, Hook, rank_hooks
from agent.scoring import match_persona
from agent.store.tables import Account, Contact

MAX_HOOKS = 5
# Legal forms a rep drops when writing to a person ("Cascade Packaging", not "Cascade Packaging Co.").
_LEGAL_FORM = re.compile(
    r"[ ,]+(Inc|Co|Corp|Corporation|Company|LLC|L\.L\.C|Ltd|Limited|GmbH|AG|B\.V|BV|N\.V|S\.A|SA|S\.L|SL|PLC"
    r"|Pty|SAS)\.?$",
    re.IGNORECASE,
)
_ACRONYMS = {"it": "IT", "vp": "VP", "hr": "HR", "cfo": "CFO", "coo": "COO", "cio": "CIO", "ceo": "CEO", "dc": "DC"}


def short_name(name: str) -> str:
    """The company as a person says it: without its legal form (so no "Co.." ends a sentence)."""
    shorter = _LEGAL_FORM.sub("", name.strip())
    return shorter or name.strip()


def persona_label(name: str) -> str:
    """`it_leader` as people write it: "IT leader"."""
    return " ".join(_ACRONYMS.get(word, word) for word in name.split("_"))


def snippet_variable(snippet: Any) -> dict[str, Any]:
    """A past-call snippet as templates see it: `quote` is one line, trimmed for a call task."""
    quote = " / ".join(line.strip() for line in snippet.text.splitlines() if line.strip())
    return {
        "id": snippet.id,
        "call_id": snippet.call_id,
        "kind": snippet.kind,
        "account": snippet.metadata.get("account"),
        "outcome": snippet.metadata.get("outcome"),
        "quote": quote[:280] + ("..." if len(quote) > 280 else ""),
    }


@dataclass
class DraftContext:
    spec: CampaignSpec
    account: Account
    contact: Contact
    brief: Brief | None
    hooks: list[Hook]
    snippets: list[Any] = field(default_factory=list)  # past-call snippets (agent.calls.retrieve.Snippet)
    # A step of an outbound sequence, held to what sales teams measure in cold outreach (`craft`);
    # an answer to an inbound lead says what was agreed, as written, and is not.
    outreach: bool = True

    @classmethod
    def build(
        cls, spec: CampaignSpec, account: Account, contact: Contact, brief: Brief | None, today: date
    ) -> DraftContext:
        hooks = rank_hooks(brief, spec, today)[:MAX_HOOKS] if brief else []
        return cls(spec=spec, account=account, contact=contact, brief=brief, hooks=hooks)

    @property
    def persona(self) -> dict[str, Any] | None:
        persona, _ = match_persona(self.contact.title, self.spec)
        return (
            {"name": persona.name, "label": persona_label(persona.name), "pains": list(persona.pains)}
            if persona
            else None
        )

    @property
    def proof(self) -> ProofChoice | None:
        """The campaign's proof point that fits this prospect best (see `proof.best_proof`)."""
        persona = self.persona
        pains = (persona["pains"] if persona else []) + ([p.text for p in self.brief.pains] if self.brief else [])
        return best_proof(self.spec, self.account.industry or "", persona["name"] if persona else None, pains)

    @property
    def trigger(self) -> Trigger | None:
        """The best public trigger event, as one sentence in the writer's words (notes and the CRM
        record inform scoring, never a prospect-facing line)."""
        technologies = list(self.spec.icp.technologies.values) if self.spec.icp.technologies else []
        for hook in self.hooks:
            if HOOK_SOURCE_WEIGHT.get(hook.source_kind, 0) > 0:
                found = trigger_sentence(hook, short_name(self.account.name), self.contact.full_name, technologies)
                if found is not None:
                    return found
        return None

    def variables(self, step_number: int = 1) -> dict[str, Any]:
        """Template variables (documented in examples/README.md)."""
        persona, spec, proof, trigger = self.persona, self.spec, self.proof, self.trigger
        step = spec.sequence[step_number - 1]
        return {
            "contact": {
                "first_name": self.contact.first_name or "there",
                "last_name": self.contact.last_name or "",
                "full_name": self.contact.full_name,
                "title": self.contact.title or "",
                "email": self.contact.email,
            },
            "account": {
                "name": self.account.name,
                "short_name": short_name(self.account.name),
                "domain": self.account.domain,
                "industry": self.account.industry or "",
                "employees": self.account.employees,
                "city": self.account.city or "",
                "country": self.account.country or "",
            },
            "persona": persona,
            "pain": persona["pains"][0] if persona and persona["pains"] else None,
            "hook": self.hooks[0].model_dump() if self.hooks else None,
            "hooks": [h.model_dump() for h in self.hooks],
            "sender": spec.sender.model_dump(include={"name", "title", "company", "email"}),
            "value_proposition": spec.value_proposition.strip(),
            "proof_point": proof.text if proof else None,
            "proof": {"text": proof.text, "reason": proof.reason} if proof else None,
            "proof_points": [p.text for p in spec.proof_points],
            "trigger": (
                {"fact_id": trigger.fact_id, "kind": trigger.kind, "sentence": trigger.sentence} if trigger else None
            ),
            "step": {"number": step_number, "goal": step.goal},
            "call_snippets": [snippet_variable(s) for s in self.snippets],
            "moments": {
                kind.value: [snippet_variable(s) for s in self.snippets if s.kind == kind] for kind in MomentKind
            },
        }

    def allowed_terms(self) -> list[str]:
        """Names and words a draft may use without a citation: ours, the prospect's own."""
        a, c, s = self.account, self.contact, self.spec.sender
        terms = [
            a.name,
            a.domain,
            a.industry or "",
            a.city or "",
            a.region or "",
            a.country or "",
            c.first_name or "",
            c.last_name or "",
            c.title or "",
            s.name,
            s.company,
            s.title or "",
            s.email,
            self.spec.value_proposition,
            *[p.text for p in self.spec.proof_points],
            *[step.goal for step in self.spec.sequence],
        ]
        if (persona := self.persona) is not None:
            terms.extend(persona["pains"])
        return [t for t in terms if t]
