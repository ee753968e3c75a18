"""What a research source tool returns, and the registry that lists the tools."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from agent.settings import Settings
from agent.store.tables import Account


@dataclass(frozen=True)
class SourceDoc:
    """A piece of text about an account, as one tool read it. Text from outside is data only."""

    kind: str  # crm, news, press_release, web, job_post, notes, website
    title: str
    text: str
    uri: str | None = None
    published_on: date | None = None


class SourceTool(Protocol):
    def __call__(self, account: Account, settings: Settings) -> list[SourceDoc]: ...


_TOOLS: dict[str, SourceTool] = {}


def source_tool(name: str) -> Callable[[SourceTool], SourceTool]:
    """Register a research source; every registered tool is asked about every account."""

    def register(tool: SourceTool) -> SourceTool:
        _TOOLS[name] = tool
        return tool

    return register


def source_tools() -> dict[str, SourceTool]:
    # Importing the package registers the built-in tools.
    import tools.research  # noqa: F401

    return dict(_TOOLS)
