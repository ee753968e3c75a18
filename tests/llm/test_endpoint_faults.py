"""The real client path (langchain-openai over HTTP) against a server that misbehaves on purpose:
it recovers within its bounds, waits as told, records every call with its cost, loses nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.errors import EndpointUnusable, ModelError
from agent.store.tables import LlmCall
from agent.workspace import Workspace
from tests.llm.conftest import PROMPT, Label, endpoint_workspace
from tests.llm.fake_openai_server import (
    Answer,
    FakeOpenAI,
    Hang,
    Malformed,
    Reset,
    Status,
    Step,
    Truncated,
    retry_after_date,
    serving,
)


def ask(ws: Workspace, text: str = "hello") -> Label:
    return ws.llm.ask("echo", Label, prompt=PROMPT, text=text)


def calls(ws: Workspace) -> list[LlmCall]:
    with ws.store.transaction() as session:
        rows = list(session.scalars(select(LlmCall).order_by(LlmCall.id)))
        session.expunge_all()
        return rows


def timed(ws: Workspace) -> tuple[Label, float]:
    started = time.monotonic()
    answer = ask(ws)
    return answer, time.monotonic() - started


@pytest.mark.parametrize(
    ("retry_after", "at_least"),
    [(lambda: "0.4", 0.4), (lambda: retry_after_date(1), 0.9)],  # a date from the test's clock
    ids=["seconds", "http-date"],
)
def test_a_rate_limit_is_waited_out_as_the_server_says(
    fake_openai: FakeOpenAI, tmp_path: Path, retry_after: Callable[[], str], at_least: float
) -> None:
    fake_openai.script(Status(429, "Rate limit reached", retry_after=retry_after()))
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    answer, took = timed(ws)
    assert answer == Label(label="ok", score=1)
    assert took >= at_least  # our own backoff would have waited 10-20 ms
    (call,) = calls(ws)
    assert (call.outcome, call.attempts, call.tokens_in, call.tokens_out) == ("ok", 2, 20, 10)


def test_a_wait_longer_than_the_budget_is_not_waited(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.script(Status(429, "quota exhausted", retry_after="3600"))
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"asked to wait 3600 s, more than SDR_LLM_MAX_WAIT_SECONDS=5"):
        ask(ws)
    assert time.monotonic() - started < 2 and len(fake_openai.requests) == 1
    assert [c.outcome for c in calls(ws)] == ["error"]


@pytest.mark.parametrize(
    "faults",
    [
        [Status(500), Status(503, "overloaded")],
        [Hang(3)],  # past the client's 0.5 s timeout
        [Reset()],
        [Truncated()],
        [Malformed()],
        [Status(502), Reset(), Malformed()],
    ],
    ids=["5xx", "hang", "reset", "truncated-body", "malformed-body", "mixed"],
)
def test_transient_faults_are_retried_and_recorded(fake_openai: FakeOpenAI, tmp_path: Path, faults: list[Step]) -> None:
    fake_openai.script(*faults)
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    answer, took = timed(ws)
    assert answer.label == "ok" and took < 3
    assert len(fake_openai.requests) == len(faults) + 1
    (call,) = calls(ws)
    assert (call.outcome, call.attempts, call.tokens_in, call.tokens_out) == ("ok", len(faults) + 1, 20, 10)


def test_retries_are_bounded_in_count(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    ws = endpoint_workspace(tmp_path, fake_openai.base_url, llm_max_attempts=3)
    ask(ws)  # the endpoint works...
    fake_openai.script(*[Status(503)] * 10)  # ...then is down
    with pytest.raises(ModelError, match=r"failed after 3 tries: .*503") as failed:
        ask(ws)
    assert not isinstance(failed.value, EndpointUnusable)  # it has answered: a task may fall back
    assert len(fake_openai.requests) == 1 + 3
    assert [(c.outcome, c.attempts) for c in calls(ws)] == [("ok", 1), ("error", 3)]


def test_retries_are_bounded_in_time(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    ws = endpoint_workspace(tmp_path, fake_openai.base_url, llm_max_attempts=10, llm_max_wait_seconds=1.0)
    ask(ws)
    fake_openai.script(*[Status(503, retry_after="0.4")] * 10)
    with pytest.raises(ModelError):
        ask(ws)
    # 0.4 s waits in a 1 s budget: the third wait would end past it, so it is not taken (counted in
    # requests, not timed: a loaded machine must not fail this)
    assert len(fake_openai.requests) == 1 + 3


def test_a_cut_answer_is_paid_for_and_repaired(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.script(Answer('{"label": "hel', tokens_out=64, finish_reason="length"))
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    assert ask(ws).label == "ok"
    repair = fake_openai.requests[1]["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"label": "hel'}
    assert "did not match the required JSON schema" in repair[-1]["content"]
    (call,) = calls(ws)
    assert (call.outcome, call.attempts, call.tokens_in, call.tokens_out) == ("repaired", 2, 40, 74)


def test_an_endpoint_that_never_answers_is_reported_not_fallen_back_from(tmp_path: Path) -> None:
    with serving(FakeOpenAI()) as server:
        base_url = server.base_url  # closed: nothing listens there any more
    ws = endpoint_workspace(tmp_path, base_url, llm_max_attempts=2)
    with pytest.raises(EndpointUnusable, match=r"openai:fake at http://127.0.0.1:\d+/v1 gave no answer: .*2 tries"):
        ask(ws)
    assert [c.outcome for c in calls(ws)] == ["unusable"]


def test_an_endpoint_that_only_fails_from_the_start_is_reported(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.script(*[Status(503, "loading model")] * 3)
    ws = endpoint_workspace(tmp_path, fake_openai.base_url, llm_max_attempts=3)
    with pytest.raises(EndpointUnusable, match=r"gave no answer: .*503 - loading model \(3 tries in"):
        ask(ws)


def test_a_rate_limit_from_the_start_is_not_an_endpoint_problem(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.script(*[Status(429, "Rate limit reached", retry_after="0.05")] * 3)
    ws = endpoint_workspace(tmp_path, fake_openai.base_url, llm_max_attempts=3)
    with pytest.raises(ModelError) as failed:
        ask(ws)
    assert not isinstance(failed.value, EndpointUnusable)  # busy, not broken: a task may fall back
    assert len(fake_openai.requests) == 3


def test_concurrent_calls_through_faults_lose_nothing(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    def echo(body: dict[str, Any]) -> Step:
        return Answer({"label": body["messages"][-1]["content"], "score": 1}, tokens_in=7, tokens_out=3)

    fake_openai.answer = echo
    faults: list[Step] = [Status(503), Reset(), Hang(2), Truncated(), Status(429, retry_after="0.1"), Malformed()]
    ws = endpoint_workspace(tmp_path, fake_openai.base_url, llm_concurrency=4)
    ask(ws, "warm-up")
    fake_openai.script(*faults)
    texts = [f"lead {n}" for n in range(12)]
    answers: dict[str, str] = {}

    def one(text: str) -> None:
        answers[text] = ask(ws, text).label

    threads = [threading.Thread(target=one, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {text: text for text in texts}  # every answer, each to its own question
    rows = calls(ws)[1:]
    assert len(rows) == len(texts) and {r.outcome for r in rows} == {"ok"}
    assert sum(r.attempts for r in rows) == len(texts) + len(faults) == len(fake_openai.requests) - 1
    assert (sum(r.tokens_in for r in rows), sum(r.tokens_out for r in rows)) == (7 * len(texts), 3 * len(texts))
