"""What every command shares: the workspace, the console, JSON output, progress bars."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from agent.accounts.importer import ImportSummary
    from agent.workspace import Workspace

console = Console()


def plain(value: object) -> str:
    """Text from outside (prospects, web pages, imported files) printed as written: rich would
    read "[...]" in it as markup, dropping it or failing on a stray closing tag."""
    return escape(str(value))


errors = Console(stderr=True)


def workspace(ctx: typer.Context) -> Workspace:
    """The command's workspace, opened once (global --workspace and --model apply)."""
    from agent.settings import load_settings
    from agent.workspace import Workspace

    root = ctx.find_root()
    if root.obj is None:
        root.obj = {}
    if "workspace" not in root.obj:
        overrides = {k: v for k, v in root.obj.get("overrides", {}).items() if v is not None}
        root.obj["workspace"] = Workspace(load_settings(**overrides))
    return root.obj["workspace"]


def print_json(data: Any) -> None:
    if isinstance(data, BaseModel):
        text = data.model_dump_json(indent=2)
    elif isinstance(data, list) and data and isinstance(data[0], BaseModel):
        text = json.dumps([d.model_dump(mode="json") for d in data], indent=2)
    else:
        text = json.dumps(data, indent=2, default=str)
    typer.echo(text)


def print_json_line(data: dict[str, Any]) -> None:
    """One JSON object on one line: a `--watch --json` stream that a program reads line by line."""
    typer.echo(json.dumps(data, default=str, separators=(",", ":")))


def moved(old: str, new: str) -> None:
    """A command of the previous release that became part of another: it still works, and says so."""
    errors.print(f"`{old}` is now `{new}`; this alias goes in the next release", highlight=False)


def reviewer_name() -> str:
    return os.environ.get("SDR_REVIEWER") or os.environ.get("USER") or "reviewer"


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[Any]:
    """A `(stage, done, total)` callback drawing one bar per stage."""
    if not enabled:
        yield lambda *_: None
        return
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
    ) as bars:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield update


def print_import(summary: ImportSummary, unit: str = "rows") -> None:
    """One import's counts, and the addresses worth a look before anyone writes to them."""
    console.print(
        f"[green]{plain(summary.file)}[/]: {summary.rows} {unit}; "
        f"accounts {summary.accounts_created} new, {summary.accounts_updated} updated; "
        f"contacts {summary.contacts_created} new, {summary.contacts_updated} updated"
        + (f"; {len(summary.suppressed_skipped)} suppressed, not imported" if summary.suppressed_skipped else "")
    )
    for what, addresses in (
        ("role mailboxes (a shared inbox, not a person)", summary.role_addresses),
        ("throwaway addresses", summary.disposable_addresses),
    ):
        if addresses:
            console.print(f"  [yellow]check[/] {len(addresses)} {what}: " + plain(", ".join(addresses[:5])))
