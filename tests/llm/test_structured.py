from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import openai
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field

from agent.errors import InvalidModelOutput, ModelError
from agent.llm import LLM, CallRecord, scripted_handle
from agent.llm.modes import OutputMode
from agent.llm.providers import ModelHandle
from agent.prompts import parse_prompt

PROMPT = parse_prompt(
    "echo",
    "---\nname: echo\nversion: 3\ndescription: test\nvariables: [text]\n---\n"
    "# system\nAnswer in JSON.\n# user\n{{ text }}\n",
)


class Answer(BaseModel):
    label: str
    score: int


def llm_with(*answers: str, records: list[CallRecord] | None = None, **kwargs: Any) -> LLM:
    handle = scripted_handle(FakeListChatModel(responses=list(answers)))
    return LLM(handle, recorder=(records.append if records is not None else None), **kwargs)


def test_valid_answer_is_parsed_and_recorded() -> None:
    records: list[CallRecord] = []
    answer = llm_with('{"label": "yes", "score": 3}', records=records).ask("echo", Answer, prompt=PROMPT, text="hi")
    assert answer == Answer(label="yes", score=3)
    (record,) = records
    assert (record.task, record.outcome, record.attempts, record.prompt_version) == (
        "echo",
        "ok",
        1,
        "3:" + PROMPT.digest[:8],
    )
    assert record.latency_ms >= 0


def test_fenced_json_is_accepted() -> None:
    answer = llm_with('Sure!\n```json\n{"label": "a", "score": 1}\n```').ask("echo", Answer, prompt=PROMPT, text="x")
    assert answer.score == 1


def test_invalid_answer_is_repaired_once_with_the_errors() -> None:
    records: list[CallRecord] = []
    llm = llm_with('{"label": "a"}', '{"label": "a", "score": 2}', records=records, repair_attempts=1)
    assert llm.ask("echo", Answer, prompt=PROMPT, text="x").score == 2
    assert records[0].outcome == "repaired" and records[0].attempts == 2


def test_repairs_are_bounded_and_the_failure_is_recorded() -> None:
    records: list[CallRecord] = []
    llm = llm_with("not json", "still not", "never", records=records, repair_attempts=1)
    with pytest.raises(InvalidModelOutput):
        llm.ask("echo", Answer, prompt=PROMPT, text="x")
    assert records[0].outcome == "invalid" and records[0].attempts == 2


def _rate_limited(retry_after: str | None) -> openai.RateLimitError:
    headers = {"retry-after": retry_after} if retry_after else {}
    response = httpx.Response(429, headers=headers, request=httpx.Request("POST", "http://127.0.0.1/v1"))
    return openai.RateLimitError("slow down", response=response, body=None)


class Flaky(FakeListChatModel):
    """Raises the given errors first, then answers."""

    failures: list[Exception] = []  # noqa: RUF012
    calls: int = 0

    def _call(self, *args: Any, **kwargs: Any) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return super()._call(*args, **kwargs)


def test_transient_errors_are_retried_honouring_retry_after() -> None:
    model = Flaky(responses=['{"label": "ok", "score": 1}'], failures=[_rate_limited("0.2"), _rate_limited(None)])
    records: list[CallRecord] = []
    llm = LLM(scripted_handle(model), recorder=records.append, max_attempts=4)
    started = time.monotonic()
    assert llm.ask("echo", Answer, prompt=PROMPT, text="x").label == "ok"
    assert time.monotonic() - started >= 0.2  # waited as told
    assert model.calls == 3 and records[0].attempts == 3 and records[0].outcome == "ok"


def test_retries_are_bounded() -> None:
    model = Flaky(responses=["{}"], failures=[_rate_limited("0")] * 5)
    records: list[CallRecord] = []
    with pytest.raises(ModelError):
        LLM(scripted_handle(model), recorder=records.append, max_attempts=2).ask(
            "echo", Answer, prompt=PROMPT, text="x"
        )
    assert model.calls == 2 and records[0].outcome == "error"


def test_a_client_error_is_not_retried() -> None:
    response = httpx.Response(400, request=httpx.Request("POST", "http://127.0.0.1/v1"))
    model = Flaky(responses=["{}"], failures=[openai.BadRequestError("bad", response=response, body=None)])
    with pytest.raises(ModelError):
        LLM(scripted_handle(model), max_attempts=4).ask("echo", Answer, prompt=PROMPT, text="x")
    assert model.calls == 1


class Slow(FakeListChatModel):
    active: int = 0
    peak: int = 0
    lock: Any = None

    def _call(self, *args: Any, **kwargs: Any) -> str:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.05)
        with self.lock:
            self.active -= 1
        return '{"label": "x", "score": 0}'


def test_concurrency_is_limited_per_model() -> None:
    model = Slow(responses=["unused"], lock=threading.Lock())
    handle = ModelHandle(chat=model, name="slow", concurrency=2, capable_writer=True)
    llm = LLM(handle)
    threads = [
        threading.Thread(target=llm.ask, args=("echo", Answer), kwargs={"prompt": PROMPT, "text": "x"})
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert model.peak == 2


def test_the_schema_and_token_usage_reach_the_model() -> None:
    seen: dict[str, Any] = {}

    class Recording(FakeListChatModel):
        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            from langchain_core.outputs import ChatGeneration, ChatResult

            seen.update(kwargs)
            message = AIMessage(
                content='{"label": "x", "score": 1}',
                usage_metadata={"input_tokens": 11, "output_tokens": 7, "total_tokens": 18},
            )
            return ChatResult(generations=[ChatGeneration(message=message)])

    handle = ModelHandle(
        chat=Recording(responses=["x"]),
        name="rec",
        concurrency=1,
        capable_writer=False,
        modes=(OutputMode.json_object,),
    )
    records: list[CallRecord] = []
    narrowed = {"type": "object", "properties": {"label": {"type": "string", "maxLength": 900}}}
    LLM(handle, recorder=records.append).ask("echo", Answer, prompt=PROMPT, text="x", schema=narrowed)
    # held to the narrowed schema, less what llama.cpp's grammar cannot compile
    assert seen["response_format"] == {
        "type": "json_object",
        "schema": {"type": "object", "properties": {"label": {"type": "string"}}},
    }
    assert (records[0].tokens_in, records[0].tokens_out) == (11, 7)


class KwargsSpy(FakeListChatModel):
    """Remembers the keyword arguments of every call, as a real client would receive them."""

    seen: list[dict[str, Any]] = Field(default_factory=list)

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        self.seen.append(kwargs)
        return super().invoke(input, config, **kwargs)


def test_a_bounded_model_caps_the_answer_and_keeps_the_record_and_the_limit() -> None:
    records: list[CallRecord] = []
    spy = KwargsSpy(responses=['{"label": "a"}', '{"label": "a", "score": 2}'])
    llm = LLM(scripted_handle(spy), recorder=records.append, repair_attempts=1)
    with pytest.raises(InvalidModelOutput):
        llm.bounded(120).ask("echo", Answer, prompt=PROMPT, text="x")
    assert [kw.get("max_tokens") for kw in spy.seen] == [120]  # capped, and no repair round
    assert records[0].outcome == "invalid"
    assert llm.bounded(120)._slots is llm._slots

    spy.seen.clear()
    spy.i = 0
    answer = llm.bounded(90, repair=True).ask("echo", Answer, prompt=PROMPT, text="x")
    assert answer.score == 2 and [kw.get("max_tokens") for kw in spy.seen] == [90, 90]
