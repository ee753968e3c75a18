"""HubSpot through its official client (`hubspot-api-client`), on the CRM v3 endpoints.

- A list's members (`/crm/v3/lists/{id}/memberships`, paged) are read as contacts in batches
  (`/crm/v3/objects/contacts/batch/read`), with the company each is primarily associated with
  (`associatedcompanyid`, then `/crm/v3/objects/companies/batch/read`).
- A person is found by address (`GET /crm/v3/objects/contacts/{email}?idProperty=email`), else
  created; HubSpot keeps one contact per address, so a create that loses a race (409) reads theirs.
- An activity is upserted by its external id (`/crm/v3/objects/{notes|emails|meetings}/batch/upsert`
  with `idProperty`, a unique-value property the portal defines), then associated with the contact
  (`PUT /crm/v4/objects/.../associations/default/contacts/{id}`, itself idempotent).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from zoneinfo import available_timezones

import urllib3
from hubspot import Client
from hubspot.crm.associations.v4.exceptions import ApiException as AssociationsError
from hubspot.crm.companies import BatchReadInputSimplePublicObjectId as CompaniesRead
from hubspot.crm.companies import SimplePublicObjectId as CompanyId
from hubspot.crm.companies.exceptions import ApiException as CompaniesError
from hubspot.crm.contacts import BatchReadInputSimplePublicObjectId as ContactsRead
from hubspot.crm.contacts import SimplePublicObjectId as ContactId
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactInput
from hubspot.crm.contacts.exceptions import ApiException as ContactsError
from hubspot.crm.lists.exceptions import ApiException as ListsError
from hubspot.crm.objects.emails import BatchInputSimplePublicObjectBatchInputUpsert as EmailsUpsert
from hubspot.crm.objects.emails import SimplePublicObjectBatchInputUpsert as EmailUpsert
from hubspot.crm.objects.emails.exceptions import ApiException as EmailsError
from hubspot.crm.objects.meetings import BatchInputSimplePublicObjectBatchInputUpsert as MeetingsUpsert
from hubspot.crm.objects.meetings import SimplePublicObjectBatchInputUpsert as MeetingUpsert
from hubspot.crm.objects.meetings.exceptions import ApiException as MeetingsError
from hubspot.crm.objects.notes import BatchInputSimplePublicObjectBatchInputUpsert as NotesUpsert
from hubspot.crm.objects.notes import SimplePublicObjectBatchInputUpsert as NoteUpsert
from hubspot.crm.objects.notes.exceptions import ApiException as NotesError

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
API_ERRORS = (AssociationsError, CompaniesError, ContactsError, ListsError, EmailsError, MeetingsError, NotesError)
UPSERTS: dict[str, tuple[Any, Any]] = {
    "emails": (EmailsUpsert, EmailUpsert),
    "meetings": (MeetingsUpsert, MeetingUpsert),
    "notes": (NotesUpsert, NoteUpsert),
}
PAGE = 250  # list memberships per page, HubSpot's maximum
BATCH = 100  # records per batch read, HubSpot's maximum

CONTACT_PROPERTIES = {
    "email": "email",
    "firstname": "first_name",
    "lastname": "last_name",
    "jobtitle": "title",
    "phone": "phone",
    "hs_timezone": "timezone",
}
COMPANY_PROPERTIES = {
    "domain": "domain",
    "name": "name",
    "industry": "industry",
    "numberofemployees": "employees",
    "country": "country",
    "state": "region",
    "city": "city",
    "website": "website",
    "description": "description",
}


def _stamp(moment: datetime) -> str:
    """A store time (naive UTC) as HubSpot's datetime properties take it."""
    return moment.replace(tzinfo=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _zone(value: str | None) -> str | None:
    """HubSpot's `hs_timezone` (`america_slash_new_york`) as the IANA name (`America/New_York`);
    None when it is not one (left unset rather than rejecting the contact)."""
    if not value:
        return None
    name = "/".join("_".join(w.capitalize() for w in part.split("_")) for part in value.split("_slash_"))
    return name if name in available_timezones() else None


def _object_type(kind: ActivityKind) -> str:
    """Where an activity lives: emails (sent and received), meetings, or notes (the rest)."""
    return {ActivityKind.email: "emails", ActivityKind.reply: "emails", ActivityKind.meeting: "meetings"}.get(
        kind, "notes"
    )


def _said(exc: Any) -> str:
    """HubSpot's own words from an error body ({"status", "message", "category", ...})."""
    body = exc.body.decode() if isinstance(exc.body, bytes) else str(exc.body or "")
    found = re.search(r'"message"\s*:\s*"((?:[^"\\]|\\.)*)"', body)
    return " ".join((found.group(1) if found else body or str(exc.reason)).split())[:300]


class HubSpot:
    name = "hubspot"

    def __init__(self, settings: Settings) -> None:
        assert settings.hubspot_token is not None  # the factory checked
        self.settings = settings
        options: dict[str, Any] = {"host": settings.hubspot_url.rstrip("/")}
        if settings.crm_ca_bundle:
            options["ssl_ca_cert"] = str(settings.crm_ca_bundle)
        client = Client.create(access_token=settings.hubspot_token.get_secret_value(), **options)
        # Each of the client's attributes builds a new API (and connection pool) when read: built
        # once here, so that a sync keeps its connections open instead of a TLS handshake a call.
        self.memberships = client.crm.lists.memberships_api
        self.contacts, self.contact_batches = client.crm.contacts.basic_api, client.crm.contacts.batch_api
        self.company_batches = client.crm.companies.batch_api
        self.activity_batches = {kind: getattr(client.crm.objects, kind).batch_api for kind in UPSERTS}
        self.activity_objects = {kind: getattr(client.crm.objects, kind).basic_api for kind in UPSERTS}
        self.associations = client.crm.associations.v4.basic_api
        self.timeout = settings.crm_timeout_seconds

    def _call(self, what: str, call: Callable[[], T]) -> T:
        """One API call, retried while HubSpot is busy; its refusals in our error classes."""

        def once() -> T:
            try:
                return call()
            except API_ERRORS as exc:
                raise self._failure(what, exc) from exc
            except urllib3.exceptions.HTTPError as exc:
                raise CrmBusy(f"HubSpot: {what}: {type(exc).__name__}") from exc

        return call_crm(self.settings, once)

    @staticmethod
    def _failure(what: str, exc: Any) -> Exception:
        status = int(exc.status or 0)
        if status == 401:
            return CrmUnauthorized("HubSpot refused the access token (401): check SDR_HUBSPOT_TOKEN")
        if status == 403:
            return CrmUnauthorized(f"HubSpot: {what}: the token lacks a scope (403): {_said(exc)}")
        if status == 429 or status >= 500 or status == 0:
            told = retry_after_seconds((exc.headers or {}).get("Retry-After"), clock.now())
            return CrmBusy(f"HubSpot: {what}: {status} {_said(exc)}", retry_after=told)
        return CrmRefused(f"HubSpot: {what}: {status} {_said(exc)}", status)

    # Reading a list

    def members(self, selection: Selection) -> Iterator[CrmRecord]:
        if selection.list_id is None:
            raise CrmRefused("HubSpot: name a list (--list ID); a query (--where) is for Salesforce")
        list_id = selection.list_id
        after: str | None = None
        while True:
            page = self._call(
                f"list {list_id}",
                partial(self.memberships.get_page, list_id, after=after, limit=PAGE, _request_timeout=self.timeout),
            )
            ids = [member.record_id for member in page.results]
            for start in range(0, len(ids), BATCH):
                yield from self._contacts(ids[start : start + BATCH])
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return

    def _contacts(self, ids: list[str]) -> Iterator[CrmRecord]:
        wanted = [*CONTACT_PROPERTIES, "associatedcompanyid"]
        read = ContactsRead(properties=wanted, inputs=[ContactId(id=i) for i in ids])
        contacts = self._call(
            "contacts", lambda: self.contact_batches.read(read, _request_timeout=self.timeout)
        ).results
        company_ids = sorted({c.properties.get("associatedcompanyid") for c in contacts} - {None, ""})
        companies: dict[str, dict[str, Any]] = {}
        if company_ids:
            read_companies = CompaniesRead(
                properties=list(COMPANY_PROPERTIES), inputs=[CompanyId(id=i) for i in company_ids]
            )
            found = self._call(
                "companies",
                lambda: self.company_batches.read(read_companies, _request_timeout=self.timeout),
            ).results
            companies = {c.id: c.properties for c in found}
        by_id = {c.id: c for c in contacts}
        for contact_id in ids:  # in the list's order
            if (contact := by_id.get(str(contact_id))) is None:
                continue  # archived since it joined the list
            fields = {ours: contact.properties.get(theirs) for theirs, ours in CONTACT_PROPERTIES.items()}
            fields["timezone"] = _zone(fields.get("timezone"))
            company = companies.get(contact.properties.get("associatedcompanyid") or "", {})
            fields |= {ours: company.get(theirs) for theirs, ours in COMPANY_PROPERTIES.items()}
            yield CrmRecord(remote_id=str(contact.id), fields={k: v for k, v in fields.items() if v not in (None, "")})

    # Writing back

    def person_id(self, person: Person) -> str:
        try:
            return self._contact_by_email(person.email)
        except CrmRefused as exc:
            if exc.status != 404:  # else not in HubSpot yet
                raise
        properties = {
            "email": person.email,
            "firstname": person.first_name,
            "lastname": person.last_name,
            "jobtitle": person.title,
            "company": person.company,
        }
        create = ContactInput(properties={k: v for k, v in properties.items() if v}, associations=[])
        try:
            created = self._call(
                "add contact",
                lambda: self.contacts.create(create, _request_timeout=self.timeout),
            )
        except CrmRefused as exc:
            if exc.status != 409:
                raise
            return self._contact_by_email(person.email)  # added meanwhile: one contact per address
        return str(created.id)

    def _contact_by_email(self, email: str) -> str:
        found = self._call(
            "find contact",
            lambda: self.contacts.get_by_id(
                email, id_property="email", properties=["email"], _request_timeout=self.timeout
            ),
        )
        return str(found.id)

    def upsert(self, activity: Activity, person_id: str) -> str:
        object_type, properties = self._object(activity)
        properties[self.settings.hubspot_activity_property] = activity.external_id
        api = self.activity_batches[object_type]
        batch_of, input_of = UPSERTS[object_type]
        batch = batch_of(inputs=[input_of(id=activity.external_id, id_property=self._key, properties=properties)])
        written = self._call(
            f"{activity.kind} {activity.local_id}", lambda: api.upsert(batch, _request_timeout=self.timeout)
        )
        remote_id = str(written.results[0].id)
        self._call(
            f"associate {activity.kind} {activity.local_id}",
            lambda: self.associations.create_default(
                object_type, remote_id, "contacts", person_id, _request_timeout=self.timeout
            ),
        )
        return remote_id

    def delete(self, kind: ActivityKind, remote_id: str) -> None:
        api = self.activity_objects[_object_type(kind)]
        self._call(f"delete {kind} {remote_id}", lambda: api.archive(remote_id, _request_timeout=self.timeout))

    @property
    def _key(self) -> str:
        return self.settings.hubspot_activity_property

    @staticmethod
    def _object(activity: Activity) -> tuple[str, dict[str, str]]:
        at = _stamp(activity.at)
        match _object_type(activity.kind):
            case "emails":
                return "emails", {
                    "hs_timestamp": at,
                    "hs_email_direction": "INCOMING_EMAIL" if activity.incoming else "EMAIL",
                    "hs_email_status": "SENT",
                    "hs_email_subject": activity.subject,
                    "hs_email_text": activity.body,
                }
            case "meetings":
                return "meetings", {
                    "hs_timestamp": at,
                    "hs_meeting_title": activity.subject,
                    "hs_meeting_body": activity.body,
                    "hs_meeting_start_time": at,
                    "hs_meeting_end_time": _stamp(activity.ends_at or activity.at),
                    "hs_meeting_outcome": "SCHEDULED",
                }
            case _:
                return "notes", {"hs_timestamp": at, "hs_note_body": f"{activity.subject}\n\n{activity.body}"}
