"""The campaign file: who to reach (the ICP), what to say (the sequence), and the rules.

A campaign is a YAML file that operators write. It is validated strictly: an unknown key (a
typo) or a wrong value is reported as `file:line: field: message`, never half-applied.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from datetime import time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import jinja2
import yaml
from pydantic import Field, ValidationError, model_validator

from agent.campaign.inbound import InboundSpec
from agent.campaign.mailboxes import Health, Mailbox
from agent.campaign.meetings import MeetingsSpec
from agent.campaign.qualification import QualificationSpec
from agent.clock import WEEKDAYS, TimeZoneName, Weekday
from agent.errors import InputError
from agent.strict import Strict


class TriggerKind(StrEnum):
    funding = "funding"
    hiring = "hiring"
    leadership_change = "leadership_change"
    expansion = "expansion"
    product_launch = "product_launch"
    acquisition = "acquisition"
    partnership = "partnership"
    contract_ending = "contract_ending"
    technology_change = "technology_change"


class Channel(StrEnum):
    email = "email"
    linkedin = "linkedin"
    call = "call"


Weight = Annotated[float, Field(ge=0, le=100)]
Unit = Annotated[float, Field(ge=0, le=1)]


class Sender(Strict):
    name: str
    title: str | None = None
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    company: str
    postal_address: str = Field(min_length=10, description="CAN-SPAM: a valid physical address.")
    unsubscribe_url: str = Field(pattern=r"^https://", description="One-click (RFC 8058) base URL.")
    daily_cap: int = Field(default=50, ge=1, le=2000, description="Emails per rolling 24 hours from this mailbox.")
    mailboxes: list[Mailbox] = Field(
        default_factory=list,
        description="Send from these mailboxes (each prospect's thread stays on one); empty: from `email` alone.",
    )

    def all_mailboxes(self) -> list[Mailbox]:
        """The mailboxes this sender writes from, in order; the sender's own address when none are listed."""
        return self.mailboxes or [Mailbox(email=self.email, name=self.name, daily_cap=self.daily_cap)]


class ValueList(Strict):
    weight: Weight
    values: list[str] = Field(min_length=1)
    required: bool = Field(default=False, description="A hard filter: accounts that miss it are not enrolled.")


class SizeBand(Strict):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    score: Unit = 1.0


class SizeCriterion(Strict):
    weight: Weight
    bands: list[SizeBand] = Field(min_length=1)
    required: bool = Field(default=False, description="A hard filter: accounts that miss it are not enrolled.")


