"""One error hierarchy. A `UserError` is the user's to fix: the CLI prints its one line, no traceback."""

from __future__ import annotations

from pathlib import Path


class SdrError(Exception):
    """Base of every error this package raises on purpose."""


class UserError(SdrError):
    """Bad input or configuration: printed as one line saying what to fix."""


class InputError(UserError):
    """A problem at a place in an input file: `file:line: field: message`."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.message = message
        super().__init__(self.format())

    def format(self) -> str:
        place = ""
        if self.file:
            place = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            place = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        return f"{place}{field}{self.message}"


class InputRejected(InputError):
    """A file with problems, rejected whole: `problems` lists each (`file:line: field: message`)."""

    def __init__(self, problems: list[InputError], what: str = "nothing was imported") -> None:
        self.problems = problems
        self.what = what
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems; {what})" if len(problems) > 1 else f" ({what})"
        super().__init__(first.message + more, file=first.file, line=first.line, field=first.field)


class ConfigError(UserError):
    """A setting is missing or wrong; the message names the setting."""


class NotFound(UserError):
    """The user named something (a campaign, a draft) that does not exist."""


class Replayed(UserError):
    """A webhook request seen before: nothing is done twice."""


class ModelError(SdrError):
    """The language model failed after the bounded retries."""


class InvalidModelOutput(ModelError):
    """The model's answer never validated against the task's schema."""


class EndpointUnusable(ConfigError):
    """A model endpoint that cannot serve a task at all: it refused every way of asking for JSON,
    refused the key or the model, or never answered. Not a `ModelError`: tasks fall back from
    those one answer at a time, and this must reach the user, as one line saying what to fix."""
