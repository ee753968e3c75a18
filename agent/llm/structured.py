"""Every LLM task goes through `LLM.ask`: a prompt in, a validated pydantic object out.

- the provider's schema mode (grammar on llama.cpp, `response_format` on OpenAI-compatible);
- a bounded repair: an answer that fails validation goes back with the errors, a set number
  of times;
- transient failures (rate limits, 5xx, timeouts) retried with tenacity: exponential backoff
  with jitter, `Retry-After` honoured, bounded in attempts and in total time;
- a concurrency limit per model;
- every call recorded (task, model, prompt version, tokens, latency, attempts, outcome).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from agent.errors import InvalidModelOutput, ModelError
from agent.llm.cache import AnswerCache
from agent.llm.providers import ModelHandle
from agent.prompts import Prompt, load_prompt

T = TypeVar("T", bound=BaseModel)

_FENCED = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


@dataclass
class CallRecord:
    task: str
    model: str
    prompt_version: str
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: int = 0
    attempts: int = 0
    outcome: str = "error"
    error: str | None = None
    subject: dict[str, int | None] = field(default_factory=dict)


Recorder = Callable[[CallRecord], None]


def _transient(exc: BaseException) -> bool:
    import httpx
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError | httpx.TransportError)


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff


class _Wait:
    """Backoff with jitter, unless the server said how long to wait (capped at the budget)."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.backoff = wait_exponential_jitter(initial=1, max=20, jitter=1)

    def __call__(self, state: RetryCallState) -> float:
        told = _retry_after(state.outcome.exception() if state.outcome else None)
        return min(told, self.budget) if told is not None else self.backoff(state)


def extract_json(text: str) -> str:
    """The JSON object in a model's answer (some endpoints wrap it in a Markdown fence)."""
    if match := _FENCED.search(text):
        text = match.group(1)
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text


def _repair_message(error: ValidationError | ValueError) -> HumanMessage:
    detail = error.errors() if isinstance(error, ValidationError) else str(error)
    return HumanMessage(
        "Your answer did not match the required JSON schema. Errors: "
        f"{json.dumps(detail, default=str)[:2000]}\nAnswer again with only the corrected JSON."
    )


class LLM:
    def __init__(
        self,
        handle: ModelHandle,
        *,
        recorder: Recorder | None = None,
        repair_attempts: int = 1,
        max_attempts: int = 4,
        max_wait_seconds: float = 60.0,
        cache: AnswerCache | None = None,
    ) -> None:
        self.handle = handle
        self.recorder = recorder
        self.repair_attempts = repair_attempts
        self.max_attempts = max_attempts
        self.max_wait_seconds = max_wait_seconds
        self.cache = cache
        self._slots = threading.BoundedSemaphore(handle.concurrency)

    @property
    def name(self) -> str:
        return self.handle.name

    def bounded(self, max_tokens: int, *, repair: bool = False) -> LLM:
        """The same model, recorder, cache, retries and concurrency, with a cap on answer length
        (and, unless `repair`, no repair round).

        A small local model held to a JSON grammar can pad an answer with whitespace, or repeat
        itself, up to its token limit: a minute or more at 50 ms a token, for an answer that is
        never valid. Tasks whose answers are short say how short.
        """
        handle = self.handle

        def schema_kwargs(name: str, schema: dict[str, Any]) -> dict[str, Any]:
            return {**handle.schema_kwargs(name, schema), "max_tokens": max_tokens}

        clone = LLM(
            replace(handle, schema_kwargs=schema_kwargs),
            recorder=self.recorder,
            repair_attempts=self.repair_attempts if repair else 0,
            max_attempts=self.max_attempts,
            max_wait_seconds=self.max_wait_seconds,
            cache=self.cache,
        )
        clone._slots = self._slots  # one model, one limit on calls in flight
        return clone

    def ask(
        self,
        task: str,
        output: type[T],
        *,
        prompt: Prompt | None = None,
        schema: dict[str, Any] | None = None,
        subject: dict[str, int | None] | None = None,
        **variables: Any,
    ) -> T:
        """Run prompt `task` (or the given prompt) and return its answer as an `output`.

        `schema` narrows the JSON schema the model is held to (e.g. enums of valid source
        ids); the answer is still validated against `output`.
        """
        prompt = prompt or load_prompt(task)
        messages = prompt.render(**variables)
        kwargs = self.handle.schema_kwargs(output.__name__, schema or output.model_json_schema())
        record = CallRecord(task, self.name, prompt.version_tag, subject=subject or {})
        started = time.perf_counter()
        try:
            for repair in range(self.repair_attempts + 1):
                answer = self._invoke(messages, kwargs, record)
                try:
                    result = output.model_validate_json(extract_json(answer.text))
                except ValidationError as error:
                    record.error = str(error)[:500]
                    messages = [*messages, answer, _repair_message(error)]
                    continue
                record.outcome, record.error = ("repaired" if repair else "ok"), None
                return result
            record.outcome = "invalid"
            raise InvalidModelOutput(
                f"{task}: {self.name} gave no valid {output.__name__} after "
                f"{self.repair_attempts + 1} tries: {record.error}"
            )
        except ModelError:
            raise
        except Exception as exc:
            record.error = f"{type(exc).__name__}: {exc}"[:500]
            raise ModelError(f"{task}: {self.name} failed: {record.error}") from exc
        finally:
            record.latency_ms = int((time.perf_counter() - started) * 1000)
            if self.recorder:
                self.recorder(record)

    def _invoke(self, messages: list[BaseMessage], kwargs: dict[str, Any], record: CallRecord) -> AIMessage:
        key = None
        if self.cache is not None:
            key = self.cache.key(self.handle.fingerprint or self.name, [(m.type, m.text) for m in messages], kwargs)
            if (hit := self.cache.get(key)) is not None:
                record.attempts += 1
                record.tokens_in += hit["usage"].get("input_tokens", 0)
                record.tokens_out += hit["usage"].get("output_tokens", 0)
                return AIMessage(content=hit["text"])
        retrying = Retrying(
            retry=retry_if_exception(_transient),
            stop=stop_after_attempt(self.max_attempts) | stop_after_delay(self.max_wait_seconds),
            wait=_Wait(self.max_wait_seconds),
            reraise=True,
        )
        for attempt in retrying:
            with attempt, self._slots:
                record.attempts += 1
                answer = self.handle.chat.invoke(messages, **kwargs)
        assert isinstance(answer, AIMessage)
        usage: dict[str, Any] = dict(answer.usage_metadata or {})
        record.tokens_in += usage.get("input_tokens", 0)
        record.tokens_out += usage.get("output_tokens", 0)
        if self.cache is not None and key is not None:
            self.cache.put(key, record.task, answer.text, {k: int(v) for k, v in usage.items() if isinstance(v, int)})
        return answer
