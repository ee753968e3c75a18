"""`sdr users`: the people who sign in to the review desk, and their roles.

A password is never an argument (it would stay in the shell's history): it is asked for, hidden,
or read from the first line of standard input with --password-stdin.
"""

from __future__ import annotations

import sys

import typer

from agent.cli.common import console, plain, print_json, workspace
from agent.desk.tables import Role

app = typer.Typer(help="Desk users: add, list, disable, reset a password.", no_args_is_help=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The name they sign in with (decisions are attributed to it)."),
    role: Role = typer.Option(..., "--role", help="reviewer, ae, operator or admin."),
    email: str | None = typer.Option(None, "--email", help="An AE's address: the handoffs routed to them."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Add a desk user."""
    from agent.desk import users

    user = users.add(workspace(ctx), name, role, _password(password_stdin), email)
    console.print(f"added {plain(user.name)} ({user.role})", highlight=False)


@app.command("list")
def list_(ctx: typer.Context, json_output: bool = typer.Option(False, "--json")) -> None:
    """Every desk user, with role and last sign-in."""
    from agent.desk import users

    views = users.list_users(workspace(ctx))
    if json_output:
        print_json(views)
        return
    if not views:
        console.print("No desk users yet: sdr users add NAME --role reviewer")
    for v in views:
        state = "" if v.active else " [red]disabled[/]"
        seen = v.signed_in_at.strftime("%Y-%m-%d %H:%M UTC") if v.signed_in_at else "never"
        console.print(f"{plain(v.name)} ({v.role}{plain(', ' + v.email) if v.email else ''}){state}; last in: {seen}")


@app.command("disable")
def disable(ctx: typer.Context, name: str) -> None:
    """Stop a user signing in; their open sessions end at once."""
    from agent.desk import users

    users.disable(workspace(ctx), name)
    console.print(f"disabled {plain(name)}", highlight=False)


@app.command("reset")
def reset(
    ctx: typer.Context,
    name: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Set a new password (and enable the user again); sessions signed in before end."""
    from agent.desk import users

    users.reset(workspace(ctx), name, _password(password_stdin))
    console.print(f"reset {plain(name)}'s password", highlight=False)
