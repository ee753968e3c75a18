"""The base of every error a tool raises on purpose (a transport, a calendar, a research source):
the CLI prints it as one line, like the agent's own errors."""


class ToolError(Exception):
    """A tool could not do what it was asked."""
