"""Salesforce through `simple-salesforce`, on the REST API (`/services/data/vXX.X/`).

- Contacts are read by SOQL (`/query`, then each `nextRecordsUrl`) with their account's fields:
  a campaign's members (`--list` a Campaign id) or any condition on Contact (`--where`).
- A person is found by address among contacts, then unconverted leads; else added as a lead.
- An activity is upserted by its External ID field (`PATCH /sobjects/Task/<field>/<id>`; a meeting
  is an Event): 201 when created, 200 when it was there already (a retry), never a second one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from simple_salesforce import Salesforce as Client
from simple_salesforce import format_soql
from simple_salesforce.exceptions import SalesforceError

from agent import clock
from agent.crm.model import (
    Activity,
    ActivityKind,
    CrmBusy,
    CrmRecord,
    CrmRefused,
    CrmUnauthorized,
    Person,
    Selection,
)
from agent.crm.retries import call_crm, retry_after_seconds
from agent.settings import Settings

T = TypeVar("T")

CONTACT_FIELDS = {
    "Email": "email",
    "FirstName": "first_name",
    "LastName": "last_name",
    "Title": "title",
    "Phone": "phone",
}
ACCOUNT_FIELDS = {
    "Name": "name",
    "Website": "website",
    "Industry": "industry",
    "NumberOfEmployees": "employees",
    "BillingCountry": "country",
    "BillingState": "region",
    "BillingCity": "city",
    "Description": "description",
}
SELECT = "SELECT Id, {} FROM Contact WHERE {} ORDER BY Id".format(
    ", ".join([*CONTACT_FIELDS, *(f"Account.{f}" for f in ACCOUNT_FIELDS)]), "{}"
)


class _Session(requests.Session):
    """Every request with a timeout (the client sets none) and the CA file set for the CRM (requests
    would let `REQUESTS_CA_BUNDLE` replace it), and the last `Retry-After` kept: the client's errors
    carry the status and body, not the headers."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.retry_after: str | None = None

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("verify", self.verify)
        response = super().request(method, url, *args, **kwargs)
        self.retry_after = response.headers.get("Retry-After")
        return response


def _said(exc: SalesforceError) -> str:
    """Salesforce's own words: a list of {message, errorCode, fields}."""
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return "; ".join(f"{e.get('errorCode', '')}: {e.get('message', '')}" for e in content)[:300]
    return " ".join(str(content).split())[:300]


