"""`sdr replies`: ingest and classify replies, act on them, run the eval (their answers are in `sdr review`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from agent.cli.common import console, errors, moved, plain, print_json, reviewer_name, workspace
from agent.errors import InputError

app = typer.Typer(help="Replies: ingest, classify, act (answers to them wait in `sdr review`).", no_args_is_help=True)


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="An .eml file, a folder of them, an mbox or a maildir."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Read every reply in PATH, record what it says and act on it (suppress, pause, draft, ...)."""
    from agent.replies.handling import ingest_path

    ws = workspace(ctx)
    rows = []
    for handled in ingest_path(ws, path):
        rows.append(handled.__dict__)
        if not json_output:
            flags = plain(f" [{', '.join(handled.flags)}]") if handled.flags else ""
            dup = " (seen before)" if handled.duplicate else ""
            console.print(
                f"#{handled.reply_id} {plain(handled.contact or 'unmatched')}: [bold]{handled.intent}[/] "
                f"by {handled.decided_by}{flags}{dup}; " + plain("; ".join(handled.actions)),
                highlight=False,
            )
    if json_output:
        print_json(rows)


def _print_handled(handled: Any) -> None:
    flags = plain(f" [{', '.join(handled.flags)}]") if handled.flags else ""
    drafted = f"; drafted #{handled.response_id} (sdr review)" if handled.response_id else ""
    console.print(
        f"#{handled.reply_id} {plain(handled.contact or 'unmatched')}: [bold]{handled.intent}[/] "
        f"by {handled.decided_by}{flags}; " + plain("; ".join(handled.actions)) + drafted,
        highlight=False,
    )


def _pass_line(done: Any) -> str:
    return f"read {done.read}, handled {len(done.handled)}, seen before {done.already_seen}" + (
        f", filed {done.filed}" if done.filed else ""
    )


@app.command("fetch")
def fetch(ctx: typer.Context, json_output: bool = typer.Option(False, "--json")) -> None:
    """Read the IMAP mailbox (SDR_IMAP_*) once: each new reply handled once, nothing deleted."""
    from agent.replies.imap_inbox import ImapAccount
    from agent.replies.mailbox_sync import RETRYABLE, fetch_once
    from tools.mail import TransportUnavailable

    ws = workspace(ctx)
    account = ImapAccount.from_settings(ws.settings)
    try:
        done = fetch_once(ws, account)
    except RETRYABLE as exc:
        raise TransportUnavailable(f"reading {account.name} failed: {exc}; nothing was lost, run it again") from exc
    if json_output:
        print_json({**done.__dict__, "handled": [h.__dict__ for h in done.handled]})
        return
    for handled in done.handled:
        _print_handled(handled)
    console.print(_pass_line(done))


@app.command("watch")
def watch(
    ctx: typer.Context,
    poll: float | None = typer.Option(None, help="Seconds between passes (default: SDR_IMAP_POLL_SECONDS)."),
) -> None:
    """Read the IMAP mailbox again and again until stopped (Ctrl-C); a lost connection is tried again."""
    import threading

    from agent.replies.imap_inbox import ImapAccount
    from agent.replies.mailbox_sync import watch as watch_mailbox

    ws = workspace(ctx)
    account = ImapAccount.from_settings(ws.settings)
    console.print(f"watching {plain(account.name)} ({account.security}); Ctrl-C stops", highlight=False)

    def on_pass(done: Any) -> None:
        for handled in done.handled:
            _print_handled(handled)
        if done.read:
            console.print(_pass_line(done))

    def on_retry(exc: Exception, pause: float) -> None:
        errors.print(f"{account.name}: {exc}; trying again in {pause:.0f}s")

    watch_mailbox(
        ws,
        account,
        poll_seconds=poll or ws.settings.imap_poll_seconds,
        stop=threading.Event(),
        on_pass=on_pass,
        on_retry=on_retry,
    )


def _line(number: int, line: str, file: Path) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=file, line=number) from exc
    if not isinstance(row, dict):
        raise InputError("each line is a JSON object", file=file, line=number)
    for name in ("id", "text"):
        if name not in row:
            raise InputError("missing", file=file, line=number, field=name)
    if not isinstance(row["text"], str):
        raise InputError("must be a string", file=file, line=number, field="text")
    return row


