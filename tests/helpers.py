"""Builders shared by tests: a small imported workspace, a researched and drafted campaign."""

from __future__ import annotations

import csv
import email
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from email import policy
from pathlib import Path
from typing import Any

from sqlalchemy import select

from agent.accounts.importer import import_file
from agent.pipeline import RunSummary, run_campaign
from agent.public_holidays import PublicHolidays, public_holidays
from agent.store.tables import Account, Contact, OutboxMessage
from agent.workspace import Workspace
from tests.conftest import EXAMPLES, SUITE_NOW
from tests.ports import free_port


def _demo_holidays() -> list[PublicHolidays]:
    """The public holidays of every place the demo's accounts are in, and of its campaign's time zone."""
    with (EXAMPLES / "accounts.csv").open(encoding="utf-8") as accounts:
        places = {(row["country"], row["region"]) for row in csv.DictReader(accounts)}
    return [public_holidays(None, timezone="America/Chicago")] + [public_holidays(*place) for place in sorted(places)]


def _working_everywhere(day: date) -> bool:
    return day.weekday() < 5 and all(holidays.on(day) is None for holidays in _demo_holidays())


def _sending_day_at_18_utc(after: date) -> datetime:
    """18:00 UTC on the first day after `after` that is a working day for every demo prospect and
    is followed by another (no weekend, no public holiday where any of them is), so that "a day
    later" is a sending day too."""
    day = after + timedelta(days=1)
    while not (_working_everywhere(day) and _working_everywhere(day + timedelta(days=1))):
        day += timedelta(days=1)
    return datetime.combine(day, time(18, 0))


TODAY = SUITE_NOW.date()
# The day the demo's research sources describe: their trigger events are fresh as of this day.
DEMO_DAY = date(2026, 11, 24)
# 10:00 in Los Angeles and 13:00 in New York (an hour later in summer) on a sending day after the
# suite's "now": inside every US sending window, after anything scheduled "now" (naive UTC, as stored).
IN_WINDOW = _sending_day_at_18_utc(TODAY)


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
    return run_campaign(ws, campaign, today=DEMO_DAY)


def account(ws: Workspace, domain: str) -> Account:
    with ws.store.transaction() as session:
        row = session.scalar(select(Account).where(Account.domain == domain))
        assert row is not None
        session.expunge(row)
        return row


def outbox_rows(ws: Workspace, *where: Any) -> list[OutboxMessage]:
    """Outbox messages (detached), oldest first; `where`: SQLAlchemy conditions on OutboxMessage."""
    with ws.store.transaction() as session:
        rows = list(session.scalars(select(OutboxMessage).where(*where).order_by(OutboxMessage.id)))
        session.expunge_all()
        return rows


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
UNSUBSCRIBE_SECRET = "an-unsubscribe-secret-for-the-tests"


class Mailbox:
    """An SMTP server's handler (aiosmtpd): what it received; `reply` is its answer to each message."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.reply = reply
        self.received: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.reply.startswith("250"):
            self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return self.reply


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) for the length of the block."""
    from aiosmtpd.controller import Controller

    mailbox, port = Mailbox(), port or free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
