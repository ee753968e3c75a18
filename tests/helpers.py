"""Builders shared by tests: a small imported workspace, a researched and drafted campaign."""

from __future__ import annotations

import socket
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from agent.accounts.importer import import_file
from agent.pipeline import RunSummary, run_campaign
from agent.store.tables import Account, Contact
from agent.workspace import Workspace
from tests.conftest import EXAMPLES

TODAY = date(2026, 11, 24)
# A Wednesday, 10:00 in Los Angeles and 13:00 in New York: inside every US sending window.
IN_WINDOW = datetime(2026, 11, 25, 18, 0)


def import_demo(ws: Workspace, tmp_path: Path, domains: list[str] | None = None) -> None:
    """The demo accounts and contacts; with `domains`, only those accounts."""
    if domains is None:
        import_file(ws.store, EXAMPLES / "accounts.csv")
        import_file(ws.store, EXAMPLES / "contacts.csv")
        return
    for name in ("accounts.csv", "contacts.csv"):
        lines = (EXAMPLES / name).read_text().splitlines()
        keep = [lines[0]] + [line for line in lines[1:] if any(d in line for d in domains)]
        path = tmp_path / name
        path.write_text("\n".join(keep) + "\n")
        import_file(ws.store, path)


def run_demo(
    ws: Workspace,
    tmp_path: Path,
    domains: list[str] | None = None,
    campaign: Path = EXAMPLES / "campaign.yaml",
) -> RunSummary:
    import_demo(ws, tmp_path, domains)
    return run_campaign(ws, campaign, today=TODAY)


def account(ws: Workspace, domain: str) -> Account:
    with ws.store.transaction() as session:
        row = session.scalar(select(Account).where(Account.domain == domain))
        assert row is not None
        session.expunge(row)
        return row


def contact(ws: Workspace, email: str) -> Contact:
    with ws.store.transaction() as session:
        row = session.scalar(select(Contact).where(Contact.email == email))
        assert row is not None
        session.expunge(row)
        return row


def campaign_variant(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """The demo campaign with text replaced (each `old` must occur)."""
    text = (EXAMPLES / "campaign.yaml").read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "campaign.yaml"
    path.write_text(text)
    return path


HUMAN_REVIEW = ("policy: auto_above_score", "policy: human")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
