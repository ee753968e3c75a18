"""Importing from a CRM: a HubSpot list or a Salesforce campaign (or query), paged through by the
official clients, goes through the rules of `sdr import`: one account per registered domain, no
account made from a mail provider, role and throwaway addresses named, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agent.crm import ledger
from agent.crm.imports import import_from_crm
from agent.crm.model import Selection
from agent.crm.providers import build_crm
from agent.crm.status import crm_status
from agent.errors import InputRejected
from agent.store.tables import Account, Contact
from agent.workspace import Workspace
from tests.crm.fake_crm import FakeHubSpot, FakeSalesforce

pytestmark = pytest.mark.usefixtures("suite_clock")


def hubspot_list(fake: FakeHubSpot) -> None:
    acme = fake.add(
        "companies",
        {
            "name": "Acme Freight",
            "domain": "eu.acme-freight.example",
            "numberofemployees": "1,200",
            "industry": "LOGISTICS_AND_SUPPLY_CHAIN",
            "country": "Germany",
        },
    )
    acme_us = fake.add("companies", {"name": "Acme Freight US", "website": "https://www.acme-freight.example/us"})
    people = [
        {
            "email": "Dana@Acme-Freight.example",
            "firstname": "Dana",
            "lastname": "Doe",
            "jobtitle": "VP Operations",
            "hs_timezone": "america_slash_new_york",
            "associatedcompanyid": acme,
        },
        {
            "email": "kim@acme-freight.example",
            "firstname": "Kim",
            "associatedcompanyid": acme_us,
            "hs_timezone": "mars_slash_olympus",
        },
        {"email": "info@acme-freight.example", "associatedcompanyid": acme},
        {"email": "jo.bloggs@orange.fr", "firstname": "Jo", "associatedcompanyid": acme},
        {"email": "temp@mailinator.com", "associatedcompanyid": acme},
    ]
    fake.lists["42"] = [fake.add("contacts", p) for p in people]


def test_a_hubspot_list_is_imported_by_the_import_rules(crm_ws: Workspace, hubspot: FakeHubSpot) -> None:
    hubspot_list(hubspot)
    summary = import_from_crm(crm_ws, build_crm(crm_ws.settings, "hubspot"), Selection(list_id="42"))
    assert summary.rows == 5 and summary.contacts_created == 5 and summary.accounts_created == 1
    assert summary.role_addresses == ["info@acme-freight.example"]
    assert summary.disposable_addresses == ["temp@mailinator.com"]
    with crm_ws.store.transaction() as session:
        accounts = session.scalars(select(Account)).all()
        assert [a.domain for a in accounts] == ["acme-freight.example"]  # eu. and www. are one company
        assert accounts[0].employees == 1200
        contacts = {c.email: c for c in session.scalars(select(Contact))}
        assert set(contacts) >= {"dana@acme-freight.example", "jo.bloggs@orange.fr"}  # one spelling
        assert contacts["jo.bloggs@orange.fr"].account.domain == "acme-freight.example"  # not orange.fr
        assert contacts["dana@acme-freight.example"].timezone == "America/New_York"
        assert contacts["kim@acme-freight.example"].timezone is None  # not a zone: left unset, not rejected
        assert (
            ledger.remote_id(session, "hubspot", ledger.CONTACT, contacts["kim@acme-freight.example"].id)
            == hubspot.lists["42"][1]
        )
    # paged through: 5 members, 2 a page
    assert len(hubspot.calls("GET", "/crm/v3/lists/42/memberships")) == 3
    assert crm_status(crm_ws, "hubspot").last_import.written == 5  # type: ignore[union-attr]


def test_one_bad_record_rejects_the_whole_list_naming_it(crm_ws: Workspace, hubspot: FakeHubSpot) -> None:
    hubspot_list(hubspot)
    bad = hubspot.add("contacts", {"email": "lee@acme-freight.example", "jobtitle": '=HYPERLINK("x")'})
    hubspot.lists["42"].append(bad)
    with pytest.raises(InputRejected) as rejected:
        import_from_crm(crm_ws, build_crm(crm_ws.settings, "hubspot"), Selection(list_id="42"))
    assert str(rejected.value.problems[0]) == (
        f"hubspot list 42:6: title: '=HYPERLINK(\"x\")' looks like a spreadsheet formula; remove the leading '=' "
        f"(hubspot id {bad})"
    )
    with crm_ws.store.transaction() as session:
        assert session.scalars(select(Contact)).all() == []  # all or nothing


def test_a_salesforce_campaign_is_imported_page_by_page(crm_ws: Workspace, salesforce: FakeSalesforce) -> None:
    account = salesforce.add(
        "Account",
        {
            "Name": "Globex",
            "Website": "http://shop.globex.co.uk",
            "NumberOfEmployees": 300,
            "BillingCountry": "United Kingdom",
        },
        "001GLOBEX",
    )
    members = [
        salesforce.add(
            "Contact", {"Email": f"p{n}@globex.co.uk", "LastName": f"P{n}", "AccountId": account}, f"003P{n}"
        )
        for n in range(3)
    ]
    salesforce.add("Contact", {"Email": "other@initech.example", "LastName": "O"}, "003OTHER")
    salesforce.lists["701CAMPAIGN"] = members
    summary = import_from_crm(crm_ws, build_crm(crm_ws.settings, "salesforce"), Selection(list_id="701CAMPAIGN"))
    assert summary.contacts_created == 3 and summary.accounts_created == 1
    with crm_ws.store.transaction() as session:
        assert [a.domain for a in session.scalars(select(Account))] == ["globex.co.uk"]
    soql = salesforce.calls("GET", "/query")[0].path
    assert "CampaignMember" in soql and "701CAMPAIGN" in soql
    assert len(salesforce.calls("GET", "/query")) == 2  # the second page through nextRecordsUrl
