"""A campaign's results as the dashboard plots them. The funnel, show rate and per-lead model use
are `agent.status`'s figures (the same as `sdr status --json`); the series beside them (replies by
intent per week, rates by step and by segment, speed-to-lead) are counted with its definitions."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel
from sqlalchemy import select

from agent.inbound.tables import LeadRecord
from agent.replies.tables import Reply
from agent.states import Origin, OutboxState
from agent.status import NOT_ANSWERS, POSITIVE, CampaignStatus, campaign_status
from agent.store.tables import Account, Campaign, Contact, OutboxMessage
from agent.workspace import Workspace

# Speed-to-lead buckets: seconds up to which a first answer counts in each.
SPEED_BUCKETS = (("< 1 min", 60), ("1-5 min", 300), ("5-30 min", 1800), ("30-60 min", 3600), ("1-24 h", 86400))


class RateRow(BaseModel):
    name: str
    contacted: int
    replied: int
    positive: int
    reply_rate: float | None
    positive_rate: float | None


class CampaignResults(BaseModel):
    status: CampaignStatus
    replies_by_week: list[tuple[str, dict[str, int]]]  # (ISO week, intent -> replies)
    by_step: list[RateRow]
    by_segment: list[RateRow]  # by the account's industry
    speed_to_lead: list[tuple[str, int]]  # (bucket, leads)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _row(name: str, contacted: set[int], replies: dict[int, set[str]]) -> RateRow:
    replied = {c for c in contacted if replies.get(c, set()) - set(NOT_ANSWERS)}
    positive = {c for c in contacted if replies.get(c, set()) & set(POSITIVE)}
    return RateRow(
        name=name,
        contacted=len(contacted),
        replied=len(replied),
        positive=len(positive),
        reply_rate=_rate(len(replied), len(contacted)),
        positive_rate=_rate(len(positive), len(contacted)),
    )


def campaign_results(ws: Workspace, name: str) -> CampaignResults | None:
    found = campaign_status(ws, name).campaigns
    if not found:
        return None
    with ws.store.transaction() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.name == name))
        reply_rows = session.execute(
            select(Reply.contact_id, Reply.intent, Reply.received_at, Reply.in_reply_to).where(
                Reply.campaign_id == campaign_id
            )
        ).all()
        sent_steps = session.execute(
            select(OutboxMessage.id, OutboxMessage.contact_id, OutboxMessage.step_number, Account.industry)
            .join(Contact, Contact.id == OutboxMessage.contact_id)
            .join(Account, Account.id == Contact.account_id)
            .where(
                OutboxMessage.campaign_id == campaign_id,
                OutboxMessage.origin == Origin.sequence_step,
                OutboxMessage.state == OutboxState.sent,
            )
        ).all()
        speeds = session.scalars(
            select(LeadRecord.speed_to_lead_seconds).where(
                LeadRecord.campaign_id == campaign_id, LeadRecord.speed_to_lead_seconds.is_not(None)
            )
        ).all()
    weeks: dict[str, Counter[str]] = {}
    replies: dict[int, set[str]] = {}
    replies_to_step: dict[int, dict[int, set[str]]] = {}  # step -> contact -> intents answering it
    step_of = {outbox_id: step or 0 for outbox_id, _, step, _ in sent_steps}
    for contact_id, intent, received_at, in_reply_to in reply_rows:
        year, week, _ = received_at.isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", Counter())[intent] += 1
        if contact_id is not None:
            replies.setdefault(contact_id, set()).add(intent)
            if in_reply_to in step_of:
                replies_to_step.setdefault(step_of[in_reply_to], {}).setdefault(contact_id, set()).add(intent)
    by_step: dict[int, set[int]] = {}
    by_segment: dict[str, set[int]] = {}
    for outbox_id, contact_id, _, industry in sent_steps:
        if contact_id is not None:  # a sequence step always has its contact
            by_step.setdefault(step_of[outbox_id], set()).add(contact_id)
            by_segment.setdefault(industry or "unknown", set()).add(contact_id)
    timed = [s for s in speeds if s is not None]
    counts = Counter(next((label for label, limit in SPEED_BUCKETS if s < limit), "> 1 day") for s in timed)
    return CampaignResults(
        status=found[0],
        replies_by_week=[(w, dict(c)) for w, c in sorted(weeks.items())],
        by_step=[_row(f"step {s}", c, replies_to_step.get(s, {})) for s, c in sorted(by_step.items())],
        by_segment=[_row(seg, c, replies) for seg, c in sorted(by_segment.items())],
        speed_to_lead=[(label, counts.get(label, 0)) for label, _ in (*SPEED_BUCKETS, ("> 1 day", 0))],
    )
