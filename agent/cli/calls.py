"""`sdr calls`: ingest call transcripts, search them, list them, score retrieval on the eval set."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from agent.cli.common import console, errors, plain, print_json, progress_bars, workspace

app = typer.Typer(help="Past calls: the talk tracks, objections and pains that drafts draw on.")


@app.command()
def ingest(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A transcript (.txt, .vtt, .srt, .json) or a folder of them."),
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Add transcripts to the call index. Files already ingested are skipped; bad files are rejected whole."""
    from agent.calls.ingest import ingest as ingest_path

    ws = workspace(ctx)
    with progress_bars(not json_output) as progress:
        report = ingest_path(ws.settings, path, progress=progress)
    if json_output:
        print_json(report.as_dict())
    else:
        console.print(
            f"{report.files} files: {report.calls_added} calls added, {report.calls_replaced} replaced, "
            f"{report.calls_skipped} already ingested; {report.moments_added} moments added, "
            f"{report.moments_skipped} skipped"
        )
        for duplicate in report.duplicates:
            console.print(f"skipped {duplicate}")
    for problem in report.rejected:
        errors.print(f"[red]error[/] {problem} (nothing from this file was ingested)", highlight=False)
    if report.rejected:
        raise typer.Exit(1)


@app.command()
def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="What you want to hear, e.g. 'how do ops leaders describe detention'."),
    industry: str | None = typer.Option(None, help="Only calls in this industry."),
    persona: str | None = typer.Option(None, help="Only calls with this persona, e.g. operations_leader."),
    outcome: str | None = typer.Option(None, help="won, lost or no-decision."),
    segment: str | None = typer.Option(None, help="Only calls in this segment, e.g. mid_market."),
    stage: str | None = typer.Option(None, help="Only calls at this stage, e.g. discovery."),
    k: int = typer.Option(5, min=1, max=50, help="How many snippets at most."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """The call snippets closest to a question, best first (weak matches left out)."""
    from agent.calls.retrieve import find_snippets

    snippets = find_snippets(
        workspace(ctx), query, industry=industry, persona=persona, outcome=outcome, k=k, segment=segment, stage=stage
    )
    if json_output:
        print_json([s.model_dump(mode="json") for s in snippets])
        return
    if not snippets:
        from agent.calls.index import call_index

        empty = call_index(workspace(ctx).settings).count() == 0
        console.print(
            "no calls ingested yet: sdr calls ingest PATH"
            if empty
            else "no call snippet is close enough to that question"
        )
        return
    if snippets[0].relaxed:
        console.print(f"[yellow]nothing matched every filter; dropped: {', '.join(snippets[0].relaxed)}[/]")
    for s in snippets:
        m = s.metadata
        about = " · ".join(str(m[f]) for f in ("account", "industry", "persona", "outcome", "date") if m.get(f))
        console.print(f"[bold]{s.id}[/] {s.similarity:.2f}  {s.call_id}  [dim]{about}[/]", highlight=False)
        console.print(s.text, highlight=False, markup=False)
        console.print()


@app.command("list")
def list_calls(ctx: typer.Context, json_output: bool = typer.Option(False, "--json")) -> None:
    """Ingested calls with their metadata and moment counts."""
    from agent.calls.index import call_index

    moments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for meta in call_index(workspace(ctx).settings).metadatas():
        moments[str(meta.get("call_id"))].append(meta)
    fields = ("account", "industry", "segment", "persona", "stage", "outcome", "date", "source")
    rows: list[dict[str, Any]] = [
        {"call_id": call_id, **{f: metas[0].get(f) for f in fields}, "moments": len(metas)}
        for call_id, metas in sorted(moments.items())
    ]
    if json_output:
        print_json(rows)
        return
    table = Table("call", "account", "industry", "persona", "stage", "outcome", "date", "moments")
    for r in rows:
        table.add_row(
            *(
                str(r[f] or "")
                for f in ("call_id", "account", "industry", "persona", "stage", "outcome", "date", "moments")
            )
        )
    console.print(table)
    console.print(f"{len(rows)} calls, {sum(r['moments'] for r in rows)} moments")


@app.command("eval")
def eval_(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list the cases whose answer was missed."),
    floor: bool = typer.Option(False, "--floor", help="Also show the similarity distribution behind the floor."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Retrieval on the eval set (evals/retrieval): recall@5 and MRR, in a fresh index of examples/calls."""
    from evals.retrieval.suite import evaluate

    result = evaluate(with_floor_report=floor)
    if json_output:
        print_json(result)
        return
    console.print(f"retrieval: {result['cases']} cases, recall@5 {result['recall_at_5']:.3f}, MRR {result['mrr']:.3f}")
    console.print(f"  with filters:    recall@5 {result['recall_at_5_filtered']:.3f}, MRR {result['mrr_filtered']:.3f}")
    console.print(
        f"  without filters: recall@5 {result['recall_at_5_unfiltered']:.3f}, MRR {result['mrr_unfiltered']:.3f}"
    )
    if verbose:
        for miss in result["misses"]:
            console.print(f"[yellow]miss[/] {miss['case']}: {plain(miss['reason'])}", highlight=False)
    if floor:
        report = result["floor"]
        console.print(f"similarity of the first answering moment: {report['answering']}")
        console.print(f"best similarity for off-topic questions: {report['off_topic']}")
        console.print(f"floor in force: {report['floor_in_force']}")
