"""Prompts are behaviour, kept as files in `prompts/`, loaded by name.

A prompt file is Markdown with YAML front matter (`name`, `version`, `description`,
`variables`) and two sections, `# system` and `# user`, rendered with Jinja2. A variable that
is declared but not passed, or passed but not declared, is an error: a prompt never silently
renders half-filled. Text from prospects and web pages goes through the `untrusted` filter,
which fences it as data.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import yaml

from agent.errors import SdrError

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

_SECTION = re.compile(r"^# (system|user)\s*$", re.MULTILINE)
_FENCE = re.compile(r"</?\s*untrusted[^>]*>", re.IGNORECASE)


class PromptError(SdrError):
    """A prompt file is malformed, or was rendered with the wrong variables."""


def untrusted(text: object, label: str = "data") -> str:
    """Fence text from outside (a prospect, a web page) so the model reads it as data only.

    The text cannot close the fence early: any fence tag inside it is removed.
    """
    body = _FENCE.sub("", str(text))
    label = re.sub(r"[^\w .:/-]", "", str(label))[:80]
    return f'<untrusted kind="{label}">\n{body}\n</untrusted>'


_env = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["untrusted"] = untrusted


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    description: str
    variables: frozenset[str]
    system: jinja2.Template
    user: jinja2.Template
    digest: str  # sha256 of the file: the evals gate on it

    @property
    def version_tag(self) -> str:
        """What the call log records: the declared version and the content it ran."""
        return f"{self.version}:{self.digest[:8]}"

    def render(self, **variables: Any) -> list[BaseMessage]:
        from langchain_core.messages import HumanMessage, SystemMessage

        given = set(variables)
        if missing := self.variables - given:
            raise PromptError(f"prompt {self.name}: missing variables {sorted(missing)}")
        if extra := given - self.variables:
            raise PromptError(f"prompt {self.name}: undeclared variables {sorted(extra)}")
        try:
            return [
                SystemMessage(self.system.render(**variables).strip()),
                HumanMessage(self.user.render(**variables).strip()),
            ]
        except jinja2.UndefinedError as exc:
            raise PromptError(f"prompt {self.name}: {exc}") from exc


def parse_prompt(name: str, text: str) -> Prompt:
    if not text.startswith("---\n"):
        raise PromptError(f"prompts/{name}.md: must start with YAML front matter (---)")
    try:
        _, front, body = text.split("---\n", 2)
        meta = yaml.safe_load(front) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise PromptError(f"prompts/{name}.md: bad front matter: {exc}") from exc
    for key in ("name", "version", "description", "variables"):
        if key not in meta:
            raise PromptError(f"prompts/{name}.md: front matter lacks {key!r}")
    if meta["name"] != name:
        raise PromptError(f"prompts/{name}.md: front matter names {meta['name']!r}")
    parts = _SECTION.split(body)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if set(sections) != {"system", "user"}:
        raise PromptError(f"prompts/{name}.md: needs exactly a '# system' and a '# user' section")
    try:
        system, user = _env.from_string(sections["system"]), _env.from_string(sections["user"])
    except jinja2.TemplateSyntaxError as exc:
        raise PromptError(f"prompts/{name}.md:{exc.lineno}: {exc.message}") from exc
    return Prompt(
        name=name,
        version=int(meta["version"]),
        description=str(meta["description"]),
        variables=frozenset(meta["variables"] or []),
        system=system,
        user=user,
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )


def prompt_text(name: str) -> str:
    """A prompt file's text: from `SDR_PROMPTS_DIR` when it has one by that name, else the package's.

    The override lets an operator (or an eval) try a changed prompt without editing the install.
    """
    override = os.environ.get("SDR_PROMPTS_DIR")
    if override and (path := Path(override) / f"{name}.md").is_file():
        return path.read_text(encoding="utf-8")
    resource = files("prompts").joinpath(f"{name}.md")
    if not resource.is_file():
        raise PromptError(f"no prompt named {name!r} in prompts/")
    return resource.read_text(encoding="utf-8")


@lru_cache(maxsize=256)
def _parsed(name: str, text: str) -> Prompt:
    return parse_prompt(name, text)


def load_prompt(name: str) -> Prompt:
    return _parsed(name, prompt_text(name))


def prompt_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".md")
        for p in files("prompts").iterdir()
        if p.name.endswith(".md") and p.name != "README.md"
    )
