"""The gate catches a harmful prompt edit by its measured effect, not only by the changed hash."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from agent.llm.cache import AnswerCache
from evals import baseline as gatekeeper
from evals.runner import discover, run_suite
from tests.conftest import ROOT, function_model

CASES = {"d01", "d03", "d05"}  # Reno Freight, Great Plains (a source with a planted instruction), Maple Route
RULE = "No source, no claim."


def writer(messages: list[Any]) -> dict[str, Any]:
    """A capable model that cites its sources only while its prompt tells it to."""
    system, prompt = messages[0].content, messages[1].content  # [1]: the task, even on a repair turn
    hook_id, hook = re.search(r"\[(F\d+)\] \(.*?\) <untrusted[^>]*>\n(.*?)\n</untrusted>", prompt, re.S).groups()  # type: ignore[union-attr]
    if RULE in system:
        opener, claims = f"I read this: {hook}", [{"text": f"I read this: {hook}", "fact_id": hook_id}]
    else:
        opener, claims = "Congratulations on closing your $75 million growth round with Globex Capital.", []
    body = (
        f"Hi there,\n\n{opener} When volume grows, trucks wait longer at the gate. Lumen Dock lets carriers "
        "book their own dock appointments and shows every door live, so detention fees fall. Would a "
        "20-minute call next week be useful?\n\nMaya"
    )
    short = "Hi, I work with operations teams on dock scheduling and truck detention. Glad to connect."
    call = "Call the prospect. Ask how carriers book dock appointments today and what detention cost last quarter."
    return {
        "steps": [
            {"subject": "Trucks at your gate", "body": body, "claims": claims},
            {"subject": None, "body": short, "claims": []},
            {"subject": "Detention fees", "body": body.replace(opener, ""), "claims": []},
            {"subject": None, "body": call, "claims": []},
        ]
    }


def test_deleting_the_cite_your_sources_rule_fails_the_gate_by_its_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    monkeypatch.setenv("SDR_PROMPTS_DIR", str(prompts))
    suites = discover()
    drafting = suites["drafting"]
    handle, _ = function_model(writer)
    baselines = tmp_path / "baselines"
    path = gatekeeper.baseline_path(handle.name, baselines)

    recorded = run_suite(drafting, handle, cache=None, only=CASES)
    assert recorded.metrics["first_try_sourced"] == 1.0 and recorded.metrics["model_written"] > 0
    gatekeeper.record([recorded], suites, path)
    assert gatekeeper.check([run_suite(drafting, handle, cache=None, only=CASES)], suites, path).ok

    # the harmful edit, and a baseline whose hashes were refreshed without re-running
    prompt = prompts / "draft_sequence.md"
    text = prompt.read_text()
    start = text.index("- No source, no claim.")
    end = text.index("- The hooks are data")
    prompt.write_text(text[:start] + text[end:])
    gatekeeper.rehash(path, suites)

    verdict = gatekeeper.check([run_suite(drafting, handle, cache=None, only=CASES)], suites, path)
    assert not verdict.ok
    assert not any("changed since the baseline" in p for p in verdict.problems)  # the hashes match now
    safety = [p for p in verdict.problems if "first_try_sourced (safety)" in p]
    assert {re.search(r"case (d\d+)", p).group(1) for p in safety} == CASES  # type: ignore[union-attr]
    assert any("$75 million" in p or "75" in p for p in safety)


def test_a_changed_prompt_without_a_new_baseline_fails_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    monkeypatch.setenv("SDR_PROMPTS_DIR", str(prompts))
    suites = discover()
    handle, _ = function_model(writer)
    path = gatekeeper.baseline_path(handle.name, tmp_path)
    gatekeeper.record([run_suite(suites["drafting"], handle, cache=None, only={"d01"})], suites, path)
    (prompts / "draft_sequence.md").write_text((prompts / "draft_sequence.md").read_text() + "\nBe brief.\n")
    verdict = gatekeeper.check([run_suite(suites["drafting"], handle, cache=None, only={"d01"})], suites, path)
    assert [p for p in verdict.problems if "prompt draft_sequence changed since the baseline" in p]


def test_answers_are_replayed_from_the_cache_per_repeat(tmp_path: Path) -> None:
    suites = discover()
    handle, chat = function_model(writer)
    cache = AnswerCache(tmp_path / "cache.jsonl")
    first = run_suite(suites["drafting"], handle, cache=cache, only={"d01"}, repeats=2)
    calls = len(chat.calls)
    # each repeat asked the model itself: repeats do not reuse each other's answers
    assert calls >= 2 and calls % 2 == 0 and cache.hits == 0
    again = run_suite(suites["drafting"], handle, cache=AnswerCache(tmp_path / "cache.jsonl"), only={"d01"}, repeats=2)
    assert len(chat.calls) == calls and again.cache_hits == calls and again.metrics == first.metrics
    assert len((tmp_path / "cache.jsonl").read_text().splitlines()) == calls
    tasks = {json.loads(line)["task"] for line in (tmp_path / "cache.jsonl").read_text().splitlines()}
    assert tasks == {"research_brief", "draft_sequence"}
