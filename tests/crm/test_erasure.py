"""A person forgotten (`sdr people forget`) is forgotten in the CRMs too: the activities the agent
wrote about them are deleted there by the next sync (counted at the CRM), nothing about them is
written afterwards (not even an "erased" placeholder), the person's own CRM record is named for
the CRM's owner, and everyone else's activities stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.crm.providers import build_crm
from agent.crm.sync import sync_crm
from agent.people.forget import forget
from agent.settings import load_settings
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.crm.conftest import FAST, crm_settings, seed_activity
from tests.crm.fake_crm import TOKEN, FakeHubSpot, FakeSalesforce
from tests.crm.test_cli import sdr

pytestmark = pytest.mark.usefixtures("suite_clock")

SECRET = "an-erasure-secret-for-the-crm-tests"
DANA = "dana@acme-freight.example"


@pytest.fixture
def ws(tmp_path: Path, certificate: tuple[Path, Path], hubspot: FakeHubSpot, salesforce: FakeSalesforce) -> Workspace:
    return make_workspace(tmp_path, erasure_secret=SECRET, **crm_settings(certificate, hubspot, salesforce))


def _hubspot_activities(hubspot: FakeHubSpot) -> list[dict[str, object]]:
    return hubspot.of("emails") + hubspot.of("notes") + hubspot.of("meetings")


def test_hubspot_loses_what_the_agent_wrote_about_a_forgotten_person(ws: Workspace, hubspot: FakeHubSpot) -> None:
    seed_activity(ws)
    sync_crm(ws, build_crm(ws.settings, "hubspot"))
    assert len(_hubspot_activities(hubspot)) == 7  # 6 about Dana, 1 about Kim
    dana_id = next(i for i, c in hubspot.objects["contacts"].items() if c["email"] == DANA)

    summary = forget(ws, DANA)
    assert summary.crm_entries == 7  # her 6 activities and her record
    assert len(_hubspot_activities(hubspot)) == 7  # nothing reaches the CRM until the next sync

    done = sync_crm(ws, build_crm(ws.settings, "hubspot"))
    assert done.erased.activities == 6 and done.erased.records_left == [dana_id]
    assert len(hubspot.calls("DELETE", "/crm/v3/objects/")) == 6
    kim_id = next(i for i, c in hubspot.objects["contacts"].items() if c["email"] != DANA)
    (kims,) = _hubspot_activities(hubspot)  # Kim's email stays
    assert kims["_contacts"] == {kim_id}
    assert not any("erased" in str(c.get("email")) for c in hubspot.of("contacts"))

    calls = len(hubspot.requests)
    again = sync_crm(ws, build_crm(ws.settings, "hubspot"))
    assert again.erased.activities == 0 and not again.written and len(hubspot.requests) == calls


def test_a_person_forgotten_before_the_first_sync_never_reaches_the_crm(
    ws: Workspace, salesforce: FakeSalesforce
) -> None:
    salesforce.add("Contact", {"Email": DANA, "LastName": "Doe"}, "003DANA")
    seed_activity(ws)
    assert forget(ws, DANA).crm_entries == 0
    summary = sync_crm(ws, build_crm(ws.settings, "salesforce"))
    assert dict(summary.written) == {"email": 1}  # Kim's email only
    assert [lead["Email"] for lead in salesforce.of("Lead")] == ["kim@acme-freight.example"]
    assert all(t["WhoId"] != "003DANA" for t in salesforce.of("Task") + salesforce.of("Event"))


def test_an_operator_forgets_then_syncs_and_is_told_what_is_left_in_salesforce(
    tmp_path: Path, certificate: tuple[Path, Path], salesforce: FakeSalesforce
) -> None:
    salesforce.add("Contact", {"Email": DANA, "LastName": "Doe"}, "003DANA")
    folder = tmp_path / "ws"
    settings = {
        "SDR_SALESFORCE_URL": salesforce.base_url,
        "SDR_SALESFORCE_TOKEN": TOKEN,
        "SDR_CRM_CA_BUNDLE": certificate[0],
        "SDR_ERASURE_SECRET": SECRET,
    } | {f"SDR_{k.upper()}": v for k, v in FAST.items()}
    folder.mkdir()
    (folder / "settings.env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    seed_activity(Workspace(load_settings(workspace=folder)))
    assert sdr("crm", "sync", "--provider", "salesforce", workspace=folder).returncode == 0
    assert len(salesforce.of("Task")) == 6 and len(salesforce.of("Event")) == 1
    salesforce.objects["Event"].clear()  # someone deleted the meeting in Salesforce meanwhile

    forgotten = sdr("people", "forget", DANA, "--yes", workspace=folder)
    assert forgotten.returncode == 0, forgotten.stderr
    assert "7 record(s) the agent wrote to a CRM about them" in " ".join(forgotten.stdout.split())
    synced = sdr("crm", "sync", "--provider", "salesforce", workspace=folder)
    assert synced.returncode == 0, synced.stderr
    said = " ".join(synced.stdout.split())
    assert "erased 6 activities" in said and "erase 003DANA with salesforce's privacy tools" in said
    assert len(salesforce.calls("DELETE", "/sobjects/")) == 6
    (kims,) = salesforce.of("Task")
    assert kims["WhoId"] != "003DANA" and salesforce.of("Event") == []
