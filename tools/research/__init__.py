"""Research sources: the CRM record, saved files per account, and the company's own website."""

from tools.research import crm, saved, website  # noqa: F401  (the built-in tools register themselves)
from tools.research.base import TOOLS, Company, ResearchSettings, SourceDoc, SourceTool, source_tool


def source_tools() -> dict[str, SourceTool]:
    return dict(TOOLS)


__all__ = ["Company", "ResearchSettings", "SourceDoc", "SourceTool", "source_tool", "source_tools"]
