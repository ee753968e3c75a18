"""`sdr eval`: run the eval suites, record baselines, and gate behaviour changes on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from agent.cli.common import console, plain, workspace
from agent.errors import UserError

if TYPE_CHECKING:
    from evals.runner import SuiteResult


def evaluate(
    ctx: typer.Context,
    suites: list[str] | None = typer.Argument(None, help="Suites to run (all if omitted)."),
    model: list[str] | None = typer.Option(None, "--model", help="provider:model; twice to compare two models."),
    repeats: int = typer.Option(1, min=1, max=10, help="Repeats for nondeterministic backends."),
    record: bool = typer.Option(False, "--record", help="Write the results as the model's baseline."),
    check: bool = typer.Option(False, "--check", help="Exit 1 if anything got worse than the baseline."),
    gate: bool = typer.Option(False, "--gate", help="Only the gated subset of each suite (what CI runs)."),
    case: list[str] | None = typer.Option(None, "--case", help="Only these case ids."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ask the model again instead of replaying answers."),
    baselines: Path = typer.Option(None, help="Baseline folder (default evals/baselines)."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the full report to this file."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="List every failing case."),
) -> None:
    """Measure behaviour on fixed datasets; --record a baseline, --check against it."""
    from agent.llm import build_model
    from agent.llm.cache import AnswerCache
    from evals import baseline as gatekeeper
    from evals.runner import discover, run_suite

    ws = workspace(ctx)
    available = discover()
    names = suites or list(available)
    if unknown := [n for n in names if n not in available]:
        raise UserError(f"unknown suite {unknown[0]!r} (suites: {', '.join(available)})")
    specs = model or [ws.settings.model_spec]
    if (record or check) and len(specs) > 1:
        raise UserError("--record and --check take one model")
    folder = baselines or gatekeeper.BASELINES
    report: dict[str, object] = {}
    columns: dict[str, dict[str, dict[str, float]]] = {}
    failed = False
    for spec in specs:
        handle = build_model(ws.settings, spec)
        cache = None if no_cache else AnswerCache(folder.parent / "cache" / f"{gatekeeper.slug(handle.name)}.jsonl")
        results = []
        for name in names:
            result = run_suite(
                available[name], handle, cache=cache, repeats=repeats, gate=gate, only=set(case) if case else None
            )
            results.append(result)
            columns.setdefault(name, {})[handle.name] = result.metrics
            _print_suite(result, verbose)
        path = gatekeeper.baseline_path(handle.name, folder)
        verdict = gatekeeper.check(results, available, path) if check else None
        if verdict is not None:
            for note in verdict.notes:
                console.print(f"[dim]{note}[/]")
            for problem in verdict.problems:
                console.print(f"[red]worse[/] {problem}", highlight=False)
            console.print("[green]gate passed[/]" if verdict.ok else "[red]gate failed[/]")
            failed = failed or not verdict.ok
        if record:
            gatekeeper.record(results, available, path)
            console.print(f"baseline written: {path}")
        report[handle.name] = {
            r.suite: {
                "metrics": r.metrics,
                "stderr": r.stderr,
                "seconds": r.seconds,
                "cache": {"hits": r.cache_hits, "misses": r.cache_misses},
                "cases": {c.id: c.as_json() for c in r.cases},
            }
            for r in results
        }
    if len(specs) > 1:
        _print_comparison(columns, [build_model(ws.settings, s).name for s in specs])
    if json_out:
        json_out.write_text(json.dumps(report, indent=1))
    if failed:
        raise typer.Exit(1)


def _print_suite(result: SuiteResult, verbose: bool) -> None:
    table = Table(
        "metric",
        "value",
        "± se",
        title=f"{result.suite} on {result.model}: {len(result.cases)} cases, "
        f"{result.repeats} repeat(s), {result.seconds}s, cache {result.cache_hits} hits / "
        f"{result.cache_misses} misses",
        title_justify="left",
    )
    for metric, value in result.metrics.items():
        table.add_row(metric, f"{value:.3f}", f"{result.stderr[metric]:.3f}" if metric in result.stderr else "")
    console.print(table)
    failing = result.failing
    for case in failing if verbose else failing[:5]:
        console.print(f"  [yellow]fail[/] {case.id}: {plain(case.reason[:200])}", highlight=False)
    if len(failing) > 5 and not verbose:
        console.print(f"  ... and {len(failing) - 5} more failing cases (-v lists them)")


def _print_comparison(columns: dict[str, dict[str, dict[str, float]]], models: list[str]) -> None:
    table = Table("suite", "metric", *models, title="side by side", title_justify="left")
    for suite, by_model in columns.items():
        metrics = sorted({m for values in by_model.values() for m in values})
        for metric in metrics:
            table.add_row(suite, metric, *(f"{by_model.get(m, {}).get(metric, float('nan')):.3f}" for m in models))
    console.print(table)
