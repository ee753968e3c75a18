"""The `sdr` application: commands wired together, and user errors printed as one line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from agent import clock
from agent.cli import (
    calls,
    crm,
    evals,
    handoffs,
    inbound,
    mailboxes,
    meetings,
    outbound,
    people,
    records,
    replies,
    report,
    review,
    send,
    users,
)
from agent.cli.common import errors, plain
from agent.cli.demo import demo
from agent.cli.serve import serve, worker
from agent.errors import InputRejected, SdrError, UserError

app = typer.Typer(
    help="sdr: an AI sales-development agent, with people in control.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Path | None = typer.Option(None, envvar="SDR_WORKSPACE", help="Workspace folder (store, outbox)."),
    model: str | None = typer.Option(None, envvar="SDR_MODEL", help="provider:model, e.g. local:smollm2."),
) -> None:
    clock.current()  # a bad SDR_CLOCK stops here, before any work
    ctx.obj = {"overrides": {"workspace": workspace, "model": model}}


app.command("import")(outbound.import_)
app.command()(outbound.run)
app.command()(outbound.status)
app.command()(demo)
app.command("eval")(evals.evaluate)
app.add_typer(review.app, name="review")
app.add_typer(send.app, name="send")
app.add_typer(mailboxes.app, name="mailboxes")
app.add_typer(records.accounts_app, name="accounts")
app.add_typer(records.contacts_app, name="contacts")
app.add_typer(records.suppress_app, name="suppress")
app.add_typer(replies.app, name="replies")
app.add_typer(handoffs.app, name="handoffs")
app.add_typer(meetings.app, name="meetings")
app.add_typer(calls.app, name="calls")
app.add_typer(inbound.app, name="inbound")
app.add_typer(people.app, name="people")
app.add_typer(users.app, name="users")
app.add_typer(crm.app, name="crm")
app.command()(report.report)
app.command()(serve)
app.command()(worker)


def main() -> None:
    try:
        # Without standalone mode click returns (does not raise) a command's exit code.
        code = app(standalone_mode=False, prog_name="sdr")
        if isinstance(code, int) and code:
            sys.exit(code)
    except InputRejected as exc:
        for problem in exc.problems:
            errors.print(f"[red]error[/] {plain(str(problem))}", highlight=False)
        errors.print(plain(f"{exc.file}: {exc.what}"), highlight=False)
        sys.exit(1)
    except UserError as exc:
        errors.print(f"[red]error[/] {plain(str(exc))}", highlight=False)
        sys.exit(1)
    except SdrError as exc:
        errors.print(f"[red]failed[/] {plain(str(exc))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        errors.print("interrupted; run the same command again to resume")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except typer.TyperException as exc:
        # A usage mistake (a missing argument, an unknown option or command): the usage line and
        # the one-line error, as typer prints them in standalone mode. Typer raises its own copy of
        # click's exceptions, all below TyperException; each of them can show itself.
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
