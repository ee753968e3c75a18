"""Every LLM task goes through `LLM.ask`: a prompt in, a validated pydantic object out.

- the endpoint asked for JSON in the first output mode it takes (`modes`): JSON schema, JSON
  object with a schema, a forced tool call, or plain words; a refusal of a mode moves to the
  next, never into a retry loop, and the mode that works is remembered per endpoint;
- a bounded repair: an answer that fails validation goes back with the errors, a set number
  of times;
- transient failures (rate limits, 5xx, timeouts, resets, cut bodies) retried with tenacity:
  exponential backoff with jitter, `Retry-After` honoured, bounded in attempts and in total time;
- an endpoint that cannot serve at all raises `EndpointUnusable`, which no task falls back from;
- a concurrency limit per model;
- every call recorded (task, model, prompt version, tokens, latency, attempts, outcome).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from agent import clock
from agent.errors import EndpointUnusable, InvalidModelOutput, ModelError
from agent.llm.cache import AnswerCache
from agent.llm.endpoints import Endpoint, EndpointMemory
from agent.llm.failures import Verdict, cut_short, retry_after, verdict
from agent.llm.modes import OutputMode, answer_text, instructed, request_kwargs
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
    outcome: str = "error"  # ok, repaired, invalid, error, unusable
    error: str | None = None
    subject: dict[str, int | None] = field(default_factory=dict)


Recorder = Callable[[CallRecord], None]


_RETRIED = (Verdict.retry, Verdict.rate_limited)


class _ModeRefused(Exception):
    """The endpoint refused the output mode a request was made in."""


def _said(exc: BaseException) -> str:
    """An exception as one short line (servers put tracebacks and newlines in their errors)."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def _grouped(refusals: dict[OutputMode, str]) -> str:
    """Refusals, each said once with the modes that got it (a server often words them all alike)."""
    by_reason: dict[str, list[str]] = {}
    for mode, reason in refusals.items():
        by_reason.setdefault(reason, []).append(str(mode))
    return "; ".join(f"{', '.join(modes)}: {reason}" for reason, modes in by_reason.items())


