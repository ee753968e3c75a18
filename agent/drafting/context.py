"""Everything a draft may draw on for one contact, in the shape templates and prompts use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agent.campaign import CampaignSpec
from agent.research.brief import Brief, Hook, rank_hooks
from agent.scoring import match_persona
from agent.store.tables import Account, Contact

MAX_HOOKS = 5


def snippet_variable(snippet: Any) -> dict[str, Any]:
    """A past-call snippet as templates see it: `quote` is one line, trimmed for a call task."""
    quote = " / ".join(line.strip() for line in snippet.text.splitlines() if line.strip())
    return {
        "id": snippet.id,
        "call_id": snippet.call_id,
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

    @classmethod
    def build(
        cls, spec: CampaignSpec, account: Account, contact: Contact, brief: Brief | None, today: date
    ) -> DraftContext:
        hooks = rank_hooks(brief, spec, today)[:MAX_HOOKS] if brief else []
        return cls(spec=spec, account=account, contact=contact, brief=brief, hooks=hooks)

    @property
    def persona(self) -> dict[str, Any] | None:
        persona, _ = match_persona(self.contact.title, self.spec)
        return {"name": persona.name, "pains": list(persona.pains)} if persona else None

    def variables(self, step_number: int = 1) -> dict[str, Any]:
        """Template variables (documented in examples/README.md)."""
        persona, spec = self.persona, self.spec
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
            "proof_point": spec.proof_points[0] if spec.proof_points else None,
            "proof_points": list(spec.proof_points),
            "step": {"number": step_number, "goal": step.goal},
            "call_snippets": [snippet_variable(s) for s in self.snippets],
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
            *self.spec.proof_points,
            *[step.goal for step in self.spec.sequence],
        ]
        if (persona := self.persona) is not None:
            terms.extend(persona["pains"])
        return [t for t in terms if t]
