"""`sdr accounts`, `sdr contacts`, `sdr suppress`: the records, for people and scripts."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select

from agent.cli.common import console, plain, print_json, workspace
from agent.errors import UserError
from agent.store.tables import Account, Contact, Score, Suppression
from agent.suppression import settle_hold
from agent.suppression import suppress as add_suppression

accounts_app = typer.Typer(help="Accounts.")
contacts_app = typer.Typer(help="Contacts.")
suppress_app = typer.Typer(help="The do-not-contact list.")


@accounts_app.command("list")
def list_accounts(ctx: typer.Context, json_output: bool = typer.Option(False, "--json")) -> None:
    """Accounts with their best fit and intent scores."""
    with workspace(ctx).store.transaction() as session:
        rows: list[dict[str, Any]] = []
        for account in session.scalars(select(Account).order_by(Account.name)).all():
            best = session.scalar(
                select(Score)
                .where(Score.account_id == account.id, Score.contact_id.is_(None))
                .order_by(Score.priority.desc())
            )
            rows.append(
                {
                    "id": account.id,
                    "domain": account.domain,
                    "name": account.name,
                    "industry": account.industry,
                    "employees": account.employees,
                    "country": account.country,
                    "contacts": len(account.contacts),
                    "fit": best.fit if best else None,
                    "intent": best.intent if best else None,
                    "reasons": best.reasons if best else [],
                }
            )
    if json_output:
        print_json(rows)
        return
    table = Table("domain", "name", "industry", "employees", "contacts", "fit", "intent")
    for r in rows:
        table.add_row(
            r["domain"],
            r["name"],
            r["industry"] or "",
            str(r["employees"] or ""),
            str(r["contacts"]),
            "" if r["fit"] is None else f"{r['fit']:g}",
            "" if r["intent"] is None else f"{r['intent']:g}",
        )
    console.print(table)


@contacts_app.command("list")
def list_contacts(ctx: typer.Context, json_output: bool = typer.Option(False, "--json")) -> None:
    """Contacts with their stage."""
    with workspace(ctx).store.transaction() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "email": c.email,
                "name": c.full_name,
                "title": c.title,
                "account": c.account.domain,
                "timezone": c.timezone,
                "stage": c.stage,
            }
            for c in session.scalars(select(Contact).order_by(Contact.email)).all()
        ]
    if json_output:
        print_json(rows)
        return
    table = Table("email", "name", "title", "account", "stage")
    for r in rows:
        table.add_row(r["email"], r["name"], r["title"] or "", r["account"], r["stage"])
    console.print(table)


@suppress_app.command("add")
def add(
    ctx: typer.Context,
    value: str = typer.Argument(..., help="An address (a@b.com) or a whole domain (@b.com)."),
    reason: str = typer.Option("manual", help="unsubscribe, bounce, complaint, manual or erasure."),
) -> None:
    """Never write to this address or domain again (stops its sequences now)."""
    with workspace(ctx).store.transaction() as session:
        added = add_suppression(session, value, reason, source="cli")
    console.print(f"{value}: " + ("suppressed" if added else "already suppressed"))


@suppress_app.command("release")
def release(
    ctx: typer.Context,
    address: str = typer.Argument(..., help="A held address (an opt-out in doubt)."),
) -> None:
    """A hold read by a person as no opt-out: the address may be written to again. (`sdr suppress add
    ADDRESS --reason unsubscribe` confirms a hold instead; a reply's hold is settled with `sdr replies
    decide`, which also acts on the reply.)"""
    with workspace(ctx).store.transaction() as session:
        if not settle_hold(session, address, opted_out=False, source="cli"):
            raise UserError(f"{address}: not held (`sdr suppress list` shows what is held and what is suppressed)")
    console.print(f"{address}: released")


@suppress_app.command("list")
def list_suppressions(ctx: typer.Context, json_output: bool = typer.Option(False, "--json")) -> None:
    """The do-not-contact list."""
    with workspace(ctx).store.transaction() as session:
        rows = [
            {"value": s.value, "reason": s.reason, "source": s.source, "at": s.created_at.isoformat()}
            for s in session.scalars(select(Suppression).order_by(Suppression.id)).all()
        ]
    if json_output:
        print_json(rows)
        return
    for r in rows:
        console.print(plain(f"{r['value']}  {r['reason']}  {r['at']}"))
