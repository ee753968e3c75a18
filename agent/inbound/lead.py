"""One inbound lead as a form or a demo-request page sends it, validated strictly before anything is stored.

Strict means: no unknown fields, no type coercion (a number of employees is a number or a band
like "201-500", never "lots"), a valid address, a real time zone, and `received_at` with its UTC
offset, because speed-to-lead is measured from it.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, ValidationError, field_validator

from agent.accounts.addresses import normalise_address
from agent.accounts.domains import is_free_mail
from agent.clock import TimeZoneName
from agent.errors import InputError
from agent.strict import Strict

_BAND = re.compile(r"^\s*\d[\d,]*\s*(-\s*\d[\d,]*|\+)?\s*$")
Short = Annotated[str, Field(max_length=255)]


class InboundLead(Strict):
    model_config = ConfigDict(strict=True, str_strip_whitespace=True)

    name: Short = Field(min_length=1)
    email: str = Field(max_length=320)
    company: Short | None = None
    title: Short | None = None
    phone: str | None = Field(default=None, max_length=64)
    message: str = Field(default="", max_length=20_000)
    source: Short = Field(min_length=1, description='Where it came from: "demo request", "pricing page", ...')
    received_at: AwareDatetime
    timezone: TimeZoneName | None = None
    # What forms often ask as well; each fills a blank on the account, never overwrites the CRM.
    website: Short | None = None
    industry: Short | None = None
    employees: int | str | None = Field(default=None, description='A number, or a band like "201-500".')
    country: Short | None = None
    region: Short | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_address(value)

    @field_validator("employees")
    @classmethod
    def _employees(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and value < 0:
            raise ValueError("a number of employees is not negative")
        if isinstance(value, str) and not _BAND.match(value):
            raise ValueError(f'{value!r} is not a number of employees or a band like "201-500"')
        return value

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def last_name(self) -> str | None:
        return " ".join(self.name.split()[1:]) or None

    @property
    def personal_address(self) -> bool:
        return is_free_mail(self.email.rsplit("@", 1)[1])


def parse_lead(text: str, *, file: str | None = None, line: int | None = None) -> InboundLead:
    """One lead from JSON text; a problem becomes one InputError naming the field."""
    try:
        return InboundLead.model_validate_json(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else None  # a lead is flat; deeper parts name union members
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "json_invalid":
            message, field = f"not JSON: {error['ctx'].get('error', message)}", None
        elif error["type"] == "model_type":
            message = "expected a JSON object with name, email, source, received_at, ..."
        elif error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "timezone_aware":
            message = "needs a UTC offset, e.g. 2026-11-24T09:15:00-06:00"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise InputError(message + more, file=file, line=line, field=field) from exc
