"""The server's memory under 1 GB request bodies: `sdr serve` on 127.0.0.1 (SQLite, its own worker)
gets POSTs of 1 GB to /leads and /messages, each generated 1 MiB at a time (never whole in the
client), with a declared length or chunked, unsigned, badly signed or correctly signed, one after
another and then several at once. The body goes out until the server answers.

Prints, per request: the status, how much of the body went out before the answer, and the
server's resident memory (psutil) before, at its highest during, and after.

    .venv/bin/python bench/big_bodies.py
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import selectors
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
from load import SECRET, environment, prepare, serve  # bench/ is the script's folder

from agent import clock
from agent.server.signatures import HEADER

PORT = 18095
GIB = 1 << 30
PIECE = b"x" * (1 << 20)
MIB = 1 << 20


def pieces(total: int) -> Iterator[bytes]:
    """The body, 1 MiB at a time: the same bytes every time it is generated."""
    for start in range(0, total, len(PIECE)):
        yield PIECE[: min(len(PIECE), total - start)]


def signature(total: int) -> str:
    """Our header for the whole body, computed as it is generated (a first pass over it)."""
    at = int(clock.now().timestamp())
    digest = hmac.new(SECRET.encode(), f"{at}.".encode(), hashlib.sha256)
    for piece in pieces(total):
        digest.update(piece)
    return f"t={at},v1={digest.hexdigest()}"


@dataclass
class Outcome:
    status: str
    sent: int
    seconds: float


def post(path: str, total: int, *, chunked: bool, headers: dict[str, str]) -> Outcome:
    """POST `total` bytes, stopping as soon as the server answers; the status line it gave."""
    started = time.perf_counter()
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/octet-stream"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    sock = socket.create_connection(("127.0.0.1", PORT))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sock.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    body = pieces(total)
    pending, sent, answer = b"", 0, b""
    try:
        while b"\r\n" not in answer:
            events = selector.select(timeout=30)
            if not events:
                return Outcome("timeout", sent, time.perf_counter() - started)
            mask = events[0][1]
            if mask & selectors.EVENT_READ:
                received = sock.recv(4096)
                if not received:
                    return Outcome("closed", sent, time.perf_counter() - started)
                answer += received
                continue
            if not pending:
                piece = next(body, None)
                if piece is None:
                    pending = b"0\r\n\r\n" if chunked else b""
                    selector.modify(sock, selectors.EVENT_READ)
                else:
                    pending = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
                    sent += len(piece)
            if pending:
                pending = pending[sock.send(pending) :]
    except (ConnectionResetError, BrokenPipeError):
        return Outcome("reset", sent, time.perf_counter() - started)
    finally:
        selector.close()
        sock.close()
    return Outcome(answer.split(b"\r\n", 1)[0].decode(errors="replace"), sent, time.perf_counter() - started)


class Sampler:
    """The server's resident memory, every 20 ms while running."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.highest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return int(self.process.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.highest = max(self.highest, self.rss())
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=1.0, help="size of each body")
    parser.add_argument("--together", type=int, default=8, help="bodies sent at once in the last round")
    args = parser.parse_args()
    total = int(args.gib * GIB)
    stale = f"t={int(clock.now().timestamp()) - 3600},v1={'0' * 64}"
    forged = f"t={int(clock.now().timestamp())},v1={'0' * 64}"
    with tempfile.TemporaryDirectory(prefix="sdr-bench-bodies-") as folder:
        ws = prepare(Path(folder), None)
        server = serve(environment(ws), PORT, worker=True)
        try:
            time.sleep(2)  # the worker's start (its reader) settles
            cases = [
                ("/leads", False, {}, "length declared, unsigned"),
                ("/leads", True, {}, "chunked, unsigned"),
                ("/leads", True, {HEADER: stale}, "chunked, stale signature"),
                ("/messages", True, {HEADER: forged}, "chunked, forged signature"),
                ("/messages", False, {HEADER: forged}, "length declared, forged signature"),
                ("/messages", True, {HEADER: signature(total)}, "chunked, correctly signed"),
            ]
            sampler = Sampler(server.pid)
            print(f"server RSS at rest: {sampler.rss() / MIB:.0f} MiB; bodies of {total / MIB:.0f} MiB")
            for path, chunked, headers, label in cases:
                before = sampler.rss()
                with Sampler(server.pid) as during:
                    outcome = post(path, total, chunked=chunked, headers=headers)
                time.sleep(0.5)
                print(
                    f"  {path:<10} {label:<34} {outcome.status:<32} sent {outcome.sent / MIB:7.1f} MiB "
                    f"in {outcome.seconds:5.2f} s; RSS {before / MIB:.0f} -> {during.highest / MIB:.0f} "
                    f"-> {sampler.rss() / MIB:.0f} MiB",
                    flush=True,
                )
            before = sampler.rss()
            together = [cases[i % len(cases)] for i in range(args.together)]
            with Sampler(server.pid) as during, ThreadPoolExecutor(len(together)) as pool:
                outcomes = list(pool.map(lambda c: post(c[0], total, chunked=c[1], headers=c[2]), together))
            time.sleep(0.5)
            print(
                f"  {len(together)} at once: {[o.status.split(' ', 1)[-1] for o in outcomes]}, sent "
                f"{sum(o.sent for o in outcomes) / MIB:.1f} MiB in all; RSS {before / MIB:.0f} -> "
                f"{during.highest / MIB:.0f} -> {sampler.rss() / MIB:.0f} MiB"
            )
        finally:
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
