"""Answers to replies: written (by the model where it can write, else from templates) and put in
the outbox, where a person reviews them unless the campaign's reply policy auto-sends that
kind of reply. The one send path delivers them, threaded under the reply they answer.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
import yaml
from pydantic import BaseModel

from agent import outbox
from agent.campaign import CampaignSpec
from agent.campaign.qualification import QualificationSpec
from agent.clock import utcnow
from agent.errors import ModelError
from agent.replies.model import Flag, Intent, ReplyAnalysis
from agent.replies.tables import Reply
from agent.states import Origin
from agent.store.tables import Campaign, Contact, OutboxMessage
from agent.suppression import is_suppressed
from agent.workspace import Workspace


class WrittenResponse(BaseModel):
    subject: str
    body: str


@cache
def _templates() -> dict[str, Any]:
    text = files("agent.replies").joinpath("response_templates.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


_env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def policy_of(spec: CampaignSpec | None) -> QualificationSpec:
    return (spec.qualification if spec is not None else None) or QualificationSpec()


def offered_times(analysis: ReplyAnalysis, tz_name: str, today: date) -> tuple[list[str], bool]:
    """The prospect's own proposed times, or two slots on the next business days (10:00, 14:00 theirs)."""
    from zoneinfo import ZoneInfo

    if analysis.meeting_times:
        return [t.strftime("%A %d %B at %H:%M %Z").replace(" 0", " ") for t in analysis.meeting_times[:2]], True
    tz, day = ZoneInfo(tz_name), today
    slots: list[datetime] = []
    while len(slots) < 2:
        day += timedelta(days=1)
        if day.weekday() < 5:
            slots.append(datetime.combine(day, time(10 if not slots else 14), tz))
    return [s.strftime("%A %d %B at %H:%M %Z").replace(" 0", " ") for s in slots], False


def write(ws: Workspace, reply_id: int, kind: str) -> tuple[str, str, str] | None:
    """(subject, body, made_by) for a response to this reply; None when there is no one to write to."""
    with ws.store.transaction() as session:
        reply = session.get_one(Reply, reply_id)
        if reply.contact_id is None or reply.campaign_id is None:
            return None
        contact = session.get_one(Contact, reply.contact_id)
        spec = CampaignSpec.model_validate(session.get_one(Campaign, reply.campaign_id).spec)
        analysis = ReplyAnalysis.model_validate(reply.analysis)
        account, text, subject = contact.account, reply.text, reply.subject
        session.expunge_all()
    policy = policy_of(spec).replies
    tz = contact.timezone or spec.sending.default_timezone
    times, proposed = offered_times(analysis, tz, utcnow().date())
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()
    use_model = policy.responses == "model" or (policy.responses == "auto" and ws.llm.handle.capable_writer)
    if use_model and kind != "nurture":
        try:
            written = ws.llm.ask(
                "reply_response",
                WrittenResponse,
                subject={"campaign_id": reply.campaign_id, "account_id": account.id, "contact_id": contact.id},
                contact=contact,
                account=account,
                sender=spec.sender,
                value_proposition=spec.value_proposition,
                proof_points=[p.text for p in spec.proof_points],
                intent=str(analysis.intent),
                reply=text,
                times=times,
                ae=policy.account_executive,
                minutes=policy.meeting_minutes,
            )
            return subject, written.body.strip(), f"model:{ws.llm.name}"
        except ModelError:
            pass  # the template below still gives the reviewer something to start from
    templates = _templates()
    source = templates["answer"][analysis.intent] if kind == "answer" else templates[kind]
    body = _env.from_string(source).render(
        contact=contact,
        sender=spec.sender,
        analysis=analysis,
        times=times,
        proposed=proposed,
        ae=policy.account_executive,
        minutes=policy.meeting_minutes,
    )
    return subject, body.strip(), "template"


def store(
    ws: Workspace,
    reply_id: int | None,
    contact_id: int,
    campaign_id: int | None,
    kind: str,
    written: tuple[str, str, str],
    in_reply_to: str | None,
    intent: Intent | None,
    flags: list[Flag],
) -> OutboxMessage | None:
    """Queue an answer: approved when the reply policy auto-sends this intent (and nothing about the
    reading is in doubt), else for review; None when the contact is suppressed."""
    subject, body, made_by = written
    with ws.store.transaction() as session:
        contact = session.get_one(Contact, contact_id)
        if is_suppressed(session, contact.email):
            return None
        spec = CampaignSpec.model_validate(session.get_one(Campaign, campaign_id).spec) if campaign_id else None
        if spec is None:
            return None
        automatic = intent is not None and intent in policy_of(spec).replies.auto_send and not flags
        row = outbox.queue(
            session,
            outbox.Envelope(outbox.thread_sender(session, spec, contact_id), (contact.full_name, contact.email)),
            outbox.Origins(
                Origin.reply_answer, kind, campaign_id=campaign_id, contact_id=contact_id, reply_id=reply_id
            ),
            outbox.Content(subject, body, thread=[in_reply_to] if in_reply_to else [], made_by=made_by),
            approved_by="policy:auto_send" if automatic else None,
        )
        session.expunge(row)
        return row


def draft(ws: Workspace, reply_id: int, kind: str, analysis: ReplyAnalysis, their_id: str | None) -> int | None:
    """Write an answer to a reply and put it in the outbox where the reply policy says."""
    written = write(ws, reply_id, kind)
    if written is None:
        return None
    with ws.store.transaction() as session:
        reply = session.get_one(Reply, reply_id)
        contact_id, campaign_id = reply.contact_id, reply.campaign_id
    assert contact_id is not None
    stored = store(
        ws, reply_id, contact_id, campaign_id, kind, written, their_id, analysis.intent, list(analysis.flags)
    )
    return stored.id if stored else None
