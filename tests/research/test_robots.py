"""The company's website is read only where its robots.txt allows (a real server on 127.0.0.1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from agent.settings import load_settings
from agent.store.tables import Account
from tools.research.website import website

PAGE = b"<html><body><p>Acme Logistics opened a third cross-dock in Reno.</p></body></html>"


@contextmanager
def site(robots: tuple[int, str]) -> Iterator[tuple[str, list[str]]]:
    """A website whose /robots.txt answers `robots` (status, text); yields its URL and the paths asked."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            status, body, kind = (
                (*robots, "text/plain") if self.path == "/robots.txt" else (200, PAGE.decode(), "text/html")
            )
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", asked
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    ("robots", "pages"),
    [
        ((200, "User-agent: *\nDisallow: /about\n"), ["/"]),
        ((200, "User-agent: sdr-agent-research\nDisallow: /\n\nUser-agent: *\nAllow: /\n"), []),
        ((200, "User-agent: *\nAllow: /\n"), ["/", "/about"]),
        ((404, "not found"), ["/", "/about"]),  # no robots.txt: everything may be read
        ((503, "down"), []),  # cannot tell: nothing is read
    ],
)
def test_only_pages_robots_txt_allows_are_fetched(tmp_path: Path, robots: tuple[int, str], pages: list[str]) -> None:
    with site(robots) as (url, asked):
        settings = load_settings(workspace=tmp_path, allow_network=True)
        docs = website(Account(domain="acme.example", name="Acme", website=url), settings)
    assert asked[0] == "/robots.txt" and asked[1:] == pages
    assert [d.uri for d in docs] == [url + ("/" + p.strip("/") if p != "/" else "") for p in pages]


def test_nothing_is_asked_without_the_network(tmp_path: Path) -> None:
    with site((200, "")) as (url, asked):
        assert (
            website(Account(domain="acme.example", name="Acme", website=url), load_settings(workspace=tmp_path)) == []
        )
    assert asked == []