class Persona(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    titles: list[str] = Field(min_length=1, description="Case-insensitive title keywords.")
    score: Unit = 1.0
    pains: list[str] = Field(default_factory=list)


class PersonaCriterion(Strict):
    weight: Weight
    roles: list[Persona] = Field(min_length=1)
    exclude_titles: list[str] = Field(default_factory=list)


class TriggerCriterion(Strict):
    """Trigger events drive the intent score (not fit): each kind's weight, and how old is too old."""

    kinds: dict[TriggerKind, Unit] = Field(min_length=1)
    max_age_days: int = Field(default=180, ge=1)


DEFAULT_BLEND: dict[Literal["fit", "intent"], float] = {"fit": 0.7, "intent": 0.3}


class ICP(Strict):
    industries: ValueList | None = None
    employees: SizeCriterion | None = None
    regions: ValueList | None = None
    technologies: ValueList | None = None
    personas: PersonaCriterion
    triggers: TriggerCriterion | None = None
    min_fit: Annotated[float, Field(ge=0, le=100)] = Field(
        default=0, description="Contacts below this fit are not enrolled (the reason is kept)."
    )
    priority_weights: dict[Literal["fit", "intent"], Unit] = Field(default_factory=lambda: dict(DEFAULT_BLEND))


class Step(Strict):
    channel: Channel
    delay_business_days: int = Field(ge=0, le=60)
    goal: str
    subject: str | None = None
    template: str = Field(min_length=1, description="Jinja2; used as written on the template path.")

    @model_validator(mode="after")
    def _email_has_subject(self) -> Step:
        if self.channel is Channel.email and not self.subject:
            raise ValueError("an email step needs a subject")
        return self


class ProofPoint(Strict):
    """A customer result drafts may cite, and the prospects it speaks to. Written as plain text, it
    speaks to everyone (`- Harbor Foods cut dwell time...`)."""

    text: str = Field(min_length=10)
    industries: list[str] = Field(default_factory=list, description="Industries it speaks to, as accounts name them.")
    personas: list[str] = Field(default_factory=list, description="Persona names from icp.personas.")
    pains: list[str] = Field(default_factory=list, description="Pains it answers, in a few words each.")
    default: bool = Field(default=False, description="Used when no proof point matches the prospect.")

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value

    def __str__(self) -> str:  # prompts and templates print the claim itself
        return self.text


class Review(Strict):
    policy: Literal["human", "auto_above_score"] = "human"
    auto_approve_min_priority: Annotated[float, Field(ge=0, le=100)] | None = None

    @model_validator(mode="after")
    def _threshold(self) -> Review:
        if self.policy == "auto_above_score" and self.auto_approve_min_priority is None:
            raise ValueError("policy auto_above_score needs auto_approve_min_priority")
        return self


class Sending(Strict):
    window_start: time = time(9, 0)
    window_end: time = time(17, 0)
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    default_timezone: TimeZoneName = "America/New_York"
    observe_public_holidays: bool = Field(
        default=True, description="No step falls due on a public holiday in the prospect's country and region."
    )
    send_to_role_addresses: bool = Field(
        default=False,
        description="Write to role mailboxes (info@, sales@); by default their steps are blocked at send time.",
    )

    @model_validator(mode="after")
    def _window(self) -> Sending:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


class Drafting(Strict):
    mode: Literal["auto", "template", "model"] = Field(
        default="auto",
        description="auto: the model writes when it can write (a capable endpoint), else templates.",
    )
    max_attempts: int = Field(default=2, ge=1, le=4, description="Writes before a draft is flagged.")


@lru_cache(maxsize=256)
def _template_syntax_problem(text: str) -> str | None:
    # Cached: the stored spec is validated again wherever a campaign is read (every send, every
    # reply), and parsing its templates is most of that cost.
    try:
        jinja2.Environment().parse(text)
    except jinja2.TemplateSyntaxError as exc:
        return exc.message or "syntax error"
    return None


class CampaignSpec(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    description: str = ""
    sender: Sender
    value_proposition: str = Field(min_length=20)
    proof_points: list[ProofPoint] = Field(
        default_factory=list, description="Claims about us that drafts may make (with figures), and who they fit."
    )
    icp: ICP
    sequence: list[Step] = Field(min_length=1, max_length=12)
    review: Review = Review()
    sending: Sending = Sending()
    drafting: Drafting = Drafting()
    qualification: QualificationSpec | None = Field(
        default=None, description="The SQL definition and the reply policy; defaults apply when absent."
    )
    meetings: MeetingsSpec | None = None
    inbound: InboundSpec | None = Field(default=None, description="How inbound leads are answered; defaults apply.")
    health: Health = Field(default_factory=Health, description="When a mailbox or the campaign stops sending.")

    @model_validator(mode="after")
    def _templates_compile(self) -> CampaignSpec:
        for index, step in enumerate(self.sequence):
            for text in filter(None, (step.subject, step.template)):
                problem = _template_syntax_problem(text)
                if problem:
                    raise ValueError(f"sequence[{index}]: template: {problem}")
        return self

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def _known_keys() -> list[str]:
    """Every key a campaign file may use, at any depth."""
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            keys.update(node.get("properties", {}))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(CampaignSpec.model_json_schema())
    return sorted(keys)


def _line_index(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map every key path in a YAML document to its 1-based line."""
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            lines.update(_line_index(value, child))
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_index(item, (*path, index)))
    return lines


def _nearest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for cut in range(len(loc), -1, -1):
        key = tuple(str(p) if isinstance(p, str) else p for p in loc[:cut])
        if key in lines:
            return lines[key]
    return None


def parse_campaign(text: str, file: str = "campaign.yaml") -> CampaignSpec:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise InputError(f"not valid YAML: {exc.problem}", file=file, line=line) from exc
    if not isinstance(data, dict) or node is None:
        raise InputError("a campaign file is a YAML mapping (name:, sender:, icp:, sequence: ...)", file=file)
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        # A typo'd key also makes the real key "missing": the typo is the error worth showing.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        error = errors[0]
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        field = ".".join(str(p) for p in loc) or None
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(loc[-1]), _known_keys(), n=1)
            message = "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise InputError(message + more, file=file, line=_nearest_line(_line_index(node), loc), field=field) from exc


def load_campaign(path: Path) -> CampaignSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("no such file", file=path) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path) from exc
    return parse_campaign(text, str(path))


_STORED: dict[str, CampaignSpec] = {}  # by digest
STORED_KEPT = 16


def stored_spec(data: dict[str, Any], digest: str) -> CampaignSpec:
    """A campaign's spec as the store keeps it (its JSON and digest), validated once per digest: a
    worker reads it for every lead, the server for every lead it acknowledges (0.17 ms a
    validation). Specs are frozen, so one serves every caller; a changed campaign has a new digest."""
    spec = _STORED.get(digest)
    if spec is None:
        spec = CampaignSpec.model_validate(data)
        if len(_STORED) >= STORED_KEPT:
            _STORED.pop(next(iter(_STORED)))  # the oldest kept
        _STORED[digest] = spec
    return spec


def spec_json(spec: CampaignSpec) -> dict[str, Any]:
    return json.loads(spec.model_dump_json())


def locate(text: str, path: tuple[Any, ...]) -> int | None:
    """The line of a key path (e.g. ("sequence", 2, "template")) in a campaign file's text."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    return _nearest_line(_line_index(node), path) if node is not None else None
