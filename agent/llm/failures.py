"""What a failed request to a model endpoint means: wait and retry, ask in another output mode,
give up on this request, or give up on the endpoint.

Only failures that can pass are retried (rate limits, 5xx, timeouts, resets, a cut or malformed
body). A refusal of the output mode itself is never retried: llama-cpp-python's server answers
`json_schema` with a 500 naming `response_format`, and asking again gets the same 500.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from langchain_core.messages import AIMessage


class Verdict(StrEnum):
    retry = "retry"  # may pass: wait, then the same request again
    rate_limited = "rate_limited"  # will pass: the endpoint works, but not for us right now
    next_mode = "next_mode"  # the endpoint does not take this output mode
    give_up = "give_up"  # this request cannot succeed as asked (too long, refused content)
    unusable = "unusable"  # no request can succeed: the key, the model or the address is wrong


# How servers word a refusal of the request's shape (FastAPI's validation errors, vLLM, Ollama,
# OpenAI's "Invalid parameter: 'response_format'...").
_NAMES_A_MODE = re.compile(
    r"response_format|json_schema|json_object|\bschema\b|\btools?\b|tool_choice|\bgrammar\b|"
    r"not supported|unsupported|not implemented",
    re.IGNORECASE,
)
_UNUSABLE = frozenset({401, 403, 404})
_RETRIED = frozenset({408, 409, 425})


def verdict(exc: BaseException, *, mode_works: bool) -> Verdict:
    """What `exc` means for a request in an output mode that the endpoint has (`mode_works`) or
    has not yet served: a 4xx to a mode never served is the mode's refusal, whatever its words."""
    import openai  # the OpenAI client is heavy: loaded once an endpoint has failed

    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        names_mode = bool(_NAMES_A_MODE.search(str(exc.message)))
        if code in _UNUSABLE:
            return Verdict.unusable
        if code == 429:
            return Verdict.rate_limited
        if code in _RETRIED:
            return Verdict.retry
        if code >= 500:
            return Verdict.next_mode if names_mode or code == 501 else Verdict.retry
        return Verdict.next_mode if names_mode or not mode_works else Verdict.give_up
    # Timeouts, resets and cut bodies arrive as connection errors; a body that does not parse (a
    # proxy's error page) is the wire's fault too.
    transient = openai.APIConnectionError | json.JSONDecodeError
    return Verdict.retry if isinstance(exc, transient) else Verdict.give_up


def retry_after(exc: BaseException | None, now: datetime) -> float | None:
    """Seconds the server asked us to wait (`Retry-After` in seconds or as an HTTP date,
    `retry-after-ms`), or None if it did not say."""
    headers = getattr(getattr(exc, "response", None), "headers", None)  # the client's HTTP library varies
    if headers is None:
        return None
    try:
        if (ms := headers.get("retry-after-ms")) is not None:
            return max(0.0, float(ms) / 1000)
        if (value := headers.get("retry-after")) is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (ValueError, TypeError):
        return None  # unreadable: our own backoff applies


def cut_short(exc: BaseException) -> AIMessage | None:
    """The answer inside the OpenAI client's refusal of a JSON-schema answer that reached the
    token limit, with its usage (those tokens were paid for); None for any other failure."""
    import openai

    if not isinstance(exc, openai.LengthFinishReasonError):
        return None
    completion = exc.completion
    usage = completion.usage
    return AIMessage(
        content=completion.choices[0].message.content or "" if completion.choices else "",
        usage_metadata=(
            {
                "input_tokens": usage.prompt_tokens,
                "output_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            }
            if usage
            else None
        ),
    )
