"""Measure the reply quote readers against our rules: ours (`agent.replies.quoting`) beside the
well-kept libraries that do the same job. Run on demand, never in the tests:

    pip install mail-parser-reply email-reply-parser   # the libraries compared (not dependencies)
    PYTHONPATH=. .venv/bin/python bench/quote_readers.py

On every plain-text quote-header family, header block and signature family of
tests/replies/test_quoting.py (the prospect's words above our quoted outreach and its unsubscribe
footer), it prints per reader: the share of replies whose new words come out exactly, the share
where our quoted footer leaks into them (a false opt-out waiting to happen), and the median time
per reply.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from agent.replies.quoting import split_reply
from tests.replies.test_quoting import HEADER_BLOCKS, NEW, OURS, QUOTED, SIGNATURES, WROTE_HEADERS

Reader = Callable[[str], str]


def cases() -> list[tuple[str, str, str]]:
    """(family, reply text, the new words expected)."""
    out = [(f"wrote:{k}", f"{NEW}\n\nDana\n\n{h}\n{QUOTED}", f"{NEW}\n\nDana") for k, h in WROTE_HEADERS.items()]
    out += [(f"block:{k}", f"{NEW}\n\n{h}\n\n{OURS}", NEW) for k, h in HEADER_BLOCKS.items()]
    out += [
        (f"signature:{k}", f"{NEW}\n\n{s}\n\n{WROTE_HEADERS['gmail-en']}\n{QUOTED}", NEW) for k, s in SIGNATURES.items()
    ]
    out.append(("bottom-posted", f"{WROTE_HEADERS['gmail-en']}\n{QUOTED}\n\n{NEW}\n\nDana", f"{NEW}\n\nDana"))
    return out


def readers() -> dict[str, Reader]:
    found: dict[str, Reader] = {"ours": lambda text: split_reply(text).new}
    try:
        from mailparser_reply import EmailReplyParser as MultiLanguage

        parser = MultiLanguage(languages=["en", "de", "es", "fr"])
        found["mail-parser-reply"] = lambda text: parser.parse_reply(text=text)
    except ImportError:
        print("mail-parser-reply not installed: skipped")
    try:
        from email_reply_parser import EmailReplyParser as GitHubStyle

        found["email-reply-parser"] = GitHubStyle.parse_reply
    except ImportError:
        print("email-reply-parser not installed: skipped")
    return found


def main() -> None:
    rows = cases()
    print(f"{len(rows)} replies")
    print(f"{'reader':<20} {'exact':>6} {'footer leaked':>14} {'median ms':>10}")
    for name, read in readers().items():
        exact = leaked = 0
        timings = []
        misses = []
        for family, text, expected in rows:
            started = time.perf_counter()
            got = (read(text) or "").strip()
            timings.append(time.perf_counter() - started)
            exact += got == expected
            leaked += "unsubscribe" in got.lower()
            if got != expected:
                misses.append(family)
        print(
            f"{name:<20} {exact / len(rows):>6.3f} {leaked / len(rows):>14.3f} "
            f"{statistics.median(timings) * 1000:>10.3f}"
        )
        if misses:
            print(f"  missed: {', '.join(misses)}")


if __name__ == "__main__":
    main()
