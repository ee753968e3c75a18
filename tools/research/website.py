"""The company's own website, fetched only when the operator allows the network, and only the
pages its robots.txt lets us read (urllib.robotparser, RFC 9309)."""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from tools.research.base import Company, ResearchSettings, SourceDoc, source_tool
from tools.research.saved import html_to_text

PAGES = ("", "about")
MAX_CHARS = 20_000
USER_AGENT = "sdr-agent-research"
NOTHING = ["User-agent: *", "Disallow: /"]
EVERYTHING: list[str] = []


def robots_rules(client: httpx.Client, base: str) -> RobotFileParser:
    """The site's robots.txt, read as RFC 9309 says: none (404 and other 4xx) allows everything;
    a server error or no answer allows nothing (the site may be down, or refusing us)."""
    parts = urlsplit(base)
    rules = RobotFileParser()
    try:
        response = client.get(f"{parts.scheme}://{parts.netloc}/robots.txt")
    except httpx.HTTPError:
        rules.parse(NOTHING)
        return rules
    if response.status_code >= 500:
        rules.parse(NOTHING)
    elif response.status_code >= 400:
        rules.parse(EVERYTHING)
    else:
        rules.parse(response.text.splitlines())
    return rules


@source_tool("website")
def website(account: Company, settings: ResearchSettings) -> list[SourceDoc]:
    if not settings.allow_network:
        return []
    base = (account.website or f"https://{account.domain}").rstrip("/")
    docs = []
    with httpx.Client(
        timeout=settings.web_timeout_seconds,
        follow_redirects=True,
        headers={"User-Agent": f"{USER_AGENT} (+https://github.com/)"},
    ) as client:
        rules = robots_rules(client, base)
        for page in PAGES:
            url = f"{base}/{page}" if page else base
            if not rules.can_fetch(USER_AGENT, url):
                continue
            try:
                response = client.get(url)
            except httpx.HTTPError:
                continue
            if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
                continue
            text = html_to_text(response.text)[:MAX_CHARS]
            if text:
                docs.append(SourceDoc(kind="website", title=f"{account.name} website: /{page}", text=text, uri=url))
    return docs
