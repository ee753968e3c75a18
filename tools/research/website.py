"""The company's own website, fetched only when the operator allows the network."""

from __future__ import annotations

import httpx

from tools.research.base import Company, ResearchSettings, SourceDoc, source_tool
from tools.research.saved import html_to_text

PAGES = ("", "about")
MAX_CHARS = 20_000


@source_tool("website")
def website(account: Company, settings: ResearchSettings) -> list[SourceDoc]:
    if not settings.allow_network:
        return []
    base = (account.website or f"https://{account.domain}").rstrip("/")
    docs = []
    with httpx.Client(
        timeout=settings.web_timeout_seconds,
        follow_redirects=True,
        headers={"User-Agent": "sdr-agent research (+https://github.com/)"},
    ) as client:
        for page in PAGES:
            url = f"{base}/{page}" if page else base
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
