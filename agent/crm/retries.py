"""How a CRM call is retried: rate limits (429) wait what the CRM said in `Retry-After`, outages
(5xx, a dropped connection) back off with jitter; bounded in tries and in time. Everything else
(a refused write, refused credentials) is not retried: asking again gets the same answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from agent.crm.model import CrmBusy
from agent.settings import Settings

T = TypeVar("T")
MAX_BACKOFF_SECONDS = 60.0


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds (or as an HTTP date, read against the agent's clock); None when the
    CRM did not say or said something unreadable (our own backoff applies)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


class _Wait:
    def __init__(self, backoff_seconds: float) -> None:
        self.backoff = wait_exponential_jitter(
            multiplier=backoff_seconds, max=MAX_BACKOFF_SECONDS, jitter=backoff_seconds
        )

    def __call__(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        told = failure.retry_after if isinstance(failure, CrmBusy) else None
        return told if told is not None else self.backoff(state)


def call_crm(settings: Settings, call: Callable[[], T]) -> T:
    """`call()`, again while the CRM is busy, within `crm_max_attempts` and `crm_max_wait_seconds`
    (a wait that would pass the budget is not started); the last `CrmBusy` when they run out."""
    retrying = Retrying(
        retry=retry_if_exception_type(CrmBusy),
        stop=stop_after_attempt(settings.crm_max_attempts) | stop_before_delay(settings.crm_max_wait_seconds),
        wait=_Wait(settings.crm_backoff_seconds),
        reraise=True,
    )
    return retrying(call)
