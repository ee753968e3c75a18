"""An OpenAI-compatible chat server on 127.0.0.1 that a test scripts: answers, and the faults
real endpoints have.

`/v1/chat/completions` answers in whichever structured-output mode the request asks for (JSON
content, or a tool call when the request offers a tool). A test lines up what the next requests
get (`script`): an answer, a status (429 with `Retry-After` in seconds or as an HTTP date, 500,
503), a hang past the client's timeout, a reset connection, a malformed or truncated body.
`refuses` makes the server refuse a structured-output mode the way real servers do (llama.cpp's
server answers `json_schema` with a 500), whatever the script says. Every request is kept.

The standard library's HTTP server, because the faults need the socket itself (a reset is a
close with SO_LINGER 0; a truncated body is a close before Content-Length bytes were sent).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent import clock


@dataclass(frozen=True)
class Answer:
    """A 200 with the model's answer: `content` (a dict is sent as JSON text), as JSON content or,
    when the request offers a tool, as that tool's call."""

    content: dict[str, Any] | str
    tokens_in: int = 20
    tokens_out: int = 10
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Status:
    """An error status with an OpenAI-style error body."""

    code: int
    message: str = "server error"
    retry_after: str | None = None


def retry_after_date(seconds: float) -> str:
    """A `Retry-After` HTTP date `seconds` after the agent's clock."""
    return format_datetime(clock.now() + timedelta(seconds=seconds), usegmt=True)


@dataclass(frozen=True)
class Hang:
    """Read the request, then say nothing for `seconds` (past the client's timeout)."""

    seconds: float


@dataclass(frozen=True)
class Reset:
    """Read the request, then reset the connection (RST, not a clean close)."""


@dataclass(frozen=True)
class Malformed:
    """A 200 whose body is not JSON."""

    body: str = '{"id": "chatcmpl-1", "choices": [{"index": 0, "message": '


@dataclass(frozen=True)
class Truncated:
    """A 200 that promises a whole answer, sends part of it, and closes."""


Step = Answer | Status | Hang | Reset | Malformed | Truncated

# What llama-cpp-python's server (0.3.x) answers to `response_format` of type `json_schema`.
LLAMA_CPP_REFUSAL = Status(
    500,
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}",
)


def request_mode(body: dict[str, Any]) -> str:
    """The structured-output mode a request asks for: json_schema, json_object, tools or text."""
    if body.get("tools"):
        return "tools"
    response_format = body.get("response_format") or {}
    return str(response_format.get("type", "text"))


@dataclass
class FakeOpenAI:
    answer: Callable[[dict[str, Any]], Step] = field(default=lambda _body: Answer({"label": "ok", "score": 1}))
    """What a request gets when the script is empty (from the request body)."""
    refuses: dict[str, Status] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _script: deque[Step] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    base_url: str = ""

    def script(self, *steps: Step) -> None:
        """What the next requests get, in order (refused modes aside)."""
        with self._lock:
            self._script.extend(steps)

    @property
    def modes(self) -> list[str]:
        """The structured-output mode of every request so far."""
        return [request_mode(body) for body in self.requests]

    def respond(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)
            refusal = self.refuses.get(request_mode(body))
            step = refusal or (self._script.popleft() if self._script else None)
        step = step or self.answer(body)
        match step:
            case Answer():
                _send(handler, 200, _completion(body, step))
            case Status(code=code, message=message, retry_after=retry_after):
                error = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
                _send(handler, code, error, {"Retry-After": retry_after} if retry_after else {})
            case Hang(seconds=seconds):
                self._stopping.wait(seconds)
                handler.close_connection = True
            case Reset():
                handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                handler.connection.close()
                handler.close_connection = True
            case Malformed(body=text):
                _send_raw(handler, 200, text.encode())
            case Truncated():
                whole = json.dumps(_completion(body, Answer({"label": "cut", "score": 0}))).encode()
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(whole)))
                handler.end_headers()
                handler.wfile.write(whole[: len(whole) // 2])
                handler.wfile.flush()
                handler.connection.shutdown(socket.SHUT_RDWR)
                handler.close_connection = True


def _completion(body: dict[str, Any], answer: Answer) -> dict[str, Any]:
    text = answer.content if isinstance(answer.content, str) else json.dumps(answer.content)
    message: dict[str, Any] = {"role": "assistant", "content": text}
    finish_reason = answer.finish_reason
    if request_mode(body) == "tools":
        name = body["tools"][0]["function"]["name"]
        call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish_reason = "tool_calls" if finish_reason == "stop" else finish_reason
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(clock.now().timestamp()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": answer.tokens_in,
            "completion_tokens": answer.tokens_out,
            "total_tokens": answer.tokens_in + answer.tokens_out,
        },
    }


def _send(handler: BaseHTTPRequestHandler, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
    _send_raw(handler, code, json.dumps(payload).encode(), headers)


def _send_raw(handler: BaseHTTPRequestHandler, code: int, data: bytes, headers: dict[str, str] | None = None) -> None:
    handler.send_response(code)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers: the client reuses connections

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path.rstrip("/") != "/v1/chat/completions":
                _send(self, 404, {"error": {"message": f"no route {self.path}"}})
                return
            fake.respond(self, body)

        def finish(self) -> None:
            with suppress(OSError, ValueError):  # the connection was reset or cut on purpose
                super().finish()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving(fake: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """Run `fake` on a free port of 127.0.0.1 until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake._stopping.set()  # hung requests end now
        server.shutdown()
        server.server_close()
        thread.join()
