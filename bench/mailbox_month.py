"""Benchmark: a simulated month of sending from three new mailboxes, one of which bounces.

The demo campaign, with many more contacts (synthetic people at the demo's accounts), sends from
three mailboxes that all start warming up on the first day (10 emails a day, 5 more each day, up
to 40). Every email one of them sends bounces with a chance of 5% (a DSN from the prospect's mail
server, read by the real reply handler an hour later). The real sender runs three rounds a day
(so every US time zone's window is met) with the agent's clock moved day by day. Nothing is mocked;
drafts are approved as a reviewer would.

Prints, per day, what each mailbox sent against its cap, and at the end: when the bouncing mailbox
paused (and what it had sent and bounced by then), what the others sent after that, and the highest
rolling-24-hour count of any mailbox against its cap that day (it must never pass 1.0).

    python bench/mailbox_month.py                # 30 days, 12 contacts per account
    python bench/mailbox_month.py --days 20 --per-account 6
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from sqlalchemy import select

from agent import clock
from agent.accounts.importer import import_file
from agent.campaign import CampaignSpec
from agent.pipeline import run_campaign
from agent.replies.handling import handle
from agent.replies.ingest import parse_message
from agent.replies.model import Intent
from agent.replies.tables import Reply
from agent.sending import health
from agent.sending.sender import send_due
from agent.settings import load_settings
from agent.states import OutboxState
from agent.store.tables import Campaign, OutboxMessage
from agent.workspace import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BOXES = ["maya@lumendock.example", "noah@lumendock.example", "ines@lumendock.example"]
BOUNCING = BOXES[1]
ROUNDS_UTC = (15, 18, 21)  # 9:00, 12:00 and 15:00 in Chicago: every US zone's window is met


def campaign_file(folder: Path, first_day: date) -> Path:
    boxes = "\n".join(
        f"    - {{email: {box}, daily_cap: 40, warmup: {{started_on: {first_day.isoformat()}}}}}" for box in BOXES
    )
    text = (EXAMPLES / "campaign.yaml").read_text()
    text = text.replace("  daily_cap: 40", f"  daily_cap: 40\n  mailboxes:\n{boxes}", 1)
    text = text.replace("policy: auto_above_score", "policy: human", 1)
    path = folder / "campaign.yaml"
    path.write_text(text)
    return path


def contacts_file(folder: Path, per_account: int) -> Path:
    """Synthetic people at the demo's accounts, with the demo contacts' titles and time zones."""
    with (EXAMPLES / "contacts.csv").open(encoding="utf-8") as handle_:
        demo = list(csv.DictReader(handle_))
    by_domain: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in demo:
        by_domain[row["account_domain"]].append(row)
    rows = []
    for domain, people in sorted(by_domain.items()):
        for n in range(per_account):
            model = people[n % len(people)]
            rows.append(
                {
                    **model,
                    "email": f"person{n}.{''.join(c for c in model['last_name'].lower() if c.isalnum())}@{domain}",
                    "first_name": f"{model['first_name']}{n}",
                    "linkedin_url": "",
                    "phone": "",
                }
            )
    path = folder / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(demo[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def approve_everything(ws: Workspace) -> None:
    with ws.store.transaction() as session:
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.pending_review)):
            row.state, row.reviewer = OutboxState.approved, "person:bench"


def bounce(ws: Workspace, message: OutboxMessage, at: datetime) -> None:
    dsn = EmailMessage()
    dsn["From"] = "MAILER-DAEMON@mx.prospect.example"
    dsn["To"] = message.from_address
    dsn["Subject"] = "Undelivered Mail Returned to Sender"
    dsn["Message-ID"] = make_msgid(domain="mx.prospect.example")
    dsn["In-Reply-To"] = message.message_id or ""
    dsn.set_content(
        f"Delivery to the following recipient failed permanently:\n\n    {message.to_address}\n\n"
        "550 5.1.1 The email account that you tried to reach does not exist."
    )
    with clock.using(clock.FixedClock(at)):
        handle(ws, parse_message(dsn), now=at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-account", type=int, default=12)
    parser.add_argument("--bounce-rate", type=float, default=0.05)
    args = parser.parse_args()
    chance = random.Random(5)

    start = clock.today()
    while start.weekday() != 0:  # the month starts on a Monday
        start += timedelta(days=1)
    folder = Path(tempfile.mkdtemp(prefix="mailbox-month-"))
    settings = load_settings(
        workspace=folder / "ws", sources_dir_setting=EXAMPLES / "sources", research_with_model=False
    )
    ws = Workspace(settings)
    started = time.perf_counter()
    with clock.using(clock.FixedClock(datetime.combine(start, datetime.min.time()) + timedelta(hours=12))):
        import_file(ws.store, EXAMPLES / "accounts.csv")
        import_file(ws.store, contacts_file(folder, args.per_account))
        run_campaign(ws, campaign_file(folder, start), today=start)
    approve_everything(ws)
    with ws.store.transaction() as session:
        campaign = session.scalars(select(Campaign)).one()
        campaign_id, spec = campaign.id, CampaignSpec.model_validate(campaign.spec)
        enrolled = session.query(OutboxMessage).filter(OutboxMessage.channel == "email").count()
    setup = time.perf_counter() - started
    print(f"{enrolled} emails in the outbox for {args.days} days from {start} (set up in {setup:.1f} s)")

    sent_at: dict[str, list[datetime]] = defaultdict(list)
    paused_on: dict[str, datetime] = {}
    worst: dict[str, float] = Counter()
    header = "day         " + "  ".join(f"{box.split('@')[0]:>14}" for box in BOXES)
    print(header + "   (sent / cap today; P: paused)")
    for offset in range(args.days):
        day = start + timedelta(days=offset)
        sent_today: Counter[str] = Counter()
        for hour in ROUNDS_UTC:
            now = datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)
            with clock.using(clock.FixedClock(now)):
                summary = send_due(ws, now=now)
            with ws.store.transaction() as session:
                rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(summary.sent))))
                session.expunge_all()
            for row in rows:
                if row.channel != "email":
                    continue
                box = row.from_address
                sent_at[box].append(now)
                sent_today[box] += 1
                last_day = [t for t in sent_at[box] if t > now - timedelta(hours=24)]
                cap = health.cap_today(health.mailbox_of(spec, box), day)
                worst[box] = max(worst[box], len(last_day) / cap)
                if box == BOUNCING and chance.random() < args.bounce_rate:
                    bounce(ws, row, now + timedelta(hours=1))
            with ws.store.transaction() as session:
                for box, pause in health.pauses(session, campaign_id).items():
                    paused_on.setdefault(box or "campaign", pause.paused_at)
        cells = []
        for box in BOXES:
            cap = health.cap_today(health.mailbox_of(spec, box), day)
            mark = " P" if box in paused_on else "  "
            cells.append(f"{sent_today[box]:>5} / {cap:>3}{mark}   ")
        print(f"{day} {day.strftime('%a')}  " + "".join(cells))

    with ws.store.transaction() as session:
        bounced = Counter(
            session.scalar(select(OutboxMessage.from_address).where(OutboxMessage.id == reply.in_reply_to))
            for reply in session.scalars(select(Reply).where(Reply.intent == Intent.bounce))
        )
    print()
    for box in BOXES:
        total = len(sent_at[box])
        line = f"{box}: sent {total}, bounced {bounced[box]}, highest rolling-24h share of cap {worst[box]:.2f}"
        if box in paused_on:
            at = paused_on[box]
            before = sum(1 for t in sent_at[box] if t <= at)
            line += f"; paused {at:%Y-%m-%d %H:%M} after {before} sent, day {(at.date() - start).days + 1}"
        else:
            after = {other: sum(1 for t in sent_at[box] if t > paused_on[other]) for other in paused_on if other != box}
            line += f"; sending on ({', '.join(f'{n} after {o} paused' for o, n in after.items()) or 'nothing paused'})"
        print(line)
    if "campaign" in paused_on:
        print(f"the whole campaign paused at {paused_on['campaign']:%Y-%m-%d %H:%M}")
    print(f"wall {time.perf_counter() - started:.1f} s; workspace {folder}")


if __name__ == "__main__":
    main()
