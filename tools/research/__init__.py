"""Research sources: the CRM record, saved files per account, and the company's own website."""

from tools.research import crm, saved, website  # noqa: F401  (registers the tools)
from tools.research.base import SourceDoc, source_tool, source_tools

__all__ = ["SourceDoc", "source_tool", "source_tools"]
