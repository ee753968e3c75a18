"""Writing back: every message sent to a prospect, the reply with its intent, the meeting booked
and the handoff with its checklist note reach the CRM once, through the official clients, counted
at the CRM: a second sync, a retried write or a crash between the CRM's answer and the ledger
creates nothing twice; a 429 is waited out; a 401 stops everything and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.crm.model import CrmUnauthorized
from agent.crm.providers import build_crm
from agent.crm.status import crm_status
from agent.crm.sync import sync_crm
from agent.crm.tables import CrmLedgerEntry
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.crm.conftest import crm_settings, seed_activity
from tests.crm.fake_crm import ACTIVITY_FIELD, ACTIVITY_PROPERTY, FakeHubSpot, FakeSalesforce, Fault

pytestmark = pytest.mark.usefixtures("suite_clock")

WRITTEN = {"email": 3, "touch": 1, "reply": 1, "meeting": 1, "handoff": 1}


def test_hubspot_gets_each_activity_once_and_a_second_sync_writes_nothing(
    crm_ws: Workspace, hubspot: FakeHubSpot
) -> None:
    seed_activity(crm_ws)
    summary = sync_crm(crm_ws, build_crm(crm_ws.settings, "hubspot"))
    assert dict(summary.written) == WRITTEN and summary.refused == []

    emails, notes, meetings = hubspot.of("emails"), hubspot.of("notes"), hubspot.of("meetings")
    assert len(emails) == 4 and len(notes) == 2 and len(meetings) == 1  # 3 sent + 1 reply; LinkedIn + handoff
    reply = next(e for e in emails if e["hs_email_direction"] == "INCOMING_EMAIL")
    assert "meeting request" in reply["hs_email_subject"] and reply["hs_email_text"].startswith(
        "Intent: meeting_request"
    )
    handoff = next(n for n in notes if "Handoff" in n["hs_note_body"])
    assert "Problem signal: dock congestion" in handoff["hs_note_body"]
    assert meetings[0]["hs_meeting_outcome"] == "SCHEDULED" and meetings[0]["hs_meeting_start_time"].endswith("Z")
    # Two people, both added to HubSpot once, every activity on its person's record
    assert sorted(c["email"] for c in hubspot.of("contacts")) == [
        "dana@acme-freight.example",
        "kim@acme-freight.example",
    ]
    assert all(len(o["_contacts"]) == 1 for o in emails + notes + meetings)
    assert len({o[ACTIVITY_PROPERTY] for o in emails + notes + meetings}) == 7

    requests_before = len(hubspot.requests)
    again = sync_crm(crm_ws, build_crm(crm_ws.settings, "hubspot"))
    assert again.pending == 0 and not again.written
    assert len(hubspot.requests) == requests_before  # not one call: the ledger knew
    status = crm_status(crm_ws, "hubspot")
    assert status.pending == {} and status.activities_written == 7 and status.contacts_linked == 2
    assert status.last_sync and status.last_sync.written == 0 and status.last_sync.error is None


def test_salesforce_gets_tasks_and_an_event_once(crm_ws: Workspace, salesforce: FakeSalesforce) -> None:
    salesforce.add("Contact", {"Email": "dana@acme-freight.example", "LastName": "Doe"}, "003DANA")
    seed_activity(crm_ws)
    summary = sync_crm(crm_ws, build_crm(crm_ws.settings, "salesforce"))
    assert dict(summary.written) == WRITTEN

    tasks, events, leads = salesforce.of("Task"), salesforce.of("Event"), salesforce.of("Lead")
    assert len(tasks) == 6 and len(events) == 1
    assert [lead["Email"] for lead in leads] == ["kim@acme-freight.example"]  # Dana was a contact already
    assert {t["WhoId"] for t in tasks if "kim" not in t["Description"]} >= {"003DANA"}
    reply = next(t for t in tasks if t["Subject"].startswith("Reply (meeting request)"))
    assert reply["Type"] == "Email" and reply["Status"] == "Completed"
    assert events[0]["StartDateTime"].endswith("Z") and events[0]["WhoId"] == "003DANA"

    patches = len(salesforce.calls("PATCH", "/sobjects/"))
    sync_crm(crm_ws, build_crm(crm_ws.settings, "salesforce"))
    assert len(salesforce.calls("PATCH", "/sobjects/")) == patches and len(salesforce.of("Task")) == 6


class CrashAfterWrite:
    """The real provider, and a process that dies once the CRM has answered and before the ledger
    is written (the worst moment)."""

    def __init__(self, crm: object, after: int) -> None:
        self.crm, self.after, self.name = crm, after, crm.name  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.crm, name)

    def upsert(self, activity: object, person_id: str) -> str:
        remote = self.crm.upsert(activity, person_id)  # type: ignore[attr-defined]
        self.after -= 1
        if self.after == 0:
            raise KeyboardInterrupt  # the process stops here
        return str(remote)


@pytest.mark.parametrize("provider", ["hubspot", "salesforce"])
def test_a_crash_between_the_crm_write_and_the_ledger_creates_nothing_twice(
    crm_ws: Workspace, hubspot: FakeHubSpot, salesforce: FakeSalesforce, provider: str
) -> None:
    seed_activity(crm_ws)
    fake = hubspot if provider == "hubspot" else salesforce
    with pytest.raises(KeyboardInterrupt):
        sync_crm(crm_ws, CrashAfterWrite(build_crm(crm_ws.settings, provider), after=3))  # type: ignore[arg-type]
    with crm_ws.store.transaction() as session:
        recorded = session.scalar(
            select(func.count())
            .select_from(CrmLedgerEntry)
            .where(CrmLedgerEntry.remote_id.is_not(None), CrmLedgerEntry.kind != "contact")
        )
    assert recorded == 2  # the third was written in the CRM, not in the ledger

    sync_crm(crm_ws, build_crm(crm_ws.settings, provider))
    if provider == "hubspot":
        objects = hubspot.of("emails") + hubspot.of("notes") + hubspot.of("meetings")
        keys = [o[ACTIVITY_PROPERTY] for o in objects]
    else:
        objects = salesforce.of("Task") + salesforce.of("Event")
        keys = [o[ACTIVITY_FIELD] for o in objects]
    assert len(objects) == 7 and len(set(keys)) == 7  # the third was upserted again, not created again
    assert len(fake.of("contacts" if provider == "hubspot" else "Lead")) == 2


def test_a_429_is_waited_out_for_as_long_as_the_crm_says(crm_ws: Workspace, hubspot: FakeHubSpot) -> None:
    seed_activity(crm_ws)
    hubspot.faults.append(Fault("/batch/upsert", 429, retry_after="1"))
    summary = sync_crm(crm_ws, build_crm(crm_ws.settings, "hubspot"))
    assert dict(summary.written) == WRITTEN
    upserts = hubspot.calls("POST", "/batch/upsert")
    assert len(upserts) == 8  # 7 activities, the first asked twice
    assert upserts[1].at - upserts[0].at >= 1.0  # it waited what Retry-After said
    assert len(hubspot.of("emails") + hubspot.of("notes") + hubspot.of("meetings")) == 7


def test_salesforce_rate_limit_is_waited_out_too(crm_ws: Workspace, salesforce: FakeSalesforce) -> None:
    seed_activity(crm_ws)
    salesforce.faults.append(Fault("/sobjects/Task/", 429, retry_after="1"))
    summary = sync_crm(crm_ws, build_crm(crm_ws.settings, "salesforce"))
    assert dict(summary.written) == WRITTEN
    patches = salesforce.calls("PATCH", "/sobjects/Task/")
    assert patches[1].at - patches[0].at >= 1.0 and len(salesforce.of("Task")) == 6


def test_a_crm_busy_past_the_retries_stops_the_sync_and_keeps_what_was_written(
    crm_ws: Workspace, hubspot: FakeHubSpot
) -> None:
    seed_activity(crm_ws)
    hubspot.faults.extend(Fault("/batch/upsert", 503) for _ in range(20))
    crm = build_crm(crm_ws.settings.model_copy(update={"crm_max_attempts": 3}), "hubspot")
    with pytest.raises(Exception, match="503"):
        sync_crm(crm_ws, crm)
    assert len(hubspot.calls("POST", "/batch/upsert")) == 3  # bounded
    status = crm_status(crm_ws, "hubspot")
    assert status.last_sync and "503" in (status.last_sync.error or "") and sum(status.pending.values()) == 7


def test_a_write_the_crm_refuses_waits_with_its_words_and_the_others_go_on(
    crm_ws: Workspace, hubspot: FakeHubSpot
) -> None:
    seed_activity(crm_ws)
    hubspot.faults.append(Fault("/batch/upsert", 400))
    summary = sync_crm(crm_ws, build_crm(crm_ws.settings, "hubspot"))
    assert summary.written.total() == 6 and len(summary.refused) == 1
    assert "400 Property values were not valid" in summary.refused[0]
    status = crm_status(crm_ws, "hubspot")
    assert len(status.refused) == 1 and sum(status.pending.values()) == 1

    again = sync_crm(crm_ws, build_crm(crm_ws.settings, "hubspot"))  # fixed in the CRM: the next sync writes it
    assert again.written.total() == 1 and crm_status(crm_ws, "hubspot").refused == []
    assert len(hubspot.of("emails") + hubspot.of("notes") + hubspot.of("meetings")) == 7


@pytest.mark.parametrize("provider", ["hubspot", "salesforce"])
def test_a_refused_token_is_one_clear_error_and_changes_nothing(
    tmp_path: Path, certificate: tuple[Path, Path], hubspot: FakeHubSpot, salesforce: FakeSalesforce, provider: str
) -> None:
    ws = make_workspace(tmp_path, **crm_settings(certificate, hubspot, salesforce))
    seed_activity(ws)
    fake = hubspot if provider == "hubspot" else salesforce
    fake.token = "another-token"
    with pytest.raises(CrmUnauthorized, match=r"refused the access token \(401\)"):
        sync_crm(ws, build_crm(ws.settings, provider))
    assert len(fake.requests) == 1  # not retried
    assert all(not objects for objects in fake.objects.values())
    with ws.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CrmLedgerEntry)) == 0


def test_a_person_added_to_hubspot_meanwhile_is_used_not_added_twice(crm_ws: Workspace, hubspot: FakeHubSpot) -> None:
    seed_activity(crm_ws)
    dana = hubspot.add("contacts", {"email": "dana@acme-freight.example"})
    not_yet = {"status": "error", "message": "resource not found", "category": "OBJECT_NOT_FOUND"}
    hubspot.faults.append(Fault("/crm/v3/objects/contacts/dana", 404, body=not_yet))  # the lookup ran just before
    sync_crm(crm_ws, build_crm(crm_ws.settings, "hubspot"))
    assert len(hubspot.calls("POST", "/crm/v3/objects/contacts")) == 2  # Dana (409: exists) and Kim
    assert len(hubspot.of("contacts")) == 2
    assert hubspot.of("meetings")[0]["_contacts"] == {dana}  # Dana's meeting on the record that was there
