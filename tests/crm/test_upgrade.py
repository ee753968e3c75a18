"""A workspace made by the previous release upgrades to the CRM ledger without loss, and its
history (the messages it sent, the replies it read) goes to the CRM once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.crm.providers import build_crm
from agent.crm.sync import sync_crm
from agent.crm.tables import CrmLedgerEntry
from agent.settings import load_settings
from agent.store.tables import OutboxMessage
from agent.workspace import Workspace
from tests.crm.conftest import crm_settings
from tests.crm.fake_crm import FakeHubSpot
from tests.store.test_upgrade import _check, _previous

pytestmark = pytest.mark.usefixtures("suite_clock")


def test_an_upgraded_workspace_keeps_its_crm_in_step(
    tmp_path: Path, certificate: tuple[Path, Path], hubspot: FakeHubSpot
) -> None:
    path = _previous(tmp_path)
    url = f"sqlite:///{path}"
    ws = Workspace(load_settings(workspace=tmp_path, database_url=url, **crm_settings(certificate, hubspot)))
    with ws.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CrmLedgerEntry)) == 0
        sent = session.scalar(
            select(func.count()).where(OutboxMessage.state == "sent", OutboxMessage.audience == "prospect")
        )
    first = sync_crm(ws, build_crm(ws.settings, "hubspot"))
    assert first.refused == [] and first.written["email"] + first.written["touch"] == sent == 14
    assert first.written["reply"] == 3
    assert len(hubspot.of("emails") + hubspot.of("notes")) == 17
    assert sync_crm(ws, build_crm(ws.settings, "hubspot")).pending == 0
    ws.store.engine.dispose()
    _check(url)  # and nothing of the old rows was lost on the way
