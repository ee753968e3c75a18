"""The real embedded model (SmolLM2-135M through llama.cpp) on a tiny campaign, end to end.

Marked `model` (tens of seconds). It proves the real path: the model asked for a brief through
llama.cpp's grammar, an answer that parses, the call recorded with real token counts, whatever
the small model says kept out unless its cited facts back it, drafts on the template path (a
135M model does not write), and the invariants holding through sending.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from agent.llm import build_model
from agent.sending.sender import send_due
from agent.settings import load_settings
from agent.store.tables import LlmCall, OutboxMessage, OutboxState
from tests.conftest import make_workspace
from tests.helpers import IN_WINDOW, run_demo


@pytest.mark.model
def test_tiny_campaign_on_the_embedded_model(tmp_path: Path) -> None:
    handle = build_model(load_settings(model="local:smollm2"))
    ws = make_workspace(tmp_path, handle, research_with_model=True)
    summary = run_demo(ws, tmp_path, ["reno-freight.example"])
    assert summary.enrolled >= 1 and not summary.errors

    with ws.store.transaction() as s:
        calls = s.scalars(select(LlmCall)).all()
        assert [c.task for c in calls] == ["account_summary"]
        assert all(c.model == "local:smollm2" and c.tokens_in > 0 and c.tokens_out > 0 for c in calls)
        # under the grammar the answer always parses; only the schema's limits can fail it
        assert all(c.outcome in ("ok", "repaired", "invalid") for c in calls)
        steps = s.scalars(select(OutboxMessage)).all()
        assert len(steps) == 4 * summary.enrolled and {d.made_by for d in steps} == {"template"}
        for step in steps:
            assert step.state == OutboxState.flagged or all(c["ok"] for c in step.checks)

    send_due(ws, now=IN_WINDOW)
    with ws.store.transaction() as s:
        for message in s.scalars(select(OutboxMessage).where(OutboxMessage.message_id.is_not(None))):
            assert message.state == OutboxState.sent and all(c["ok"] for c in message.checks)
