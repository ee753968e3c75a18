"""What a research source tool returns, and the registry that lists the tools."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol


class Company(Protocol):
    """What a research source reads about an account."""

    @property
    def domain(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def website(self) -> str | None: ...
    @property
    def industry(self) -> str | None: ...
    @property
    def employees(self) -> int | None: ...
    @property
    def city(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def technologies(self) -> list[Any]: ...
    @property
    def description(self) -> str | None: ...


class ResearchSettings(Protocol):
    """What the research sources read from the caller's settings."""

    @property
    def sources_dir(self) -> Path: ...
    @property
    def allow_network(self) -> bool: ...
    @property
    def web_timeout_seconds(self) -> float: ...


@dataclass(frozen=True)
class SourceDoc:
    """A piece of text about an account, as one tool read it. Text from outside is data only."""

    kind: str  # crm, news, press_release, web, job_post, notes, website
    title: str
    text: str
    uri: str | None = None
    published_on: date | None = None


class SourceTool(Protocol):
    def __call__(self, account: Company, settings: ResearchSettings) -> list[SourceDoc]: ...


TOOLS: dict[str, SourceTool] = {}


def source_tool(name: str) -> Callable[[SourceTool], SourceTool]:
    """Register a research source; every registered tool is asked about every account."""

    def register(tool: SourceTool) -> SourceTool:
        TOOLS[name] = tool
        return tool

    return register
