"""Replies classified per second, and p50/p95 latency per tier, on the eval set's replies.

    .venv/bin/python bench/replies.py [--llm-samples N] [--workspace DIR]

Tiers are timed on their own: the rules on every reply; the classifier on every reply the
rules leave (one at a time, as the inbound server sees them, and as one batch); the model on N
of those (it is the slow tier: the default embedded model takes seconds a reply). Then the
whole pipeline as configured, with the share of replies each tier decided.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.llm import LLM, build_model
from agent.replies import rules
from agent.replies.classifier import load_classifier
from agent.replies.classify import ReplyReader
from agent.replies.extract import BANT, ask_model
from agent.replies.ingest import from_fields
from agent.settings import load_settings

CASES = Path(__file__).resolve().parents[1] / "evals" / "replies" / "cases.jsonl"


def _ms(samples: list[float]) -> str:
    if not samples:
        return "n/a"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:8.2f} ms  p95 {p95 * 1000:8.2f} ms  n={len(samples)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llm-samples", type=int, default=5)
    parser.add_argument("--workspace", type=Path, default=None)
    args = parser.parse_args()
    settings = load_settings(**({"workspace": args.workspace} if args.workspace else {}))
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    replies = [
        from_fields(
            text=c.get("text"), html=c.get("html"), subject=c["subject"], sender=c["from"], headers=c.get("headers")
        )
        for c in cases
    ]

    started = time.perf_counter()
    rule_times, undecided = [], []
    for reply in replies:
        t = time.perf_counter()
        verdict = rules.decide(reply)
        rule_times.append(time.perf_counter() - t)
        if verdict.intent is None:
            undecided.append(rules.without_injections(reply.visible, verdict.injected))
    print(f"rules       {_ms(rule_times)}  ({len(replies) - len(undecided)}/{len(replies)} decided)")

    classifier = load_classifier(settings.models_dir)
    classifier.classify_one("warm-up")
    one_times = []
    for text in undecided:
        t = time.perf_counter()
        classifier.classify_one(text)
        one_times.append(time.perf_counter() - t)
    t = time.perf_counter()
    classifier.classify(undecided)
    batch = time.perf_counter() - t
    print(f"classifier  {_ms(one_times)}  batch of {len(undecided)}: {len(undecided) / batch:.0f} replies/s")

    llm = LLM(build_model(settings))
    model_times = []
    for text in undecided[: args.llm_samples]:
        t = time.perf_counter()
        try:
            ask_model(llm, subject="", text=text, fields=BANT, intents=None, max_tokens=48)
        except Exception as exc:
            print(f"  model call failed: {exc}"[:120])
        model_times.append(time.perf_counter() - t)
    print(f"model       {_ms(model_times)}  ({llm.name}, BANT quotes)")

    reader = ReplyReader(classifier, None, "no_llm")
    t = time.perf_counter()
    decided = Counter(
        reader.read(r, received_at=datetime.fromisoformat(c["received_at"])).decided_by
        for r, c in zip(replies, cases, strict=True)
    )
    whole = time.perf_counter() - t
    print(
        f"pipeline without the model: {len(replies) / whole:.0f} replies/s; decided by "
        + ", ".join(f"{k} {v}" for k, v in sorted(decided.items()))
        + f"; total bench time {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
