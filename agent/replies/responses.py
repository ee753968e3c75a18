"""Responses to replies: drafted (by the model where it can write, else from templates), reviewed,
and sent at most once through the mail transport, never to a suppressed address.

Sending follows the outbound sender's protocol: claim in a transaction (re-checking approval
and suppression at that moment), deliver, mark sent; a crash in between leaves `sending`,
which the next run settles by asking the transport, never by resending on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
import yaml
from pydantic import BaseModel
from sqlalchemy import select

from agent.campaign import CampaignSpec
from agent.clock import utcnow
from agent.errors import DeliveryError, ModelError, NotFound, TransportUnavailable, UserError
from agent.replies.model import Flag, Intent, ReplyAnalysis
from agent.replies.spec import QualificationSpec
from agent.replies.tables import Reply, Response, ResponseState
from agent.sending.compose import prospect_email
from agent.store.db import record_event
from agent.store.tables import Campaign, Contact
from agent.suppression import is_suppressed
from agent.workspace import Workspace
from tools.mail import Outgoing


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
) -> Response | None:
    subject, body, made_by = written
    with ws.store.transaction() as session:
        contact = session.get_one(Contact, contact_id)
        if is_suppressed(session, contact.email):
            return None
        spec = CampaignSpec.model_validate(session.get_one(Campaign, campaign_id).spec) if campaign_id else None
        policy = policy_of(spec).replies
        automatic = intent is not None and intent in policy.auto_send and not flags
        response = Response(
            reply_id=reply_id,
            contact_id=contact_id,
            campaign_id=campaign_id,
            kind=kind,
            subject=subject[:255],
            body=body,
            made_by=made_by,
            in_reply_to=in_reply_to,
            state=ResponseState.approved if automatic else ResponseState.pending_review,
            reviewer="policy:auto_send" if automatic else None,
        )
        session.add(response)
        session.flush()
        record_event(
            session,
            "response_drafted",
            campaign_id=campaign_id,
            contact_id=contact_id,
            data={"response": response.id, "kind": kind, "state": response.state, "made_by": made_by},
        )
        session.expunge(response)
        return response


def draft(ws: Workspace, reply_id: int, kind: str, analysis: ReplyAnalysis, their_id: str | None) -> int | None:
    """Write a response to a reply and put it where the reply policy says (review, or approved)."""
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


def decide(ws: Workspace, response_id: int, *, approve: bool, reviewer: str, body: str | None = None) -> None:
    with ws.store.transaction() as session:
        response = session.get(Response, response_id)
        if response is None:
            raise NotFound(f"no response {response_id}")
        if response.state != ResponseState.pending_review:
            raise UserError(f"response {response_id} is {response.state}, not pending_review: nothing changed")
        if body is not None:
            response.body = body
        response.state = ResponseState.approved if approve else ResponseState.rejected
        response.reviewer = reviewer
        record_event(
            session,
            "response_approved" if approve else "response_rejected",
            contact_id=response.contact_id,
            data={"response": response_id, "reviewer": reviewer},
        )


@dataclass
class ResponseSummary:
    sent: list[int] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


def _compose(
    response: Response, contact: Contact, spec: CampaignSpec, message_id: str, secret: str, now: datetime
) -> Outgoing:
    return prospect_email(
        spec,
        to=(contact.full_name, contact.email),
        subject=response.subject,
        body=response.body,
        message_id=message_id,
        secret=secret,
        now_utc=now,
        thread=[response.in_reply_to] if response.in_reply_to else (),
    )


def _settle(ws: Workspace) -> None:
    """Responses a crashed run left `sending`: delivered, or certainly not, or left for a person."""
    with ws.store.transaction() as session:
        for response in session.scalars(select(Response).where(Response.state == ResponseState.sending)).all():
            delivered = ws.transports["email"].confirm(response.message_id or "")
            if delivered is True:
                response.state, response.sent_at = ResponseState.sent, response.sent_at or utcnow()
            elif delivered is False:
                response.state, response.message_id = ResponseState.approved, None


def send_responses(ws: Workspace, *, now: datetime | None = None) -> ResponseSummary:
    import secrets

    now = now or utcnow()
    summary = ResponseSummary()
    _settle(ws)
    with ws.store.transaction() as session:
        ids = list(session.scalars(select(Response.id).where(Response.state == ResponseState.approved)))
    for position, response_id in enumerate(ids):
        with ws.store.transaction() as session:
            response = session.get_one(Response, response_id)
            contact = session.get_one(Contact, response.contact_id)
            why = None
            if response.state != ResponseState.approved:
                why = "no longer approved"
            elif is_suppressed(session, contact.email):
                response.state, why = ResponseState.cancelled, "suppressed"
            elif response.campaign_id is None:
                why = "no campaign to send from"
            if why:
                summary.skipped[why] = summary.skipped.get(why, 0) + 1
                continue
            spec = CampaignSpec.model_validate(session.get_one(Campaign, response.campaign_id).spec)
            domain = spec.sender.email.rsplit("@", 1)[1]
            response.message_id = f"<sdr.reply.{response.id}.{secrets.token_hex(6)}@{domain}>"
            response.state = ResponseState.sending
            outgoing = _compose(
                response, contact, spec, response.message_id, ws.settings.unsubscribe_secret.get_secret_value(), now
            )
        try:
            ws.transports["email"].deliver(outgoing)
        except TransportUnavailable as exc:  # nothing handed over: this one and the rest wait, approved
            with ws.store.transaction() as session:
                response = session.get_one(Response, response_id)
                response.state, response.message_id = ResponseState.approved, None
                record_event(session, "response_deferred", contact_id=response.contact_id, data={"error": str(exc)})
            summary.skipped[f"deferred: {exc}"] = len(ids) - position
            break
        except DeliveryError as exc:
            with ws.store.transaction() as session:
                response = session.get_one(Response, response_id)
                response.state, response.message_id = ResponseState.pending_review, None
                record_event(session, "response_failed", contact_id=response.contact_id, data={"error": str(exc)})
            summary.skipped["delivery failed"] = summary.skipped.get("delivery failed", 0) + 1
            continue
        with ws.store.transaction() as session:
            response = session.get_one(Response, response_id)
            response.state, response.sent_at = ResponseState.sent, now
            record_event(
                session,
                "response_sent",
                contact_id=response.contact_id,
                campaign_id=response.campaign_id,
                data={"response": response_id, "message_id": response.message_id},
            )
        summary.sent.append(response_id)
    return summary