class _Wait:
    """Backoff with jitter, unless the server said how long to wait (the time budget stops the
    retries before a wait that would pass it)."""

    def __init__(self, backoff_seconds: float) -> None:
        self.backoff = wait_exponential_jitter(multiplier=backoff_seconds, max=20, jitter=backoff_seconds)

    def __call__(self, state: RetryCallState) -> float:
        told = retry_after(state.outcome.exception() if state.outcome else None, clock.now())
        return told if told is not None else self.backoff(state)


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
        backoff_seconds: float = 1.0,
        cache: AnswerCache | None = None,
        memory: EndpointMemory | None = None,
    ) -> None:
        self.handle = handle
        self.recorder = recorder
        self.repair_attempts = repair_attempts
        self.max_attempts = max_attempts
        self.max_wait_seconds = max_wait_seconds
        self.backoff_seconds = backoff_seconds
        self.cache = cache
        self.max_tokens: int | None = None
        key = f"{handle.endpoint} {handle.name}" if handle.endpoint else ""
        self.endpoint = Endpoint(key, handle.modes, memory)
        self._slots = threading.BoundedSemaphore(handle.concurrency)

    @property
    def name(self) -> str:
        return self.handle.name

    @property
    def where(self) -> str:
        return f"{self.name} at {self.handle.endpoint}" if self.handle.endpoint else self.name

    def bounded(self, max_tokens: int, *, repair: bool = False) -> LLM:
        """The same model, recorder, cache, retries, endpoint knowledge and concurrency, with a
        cap on answer length (and, unless `repair`, no repair round).

        A small local model held to a JSON grammar can pad an answer with whitespace, or repeat
        itself, up to its token limit: a minute or more at 50 ms a token, for an answer that is
        never valid. Tasks whose answers are short say how short.
        """
        clone = copy.copy(self)  # shares the slots: one model, one limit on calls in flight
        clone.max_tokens = max_tokens
        clone.repair_attempts = self.repair_attempts if repair else 0
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
        record = CallRecord(task, self.name, prompt.version_tag, subject=subject or {})
        started = time.perf_counter()
        try:
            return self._ask(output, messages, schema or output.model_json_schema(), record)
        except EndpointUnusable as exc:
            record.outcome, record.error = "unusable", str(exc)[:500]
            raise
        except ModelError as exc:
            record.error = record.error if record.outcome == "invalid" else str(exc)[:500]
            raise
        except Exception as exc:
            record.error = _said(exc)[:500]
            raise ModelError(f"{task}: {self.where} failed after {record.attempts} tries: {record.error}") from exc
        finally:
            record.latency_ms = int((time.perf_counter() - started) * 1000)
            if self.recorder:
                self.recorder(record)

    def _ask(self, output: type[T], messages: list[BaseMessage], schema: dict[str, Any], record: CallRecord) -> T:
        refusals: dict[OutputMode, str] = {}
        for mode in self.endpoint.modes_to_try():
            try:
                return self._answer(mode, output, messages, schema, record)
            except _ModeRefused as refused:
                refusals[mode] = str(refused)[:200]
                self.endpoint.refuse(mode, refusals[mode])
        said = _grouped(refusals or self.endpoint.refused)
        if self.endpoint.mode is None:
            raise EndpointUnusable(
                f"{record.task}: {self.where} refused every way of asking for JSON; point SDR_MODEL or "
                f"OPENAI_BASE_URL at another endpoint, or use SDR_MODEL=local:smollm2 ({said})"
            )
        raise ModelError(f"{record.task}: {self.where} refused this request in every output mode ({said})")

    def _answer(
        self, mode: OutputMode, output: type[T], messages: list[BaseMessage], schema: dict[str, Any], record: CallRecord
    ) -> T:
        kwargs = request_kwargs(mode, output.__name__, schema)
        if self.max_tokens is not None:
            kwargs["max_tokens"] = self.max_tokens
        messages = instructed(mode, messages, schema)
        for repair in range(self.repair_attempts + 1):
            text = self._invoke(mode, messages, kwargs, record)
            try:
                result = output.model_validate_json(extract_json(text))
            except ValidationError as error:
                record.error = str(error)[:500]
                messages = [*messages, AIMessage(content=text), _repair_message(error)]
                continue
            record.outcome, record.error = ("repaired" if repair else "ok"), None
            return result
        record.outcome = "invalid"
        raise InvalidModelOutput(
            f"{record.task}: {self.name} gave no valid {output.__name__} after "
            f"{self.repair_attempts + 1} tries: {record.error}"
        )

    def _invoke(self, mode: OutputMode, messages: list[BaseMessage], kwargs: dict[str, Any], record: CallRecord) -> str:
        """The answer's JSON text, from the cache or the model (transient failures retried)."""
        key = None
        if self.cache is not None:
            key = self.cache.key(self.handle.fingerprint or self.name, [(m.type, m.text) for m in messages], kwargs)
            if (hit := self.cache.get(key)) is not None:
                record.attempts += 1
                record.tokens_in += hit["usage"].get("input_tokens", 0)
                record.tokens_out += hit["usage"].get("output_tokens", 0)
                return str(hit["text"])
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: verdict(exc, mode_works=self.endpoint.works(mode)) in _RETRIED),
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_wait_seconds),
            wait=_Wait(self.backoff_seconds),
            reraise=True,
        )
        started = time.perf_counter()
        try:
            for attempt in retrying:
                with attempt, self._slots:
                    record.attempts += 1
                    answer = self._call(messages, kwargs)
        except Exception as exc:
            self._judge(exc, mode, attempts=record.attempts, seconds=time.perf_counter() - started)
            raise
        self.endpoint.answered = True
        if self.handle.endpoint:
            self.endpoint.confirm(mode)
        usage: dict[str, Any] = dict(answer.usage_metadata or {})
        record.tokens_in += usage.get("input_tokens", 0)
        record.tokens_out += usage.get("output_tokens", 0)
        text = answer_text(answer)
        if self.cache is not None and key is not None:
            self.cache.put(key, record.task, text, {k: int(v) for k, v in usage.items() if isinstance(v, int)})
        return text

    def _call(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        try:
            answer = self.handle.chat.invoke(messages, **kwargs)
        except Exception as exc:
            # The OpenAI client refuses a JSON-schema answer cut at the token limit; it is an
            # answer all the same (paid for, and repairable like any other that fails validation).
            if (cut := cut_short(exc)) is None:
                raise
            answer = cut
        assert isinstance(answer, AIMessage)
        return answer

    def _judge(self, exc: Exception, mode: OutputMode, *, attempts: int, seconds: float) -> None:
        """Turn a failure that is about the endpoint, not this one request, into what it means."""
        if not self.handle.endpoint:
            return  # an in-process model has no endpoint to refuse a mode or to be down
        found = verdict(exc, mode_works=self.endpoint.works(mode))
        if found is Verdict.next_mode:
            raise _ModeRefused(_said(exc)) from exc
        if found is Verdict.unusable:
            raise EndpointUnusable(
                f"{self.where} refused the request ({_said(exc)}); "
                "check OPENAI_API_KEY, the model name and OPENAI_BASE_URL"
            ) from exc
        told = retry_after(exc, clock.now())
        if told is not None and told > self.max_wait_seconds:
            raise ModelError(
                f"{self.where} asked to wait {told:.0f} s, more than "
                f"SDR_LLM_MAX_WAIT_SECONDS={self.max_wait_seconds:g} ({_said(exc)})"
            ) from exc
        if found is Verdict.retry and not self.endpoint.answered:  # down, not busy: rate limits pass
            raise EndpointUnusable(
                f"{self.where} gave no answer: {_said(exc)} ({attempts} tries in {seconds:.1f} s); is it running? "
                "(SDR_LLM_TIMEOUT_SECONDS, SDR_LLM_MAX_WAIT_SECONDS)"
            ) from exc