@app.command("classify")
def classify(
    ctx: typer.Context,
    jsonl: Path = typer.Option(
        ...,
        "--jsonl",
        help="One JSON object a line: id, text, optional subject, from, "
        "headers, html, received_at, timezone. '-' reads stdin.",
    ),
    no_llm: bool = typer.Option(False, "--no-llm", help="Rules and classifier only: no model calls."),
) -> None:
    """Classify replies from a file, one JSON line out per line in; needs no campaign and no store."""
    from datetime import datetime

    from agent.llm import LLM, build_model
    from agent.replies.classify import ReplyReader
    from agent.replies.ingest import from_fields
    from agent.settings import load_settings

    overrides = {k: v for k, v in (ctx.find_root().obj or {}).get("overrides", {}).items() if v is not None}
    settings = load_settings(**overrides)
    if str(jsonl) == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = jsonl.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError as exc:
            raise InputError("no such file", file=jsonl) from exc
    rows = [_line(n, line, jsonl) for n, line in enumerate(lines, 1) if line.strip()]
    llm = None if no_llm else LLM(build_model(settings), repair_attempts=settings.llm_repair_attempts)
    reader = ReplyReader.for_workspace(settings.models_dir, llm, "tiers" if llm else "no_llm")
    for row in rows:
        reply = from_fields(
            text=row["text"],
            html=row.get("html"),
            subject=row.get("subject", ""),
            sender=row.get("from", ""),
            headers=row.get("headers"),
        )
        received = datetime.fromisoformat(row["received_at"]) if row.get("received_at") else None
        analysis = reader.read(reply, timezone=row.get("timezone"), received_at=received)
        dumped = analysis.model_dump(mode="json")
        typer.echo(
            json.dumps(
                {
                    "id": row["id"],
                    "intent": dumped["intent"],
                    "fields": {
                        **dumped["fields"],
                        "return_date": dumped["return_date"],
                        "nurture_date": dumped["nurture_date"],
                        "meeting_times": dumped["meeting_times"],
                        "referral": dumped["referral"],
                    },
                    "flags": dumped["flags"],
                    "confidence": dumped["confidence"],
                    "decided_by": dumped["decided_by"],
                    "language": dumped["language"],
                    "summary": dumped["summary"],
                },
                ensure_ascii=False,
            )
        )


