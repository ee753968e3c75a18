"""Saved sources: files an operator or a scraper left in `<sources_dir>/<domain>/`.

Markdown and text files may start with YAML front matter (title, kind, url, published_on);
HTML files are turned into text and titled by their <title>.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

from tools.research.base import Company, ResearchSettings, SourceDoc, source_tool

KINDS = {"news", "press_release", "web", "job_post", "notes"}


_STRICT = ParserConfig(css=CSS_PROFILES["strict"].copy())


def html_to_text(html: str) -> str:
    # inscriptis (Apache-2.0) lays the page out as a reader sees it; links and images are left out.
    return get_text(html, _STRICT).strip() if html.strip() else ""


# libyaml's safe loader parses a front matter about ten times faster than the pure-Python one (a burst
# of leads reads a few new files an account).
_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    if text.startswith("---\n"):
        try:
            _, front, body = text.split("---\n", 2)
            meta = yaml.load(front, Loader=_SAFE)
            if isinstance(meta, dict):
                return meta, body
        except (ValueError, yaml.YAMLError):
            pass
    return {}, text


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def read_saved(path: Path) -> SourceDoc | None:
    """The file as a source; a file unchanged since it was last read (its size and modification time)
    is not parsed again: a worker answering a burst of leads researches the same accounts' folders."""
    stat = path.stat()
    return _read_saved(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)  # a few files an account: the accounts of a burst of leads
def _read_saved(path: Path, _mtime_ns: int, _size: int) -> SourceDoc | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in (".html", ".htm"):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        return SourceDoc(
            kind="web",
            title=(title.group(1).strip() if title else path.stem),
            text=html_to_text(text),
            uri=None,
        )
    if path.suffix.lower() not in (".md", ".txt"):
        return None
    meta, body = _front_matter(text)
    kind = str(meta.get("kind", "notes"))
    return SourceDoc(
        kind=kind if kind in KINDS else "notes",
        title=str(meta.get("title") or path.stem.replace("-", " ")),
        text=body.strip(),
        uri=str(meta["url"]) if meta.get("url") else None,
        published_on=_as_date(meta.get("published_on")),
    )


@source_tool("saved")
def saved_sources(account: Company, settings: ResearchSettings) -> list[SourceDoc]:
    folder = settings.sources_dir / account.domain
    if not folder.is_dir():
        return []
    docs = (read_saved(path) for path in sorted(folder.iterdir()) if path.is_file())
    return [doc for doc in docs if doc is not None and doc.text]
