"""CRMs behind one registry: `hubspot` and `salesforce`, each built from settings.

A provider reads a list's contacts (with their companies) in the importer's field names, finds or
adds the person an activity is about, upserts an activity by its external id, and deletes one. Their official
clients come with the optional `[crm]` extra and are imported only when a CRM is used; without
them, or without credentials, building one fails with one line saying what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from agent.crm.model import Activity, ActivityKind, CrmRecord, Person, Selection
from agent.errors import ConfigError
from agent.settings import Settings

INSTALL_HINT = "the CRM clients are not installed: pip install 'sdr-agent[crm]'"


class Crm(Protocol):
    name: str

    def members(self, selection: Selection) -> Iterator[CrmRecord]:
        """The contacts selected, in order, each with their company's fields."""
        ...

    def person_id(self, person: Person) -> str:
        """The CRM's id of the person, found by address, else added."""
        ...

    def upsert(self, activity: Activity, person_id: str) -> str:
        """Write the activity on the person's record, keyed by its external id: writing it again
        updates the same object. Returns the CRM's id of it."""
        ...

    def delete(self, kind: ActivityKind, remote_id: str) -> None:
        """Delete an activity the agent wrote (CrmRefused with status 404 when it is gone already)."""
        ...


Factory = Callable[[Settings], Crm]
_PROVIDERS: dict[str, Factory] = {}


def provider(name: str) -> Callable[[Factory], Factory]:
    def register(factory: Factory) -> Factory:
        _PROVIDERS[name] = factory
        return factory

    return register


def known() -> list[str]:
    return sorted(_PROVIDERS)


def configured(settings: Settings) -> list[str]:
    """The CRMs this workspace has credentials for."""
    names = {"hubspot": settings.hubspot_token is not None}
    names["salesforce"] = bool(settings.salesforce_url) and settings.salesforce_token is not None
    return [name for name, ready in names.items() if ready]


def build_crm(settings: Settings, name: str) -> Crm:
    if name not in _PROVIDERS:
        raise ConfigError(f"unknown CRM {name!r} (known: {', '.join(known())})")
    return _PROVIDERS[name](settings)


@provider("hubspot")
def hubspot(settings: Settings) -> Crm:
    if settings.hubspot_token is None:
        raise ConfigError(
            "HubSpot: set SDR_HUBSPOT_TOKEN (a private app's access token with the CRM objects, lists "
            "and associations scopes) in the environment or the workspace's settings.env"
        )
    try:
        from agent.crm.hubspot import HubSpot
    except ImportError as exc:
        raise ConfigError(f"HubSpot: {INSTALL_HINT}") from exc
    return HubSpot(settings)


@provider("salesforce")
def salesforce(settings: Settings) -> Crm:
    if not settings.salesforce_url or settings.salesforce_token is None:
        raise ConfigError(
            "Salesforce: set SDR_SALESFORCE_URL (the org's instance URL) and SDR_SALESFORCE_TOKEN (an OAuth "
            "access token) in the environment or the workspace's settings.env"
        )
    try:
        from agent.crm.salesforce import Salesforce
    except ImportError as exc:
        raise ConfigError(f"Salesforce: {INSTALL_HINT}") from exc
    return Salesforce(settings)
