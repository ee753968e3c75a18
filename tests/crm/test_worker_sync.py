"""`sdr worker` with SDR_CRM_SYNC_MINUTES keeps every CRM with credentials in step on its own: a
sync when one is due (counted at the CRM), none in between, and a CRM that refuses is logged
without stopping the worker's round or the other CRM."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.crm.tables import CrmSyncRun
from agent.worker import Worker
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.crm.conftest import crm_settings, seed_activity
from tests.crm.fake_crm import FakeHubSpot, FakeSalesforce

EVERY = timedelta(minutes=10)


def _runs(ws: Workspace, provider: str) -> int:
    with ws.store.transaction() as session:
        return session.scalar(select(func.count()).where(CrmSyncRun.provider == provider)) or 0


def test_the_worker_writes_back_when_a_sync_is_due_and_not_between(
    tmp_path: Path, certificate: tuple[Path, Path], hubspot: FakeHubSpot, suite_clock
) -> None:
    ws = make_workspace(tmp_path, **crm_settings(certificate, hubspot))  # HubSpot only: Salesforce has no token
    seed_activity(ws)
    worker = Worker(ws, steps=False, crm_every=EVERY)
    done = worker.round()
    assert [s.provider for s in done.crm] == ["hubspot"] and done.crm[0].written.total() == 7
    assert len(hubspot.of("emails") + hubspot.of("notes") + hubspot.of("meetings")) == 7

    suite_clock.advance(EVERY - timedelta(seconds=1))
    assert worker.round().crm == [] and _runs(ws, "hubspot") == 1
    suite_clock.advance(timedelta(seconds=1))
    assert [s.written.total() for s in worker.round().crm] == [0] and _runs(ws, "hubspot") == 2
    assert Worker(ws, steps=False).round().crm == []  # without the setting, never


def test_a_crm_that_refuses_is_logged_and_the_round_and_the_other_crm_go_on(
    tmp_path: Path,
    certificate: tuple[Path, Path],
    hubspot: FakeHubSpot,
    salesforce: FakeSalesforce,
    suite_clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ws = make_workspace(tmp_path, **crm_settings(certificate, hubspot, salesforce))
    seed_activity(ws)
    hubspot.token = "rotated-token-0000000000"  # the workspace's token is refused now
    done = Worker(ws, steps=False, crm_every=EVERY).round()
    assert [s.provider for s in done.crm] == ["salesforce"] and done.crm[0].written.total() == 7
    assert "CRM sync with hubspot stopped" in caplog.text and "401" in caplog.text
    assert hubspot.of("emails") == []