@app.command("list")
def list_replies(
    ctx: typer.Context,
    review: bool = typer.Option(False, "--review", help="Only those flagged for a person."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Replies received, newest first, with what was decided and done."""
    from sqlalchemy import select

    from agent.replies.tables import Reply

    with workspace(ctx).store.transaction() as session:
        query = select(Reply).order_by(Reply.received_at.desc())
        if review:
            query = query.where(Reply.needs_review.is_(True))
        rows = [
            {
                "id": r.id,
                "from": r.from_address,
                "contact_id": r.contact_id,
                "intent": r.intent,
                "decided_by": r.decided_by,
                "confidence": r.confidence,
                "flags": r.analysis.get("flags", []),
                "summary": r.analysis.get("summary", ""),
                "actions": r.actions,
                "received_at": r.received_at,
            }
            for r in session.scalars(query)
        ]
    if json_output:
        print_json(rows)
        return
    for r in rows:
        # Prospects' words are printed as they are, never read as markup.
        flags = plain(f" [{', '.join(r['flags'])}]") if r["flags"] else ""
        console.print(
            f"#{r['id']} {plain(r['from'])}: [bold]{r['intent']}[/] ({r['decided_by']}, {r['confidence']:.2f})"
            f"{flags} {plain(r['summary'])}",
            highlight=False,
        )


@app.command("decide")
def decide(
    ctx: typer.Context,
    reply_id: int = typer.Argument(..., help="A reply waiting for a person (`sdr replies list --review`)."),
    intent: str = typer.Argument(..., help="What the reply says: interested, question, unsubscribe, ..."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Settle a reply the agent was unsure of: your reading replaces its own and it acts on yours
    (a held opt-out is confirmed by `unsubscribe`, released by anything else)."""
    from agent.errors import UserError
    from agent.replies.handling import decide as decide_reply
    from agent.replies.model import Intent

    if intent not in Intent.__members__:
        raise UserError(f"intent {intent!r}: one of {', '.join(Intent)}")
    handled = decide_reply(workspace(ctx), reply_id, Intent(intent), by=reviewer_name())
    if json_output:
        print_json(handled.__dict__)
    else:
        _print_handled(handled)


@app.command("responses", hidden=True)
def list_responses(ctx: typer.Context, json_output: bool = typer.Option(False, "--json")) -> None:
    """Answers to replies awaiting review (now `sdr review --kind reply_answer`)."""
    from agent.cli.review import list_
    from agent.states import Origin

    moved("sdr replies responses", "sdr review list --kind reply_answer")
    list_(ctx, campaign=None, kind=[Origin.reply_answer], state=None, limit=None, json_output=json_output)


@app.command("approve", hidden=True)
def approve(ctx: typer.Context, outbox_ids: list[int] = typer.Argument(...)) -> None:
    """Approve answers (now `sdr review approve`)."""
    from agent.cli.review import approve as approve_messages

    moved("sdr replies approve", "sdr review approve")
    approve_messages(ctx, outbox_ids, campaign=None, kind=None, min_priority=None)


@app.command("send", hidden=True)
def send(ctx: typer.Context) -> None:
    """Send approved answers (now `sdr send`, which sends everything due)."""
    from agent.cli.send import send as send_due

    moved("sdr replies send", "sdr send")
    send_due(ctx, campaign=None, limit=None, watch=False, interval=60.0, as_of=None, json_output=False)


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    llm_only: bool = typer.Option(False, "--llm-only", help="The configured model alone, no rules or classifier."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Rules and classifier only, no model calls."),
    limit: int | None = typer.Option(None, help="Only the first N cases."),
    out: Path | None = typer.Option(None, "--out", help="Also write each case's reading here (JSONL), as it goes."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Run the reply eval set: per-intent precision and recall, field accuracy, opt-out recall, tier shares."""
    from evals.replies.suite import LLM_ONLY, NO_LLM, SUITE

    suite = LLM_ONLY if llm_only else NO_LLM if no_llm else SUITE
    ws = workspace(ctx)
    cases = suite.cases()[:limit]
    outcomes = []
    sink = out.open("w", encoding="utf-8") if out else None
    for index, case in enumerate(cases, 1):
        outcomes.append(suite.run_case(case, ws))
        if sink:
            sink.write(
                json.dumps(
                    {
                        "id": case["id"],
                        "output": outcomes[-1].output,
                        "scores": {s.name: s.value for s in outcomes[-1].scores},
                    }
                )
                + "\n"
            )
            sink.flush()
        errors.print(f"\r{index}/{len(cases)}", end="")
    errors.print("")
    figures = suite.metrics(cases, outcomes)
    failed_safety = [f"{o.case_id}: {s.name}" for o in outcomes for s in o.scores if s.safety and s.value < 1]
    if json_output:
        print_json(
            {
                "suite": suite.name,
                "model": ws.llm.name,
                "cases": len(cases),
                "metrics": figures,
                "safety_failures": failed_safety,
            }
        )
        return
    _print_figures(suite.name, ws.llm.name, len(cases), figures, failed_safety)


def _print_figures(name: str, model: str, cases: int, figures: dict[str, float], failed: list[str]) -> None:
    from rich.table import Table

    from agent.replies.model import Intent

    table = Table("intent", "precision", "recall", title=f"{name} on {model}, {cases} cases")
    for intent in Intent:
        table.add_row(str(intent), f"{figures[f'precision.{intent}']:.2f}", f"{figures[f'recall.{intent}']:.2f}")
    console.print(table)
    for key in (
        "intent_accuracy",
        "intent_macro_f1",
        "field_accuracy",
        "opt_out",
        "injection_resistance",
        "no_invented_fields",
        "needs_review_share",
        "decided_by.rule",
        "decided_by.classifier",
        "decided_by.llm",
    ):
        console.print(f"{key:<22} {figures.get(key, 0):.3f}")
    for key in sorted(k for k in figures if k.startswith("field.")):
        console.print(f"  {key:<20} {figures[key]:.3f}")
    console.print("safety: " + ("held on every case" if not failed else "FAILED on " + ", ".join(failed)))