class Salesforce:
    name = "salesforce"

    def __init__(self, settings: Settings) -> None:
        assert settings.salesforce_url and settings.salesforce_token is not None  # the factory checked
        self.settings = settings
        self.session = _Session(settings.crm_timeout_seconds)
        if settings.crm_ca_bundle:
            self.session.verify = str(settings.crm_ca_bundle)
        self.client = Client(
            instance_url=settings.salesforce_url,
            session_id=settings.salesforce_token.get_secret_value(),
            version=settings.salesforce_api_version,
            session=self.session,
        )

    def _call(self, what: str, call: Callable[[], T]) -> T:
        def once() -> T:
            try:
                return call()
            except SalesforceError as exc:
                raise self._failure(what, exc) from exc
            except requests.RequestException as exc:
                raise CrmBusy(f"Salesforce: {what}: {type(exc).__name__}") from exc

        return call_crm(self.settings, once)

    def _failure(self, what: str, exc: SalesforceError) -> Exception:
        if exc.status == 401:
            return CrmUnauthorized("Salesforce refused the access token (401): check SDR_SALESFORCE_TOKEN")
        if exc.status == 429 or exc.status >= 500 or "REQUEST_LIMIT_EXCEEDED" in _said(exc):
            told = retry_after_seconds(self.session.retry_after, clock.now())
            return CrmBusy(f"Salesforce: {what}: {exc.status} {_said(exc)}", retry_after=told)
        return CrmRefused(f"Salesforce: {what}: {exc.status} {_said(exc)}", exc.status)

    def _sobjects(self, name: str) -> Any:
        """The client's handle on one kind of record (`Task`, `Event`, `Lead`)."""
        return getattr(self.client, name)

    # Reading contacts

    def members(self, selection: Selection) -> Iterator[CrmRecord]:
        if selection.list_id is not None:
            condition = format_soql(
                "Id IN (SELECT ContactId FROM CampaignMember WHERE CampaignId = {})", selection.list_id
            )
        else:
            condition = selection.where or "Email != null"
        page = self._call(str(selection), lambda: self.client.query(SELECT.format(condition)))
        while True:
            for record in page["records"]:
                yield self._record(record)
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            following = partial(self.client.query_more, page["nextRecordsUrl"], identifier_is_url=True)
            page = self._call(str(selection), following)

    @staticmethod
    def _record(record: dict[str, Any]) -> CrmRecord:
        fields = {ours: record.get(theirs) for theirs, ours in CONTACT_FIELDS.items()}
        account = record.get("Account") or {}
        fields |= {ours: account.get(theirs) for theirs, ours in ACCOUNT_FIELDS.items()}
        return CrmRecord(remote_id=str(record["Id"]), fields={k: v for k, v in fields.items() if v not in (None, "")})

    # Writing back

    def person_id(self, person: Person) -> str:
        for soql in (
            format_soql("SELECT Id FROM Contact WHERE Email = {} LIMIT 1", person.email),
            format_soql(
                "SELECT Id FROM Lead WHERE Email = {} AND IsConverted = false ORDER BY CreatedDate LIMIT 1",
                person.email,
            ),
        ):
            found = self._call("find person", partial(self.client.query, soql))["records"]
            if found:
                return str(found[0]["Id"])
        lead = {
            "Email": person.email,
            "FirstName": person.first_name,
            "LastName": person.last_name or person.email.split("@")[0],  # required by Salesforce
            "Title": person.title,
            "Company": person.company or person.email.split("@")[1],  # required by Salesforce
        }
        leads = self._sobjects("Lead")
        added = self._call("add lead", lambda: leads.create({k: v for k, v in lead.items() if v}))
        return str(added["id"])

    def upsert(self, activity: Activity, person_id: str) -> str:
        sobject, data = self._sobject(activity, person_id)
        field = self.settings.salesforce_activity_field
        api = self._sobjects(sobject)
        key = f"{field}/{quote(activity.external_id, safe='')}"
        response = self._call(f"{activity.kind} {activity.local_id}", lambda: api.upsert(key, data, raw_response=True))
        if response.content:
            return str(response.json()["id"])
        # API versions before 46.0 answer an update with 204 and no body: ask for the id.
        soql = format_soql(f"SELECT Id FROM {sobject} WHERE {field} = {{}} LIMIT 1", activity.external_id)
        return str(self._call("find activity", lambda: self.client.query(soql))["records"][0]["Id"])

    def delete(self, kind: ActivityKind, remote_id: str) -> None:
        sobject = "Event" if kind == ActivityKind.meeting else "Task"
        self._call(f"delete {kind} {remote_id}", lambda: self._sobjects(sobject).delete(remote_id))

    @staticmethod
    def _sobject(activity: Activity, person_id: str) -> tuple[str, dict[str, Any]]:
        common = {"WhoId": person_id, "Subject": activity.subject[:255], "Description": activity.body}
        if activity.kind == ActivityKind.meeting:
            return "Event", common | {
                "StartDateTime": _iso(activity.at),
                "EndDateTime": _iso(activity.ends_at or activity.at),
            }
        kind = "Email" if activity.kind in (ActivityKind.email, ActivityKind.reply) else "Other"
        return "Task", common | {"Status": "Completed", "ActivityDate": activity.at.date().isoformat(), "Type": kind}


def _iso(moment: datetime) -> str:
    """A store time (naive UTC) as Salesforce's dateTime fields take it."""
    return moment.isoformat(timespec="seconds") + "Z"
