"""What passes between the agent and a CRM: records read from a list, activities written back,
and the ways a CRM call fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from agent.errors import ConfigError, SdrError


@dataclass(frozen=True)
class CrmRecord:
    """A contact (or a company) read from a CRM, in the importer's field names."""

    remote_id: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class Selection:
    """Which contacts to import: a list (a HubSpot list's id, a Salesforce campaign's id), or a
    query (a SOQL condition on Salesforce's contacts)."""

    list_id: str | None = None
    where: str | None = None

    def __str__(self) -> str:
        return f"list {self.list_id}" if self.list_id else f"query {self.where!r}"


class ActivityKind(StrEnum):
    """What the agent writes back; with the local row's id, the key of the sync ledger."""

    email = "email"  # a message the agent sent to a prospect (a sequence step, an answer, a meeting email)
    touch = "touch"  # a step on another channel, done (a LinkedIn note, a call task)
    reply = "reply"  # a prospect's reply, with its intent
    meeting = "meeting"  # a meeting booked with an AE
    handoff = "handoff"  # a qualified lead handed to an AE, with its checklist note


@dataclass(frozen=True)
class Person:
    """The prospect an activity is about: found in the CRM by address, or added there."""

    contact_id: int
    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = None


@dataclass(frozen=True)
class Activity:
    kind: ActivityKind
    local_id: int
    external_id: str  # unique per workspace, kind and row: the CRM upserts by it
    person: Person
    at: datetime  # naive UTC, as the store keeps it
    subject: str
    body: str
    ends_at: datetime | None = None  # meetings
    incoming: bool = False  # a reply: written by the prospect
    extra: dict[str, str] = field(default_factory=dict)


class CrmUnauthorized(ConfigError):
    """The CRM refused the credentials (401): nothing can succeed until a person fixes them."""


class CrmRefused(SdrError):
    """The CRM refused one call (400 invalid, 404 not found, 409 exists already): that activity
    waits, the others go on."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class CrmBusy(SdrError):
    """A rate limit (429) or an outage (5xx, a dropped connection): worth waiting and trying again."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
