"""Benchmark: the demo campaign end to end, in a fresh workspace, on the configured model.

Prints wall time per stage, model calls, tokens, and seconds per contact, split into time spent
in the models (the chat model's recorded latency, and the embedding model embedding past calls
and drafting's queries) and our own overhead (everything else: parsing, research rules, scoring, drafting
templates, checks, the store, writing the outbox). Run on demand, never in the test suite:

    python bench/demo_campaign.py                 # the demo as `sdr demo` runs it
    python bench/demo_campaign.py --model-research # also let the model write every account brief
    python bench/demo_campaign.py --repeat 3       # several fresh runs; medians and spread
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from agent import clock
from agent.accounts.importer import import_file
from agent.calls.ingest import ingest
from agent.clock import utcnow
from agent.embeddings import MiniLM
from agent.meetings.admin import seed_calendars
from agent.pipeline import RunSummary, draft, register_campaign, research, score_and_enroll
from agent.sending.schedule import next_business_morning
from agent.sending.sender import send_due
from agent.settings import load_settings
from agent.store.tables import Account, Enrollment, LlmCall
from agent.workspace import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class EmbeddingClock:
    """Time spent inside the embedding model (loading it included): model time, not ours."""

    def __init__(self) -> None:
        self.seconds = 0.0
        original = MiniLM.embed

        def timed(embedder: MiniLM, texts: list[str]):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return original(embedder, texts)
            finally:
                self.seconds += time.perf_counter() - started

        MiniLM.embed = timed  # type: ignore[method-assign]


EMBEDDING = EmbeddingClock()


def run_once(model_research: bool) -> dict[str, float]:
    EMBEDDING.seconds = 0.0
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            workspace=Path(folder),
            sources_dir_setting=EXAMPLES / "sources",
            research_with_model=True if model_research else None,
        )
        stages: dict[str, float] = {}
        started = time.perf_counter()

        def stage(name: str, since: float) -> float:
            now = time.perf_counter()
            stages[name] = now - since
            return now

        ws = Workspace(settings)
        mark = stage("open workspace", started)
        for name in ("accounts.csv", "contacts.csv"):
            import_file(ws.store, EXAMPLES / name)
        mark = stage("import", mark)
        campaign_id, spec = register_campaign(ws, EXAMPLES / "campaign.yaml")
        if spec.meetings is not None:
            seed_calendars(ws, spec.meetings, EXAMPLES / "calendars")
        ingest(ws.settings, EXAMPLES / "calls")
        mark = stage("calendars + calls", mark)
        summary = RunSummary(campaign=spec.name)
        with ws.store.transaction() as session:
            accounts = session.scalars(select(Account.id).where(Account.contacts.any())).all()
        research(ws, accounts, summary)
        mark = stage("research", mark)
        today = clock.today()
        score_and_enroll(ws, campaign_id, spec, summary, today)
        mark = stage("score + enroll", mark)
        draft(ws, campaign_id, spec, summary, today)
        mark = stage("draft + check", mark)
        sent = send_due(ws, now=next_business_morning(utcnow(), spec.sending))
        stage("send", mark)
        wall = time.perf_counter() - started
        with ws.store.transaction() as session:
            calls, tokens_in, tokens_out, model_ms = session.execute(
                select(
                    func.count(LlmCall.id),
                    func.coalesce(func.sum(LlmCall.tokens_in), 0),
                    func.coalesce(func.sum(LlmCall.tokens_out), 0),
                    func.coalesce(func.sum(LlmCall.latency_ms), 0),
                )
            ).one()
            contacts = session.scalar(select(func.count()).select_from(Enrollment)) or 1
            valid = session.scalar(select(func.count(LlmCall.id)).where(LlmCall.outcome.in_(("ok", "repaired"))))
        if summary.errors:
            raise SystemExit(f"the run had errors: {summary.errors[:3]}")
        llm_s = model_ms / 1000
        model_s = llm_s + EMBEDDING.seconds
        return {
            **{f"stage: {k}": v for k, v in stages.items()},
            "wall s": wall,
            "model s": model_s,
            "  of which llm s": llm_s,
            "  of which embedding s": EMBEDDING.seconds,
            "overhead s": wall - model_s,
            "overhead %": 100 * (wall - model_s) / wall,
            "llm calls": calls,
            "  of which valid": valid or 0,
            "tokens in": tokens_in,
            "tokens out": tokens_out,
            "contacts": contacts,
            "wall s / contact": wall / contacts,
            "model s / contact": model_s / contacts,
            "overhead s / contact": (wall - model_s) / contacts,
            "sent": len(sent.sent),
            "drafted sequences": summary.drafted,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="fresh runs (the first also warms file caches)")
    parser.add_argument("--model-research", action="store_true", help="let the model write every account brief")
    args = parser.parse_args()
    model = load_settings().model_spec
    runs = [run_once(args.model_research) for _ in range(args.repeat)]
    print(f"demo campaign on {model}{' with model research' if args.model_research else ''}, {len(runs)} run(s)")
    width = max(len(k) for k in runs[0])
    for key in runs[0]:
        values = [r[key] for r in runs]
        if len(values) == 1:
            print(f"  {key:<{width}}  {values[0]:>10.3f}")
        else:
            print(
                f"  {key:<{width}}  median {statistics.median(values):>9.3f}  "
                f"min {min(values):>9.3f}  max {max(values):>9.3f}"
            )


if __name__ == "__main__":
    main()
