"""Handing a qualified lead to an account executive, and closing the loop.

The note carries the SDR-AE checklist: the problem signal (why this account, why now), the
contact's context, the source, the confirmed next step, the disqualification risks, and the
conversation so far, so that the prospect never repeats themselves. Every handoff ends in
exactly one disposition: opportunity created; meets the definition but recycled to nurture
(with a date); or not qualified, back to the SDR (with the reason).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.campaign import CampaignSpec
from agent.clock import utcnow
from agent.errors import NotFound, UserError
from agent.replies import qualification
from agent.replies.model import ReplyAnalysis
from agent.replies.responses import policy_of
from agent.replies.tables import Disposition, Handoff, NurtureTouch, ReferredContact, Reply
from agent.states import Audience, OutboxState
from agent.store.db import record_event
from agent.store.tables import Brief, Contact, Enrollment, LeadStage, OutboxMessage
from agent.workspace import Workspace


class HandoffView(BaseModel):
    id: int
    contact: str
    email: str
    account: str
    next_step: str
    disposition: str | None
    reason: str | None
    recycle_on: date | None
    created_at: str
    checklist: dict[str, Any]
    note: str


def _conversation(session: Session, contact: Contact) -> list[dict[str, str]]:
    turns: list[tuple[Any, str, str]] = []
    sent = session.scalars(  # everything the prospect received from us: steps, answers, meeting emails
        select(OutboxMessage).where(
            OutboxMessage.contact_id == contact.id,
            OutboxMessage.audience == Audience.prospect,
            OutboxMessage.state == OutboxState.sent,
        )
    ).all()
    for message in sent:
        what = f"step {message.step_number}" if message.step_number else message.kind.replace("_", " ")
        turns.append(
            (
                message.sent_at,
                f"us ({message.channel}, {what})",
                (f"{message.subject}: " if message.subject else "") + message.body,
            )
        )
    for reply in session.scalars(select(Reply).where(Reply.contact_id == contact.id)):
        turns.append((reply.received_at, f"{contact.full_name} ({reply.intent})", reply.text))
    return [
        {"at": at.strftime("%Y-%m-%d %H:%M UTC") if at else "", "who": who, "text": text}
        for at, who, text in sorted(turns, key=lambda t: t[0] or utcnow())
    ]


def _checklist(session: Session, contact: Contact, next_step: str) -> dict[str, Any]:
    account = contact.account
    enrollment = session.scalar(
        select(Enrollment).where(Enrollment.contact_id == contact.id).order_by(Enrollment.id.desc())
    )
    spec = CampaignSpec.model_validate(enrollment.campaign.spec) if enrollment else None
    facts = qualification.lead_facts(session, contact.id)
    check = qualification.check_sql(policy_of(spec).sql, facts, contact.title, utcnow().date())
    brief = session.scalar(select(Brief).where(Brief.account_id == account.id).order_by(Brief.id.desc()))
    content = brief.content if brief else {}
    triggers = [t.get("text") or t.get("summary") or str(t) for t in content.get("triggers", [])][:3]
    referred = session.scalar(select(ReferredContact).where(ReferredContact.contact_id == contact.id))
    replies = session.scalars(select(Reply).where(Reply.contact_id == contact.id)).all()
    flags = sorted({f for r in replies for f in ReplyAnalysis.model_validate(r.analysis).flags})
    risks = [f"SQL definition not met: {m}" for m in check.missing]
    risks += [f"objection raised: {o}" for o in facts.objections]
    risks += [f"competitor mentioned: {c}" for c in facts.competitors]
    risks += [f"a reply was flagged {f}" for f in flags]
    if not next_step.strip():
        risks.append("no confirmed next step")
    f = facts.fields
    return {
        "problem_signal": {
            "need": f.need.evidence,
            "account_summary": content.get("summary"),
            "triggers": triggers,
            "pains": content.get("pains", [])[:3],
        },
        "contact_context": {
            "name": contact.full_name,
            "title": contact.title,
            "email": contact.email,
            "phone": contact.phone,
            "account": account.name,
            "domain": account.domain,
            "industry": account.industry,
            "employees": account.employees,
            "budget": f.budget.evidence,
            "authority": f.authority.evidence,
            "timeline": f.timeline.evidence,
            "sql": check.met,
        },
        "source": (
            f"referral from contact {referred.referred_by}"
            if referred
            else f"outbound: campaign {enrollment.campaign.name}"
            if enrollment
            else "inbound"
        ),
        "next_step": next_step,
        "disqualification_risks": risks,
        "conversation": _conversation(session, contact),
    }


def render_note(checklist: dict[str, Any]) -> str:
    c, p = checklist["contact_context"], checklist["problem_signal"]
    lines = [
        f"# Handoff: {c['name']}, {c['title'] or 'no title'} at {c['account']}",
        "",
        "## Problem signal (why this account, why now)",
    ]
    lines += [f'- Need, in their words: "{p["need"]}"' if p["need"] else "- Need: not stated in a reply"]
    lines += [f"- Account: {p['account_summary']}"] if p["account_summary"] else []
    lines += [f"- Trigger: {t}" for t in p["triggers"]] + [f"- Pain: {t}" for t in p["pains"]]
    lines += [
        "",
        "## Contact context",
        f"- {c['name']} <{c['email']}>{', ' + c['phone'] if c['phone'] else ''}; {c['title'] or 'no title'}",
        f"- {c['account']} ({c['domain']}), {c['industry'] or 'industry unknown'}, {c['employees'] or '?'} employees",
    ]
    for name in ("budget", "authority", "timeline"):
        lines.append(f"- {name.capitalize()}: " + (f'"{c[name]}"' if c[name] else "unknown"))
    lines += [
        f"- Meets the SQL definition on: {', '.join(c['sql']) or 'nothing yet'}",
        "",
        "## Source",
        f"- {checklist['source']}",
        "",
        "## Confirmed next step",
        f"- {checklist['next_step']}",
        *([f"- Unsettled: {checklist['unsettled']}"] if checklist.get("unsettled") else []),
        "",
        "## Disqualification risks",
    ]
    lines += [f"- {r}" for r in checklist["disqualification_risks"]] or ["- none found"]
    lines += ["", "## Conversation so far"]
    for turn in checklist["conversation"]:
        quoted = "\n".join("> " + line for line in turn["text"].strip().splitlines())
        lines += [f"**{turn['at']}, {turn['who']}**", "", quoted, ""]
    return "\n".join(lines).rstrip() + "\n"


def _contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact


def handoff_note(ws: Workspace, contact_id: int, next_step: str = "") -> str:
    """The Markdown note an AE reads (meetings attaches it to the invitation)."""
    with ws.store.transaction() as session:
        return render_note(_checklist(session, _contact(session, contact_id), next_step))


def meeting_booked(ws: Workspace, contact_id: int, when: str) -> None:
    """Booking confirmed a meeting (called by booking, or by a person): the lead's confirmed next step."""
    with ws.store.transaction() as session:
        contact = _contact(session, contact_id)
        qualification.move(session, contact, LeadStage.meeting_booked, f"meeting booked: {when}")


def hand_off(ws: Workspace, contact_id: int, next_step: str) -> int:
    """Hand a qualified lead (or one with a booked meeting) to the AE."""
    with ws.store.transaction() as session:
        contact = _contact(session, contact_id)
        if LeadStage(contact.stage) not in (LeadStage.qualified, LeadStage.meeting_booked):
            raise UserError(
                f"{contact.email} is {contact.stage}: only a qualified lead or one with a booked meeting is handed off"
            )
        checklist = _checklist(session, contact, next_step)
        campaign_id = session.scalar(select(Enrollment.campaign_id).where(Enrollment.contact_id == contact_id))
        row = Handoff(
            contact_id=contact_id,
            campaign_id=campaign_id,
            next_step=next_step,
            checklist=checklist,
            note=render_note(checklist),
        )
        session.add(row)
        qualification.move(session, contact, LeadStage.handed_off, f"handed off: {next_step}")
        session.flush()
        record_event(session, "handed_off", contact_id=contact_id, campaign_id=campaign_id, data={"handoff": row.id})
        return row.id


def unsettled(session: Session, contact_id: int, reply_id: int, change: str | None) -> None:
    """Tell the AE who owns the lead, in the open handoff's note, that a reply read without certainty
    may `change` the meeting ("move", "cancel") while a person reads it; None: that reply is settled."""
    row = session.scalar(
        select(Handoff)
        .where(Handoff.contact_id == contact_id, Handoff.disposition.is_(None))
        .order_by(Handoff.id.desc())
    )
    mine = f"reply {reply_id} "
    if row is None or (change is None and not row.checklist.get("unsettled", "").startswith(mine)):
        return
    what = f"{mine}may {change} the meeting; a person is reading it" if change else None
    checklist = {k: v for k, v in row.checklist.items() if k != "unsettled"} | ({"unsettled": what} if what else {})
    row.checklist, row.note = checklist, render_note(checklist)


def meeting_changed(ws: Workspace, contact_id: int, next_step: str) -> int | None:
    """The booked meeting moved or was cancelled. The lead's open handoff, and the note in it, get
    the new next step, so the AE who owns the lead reads what is true now (after a cancellation the
    AE decides: rebook, recycle or not qualified). None when no handoff is open."""
    with ws.store.transaction() as session:
        row = session.scalar(
            select(Handoff)
            .where(Handoff.contact_id == contact_id, Handoff.disposition.is_(None))
            .order_by(Handoff.id.desc())
        )
        if row is None:
            return None
        checklist = {**row.checklist, "next_step": next_step}
        row.next_step, row.checklist, row.note = next_step[:512], checklist, render_note(checklist)
        record_event(
            session,
            "handoff_next_step",
            contact_id=contact_id,
            campaign_id=row.campaign_id,
            data={"handoff": row.id, "next_step": next_step},
        )
        return row.id


def close(
    ws: Workspace,
    handoff_id: int,
    disposition: Disposition,
    *,
    reason: str | None = None,
    recycle_on: date | None = None,
) -> None:
    """The AE's verdict, exactly once: opportunity, recycle (with a date) or not qualified (with a reason)."""
    if disposition is Disposition.recycle_to_nurture and recycle_on is None:
        raise UserError("recycling to nurture needs a date (--on YYYY-MM-DD)")
    if disposition is Disposition.not_qualified and not (reason or "").strip():
        raise UserError("not qualified needs the reason, for the SDR")
    with ws.store.transaction() as session:
        row = session.get(Handoff, handoff_id)
        if row is None:
            raise NotFound(f"no handoff {handoff_id}")
        if row.disposition is not None:
            raise UserError(f"handoff {handoff_id} is closed already ({row.disposition}): nothing changed")
        contact = _contact(session, row.contact_id)
        row.disposition, row.reason, row.recycle_on, row.closed_at = disposition, reason, recycle_on, utcnow()
        if disposition is Disposition.recycle_to_nurture:
            assert recycle_on is not None
            session.add(
                NurtureTouch(
                    contact_id=contact.id,
                    campaign_id=row.campaign_id,
                    due_on=recycle_on,
                    reason=f"recycled from handoff {handoff_id}: {reason or ''}".strip()[:255],
                )
            )
            qualification.move(session, contact, LeadStage.contacted, "recycled to nurture")
        elif disposition is Disposition.not_qualified:
            qualification.move(session, contact, LeadStage.replied, f"not qualified: {reason}")
        record_event(
            session,
            "handoff_closed",
            contact_id=contact.id,
            campaign_id=row.campaign_id,
            data={
                "handoff": handoff_id,
                "disposition": disposition,
                "reason": reason,
                "recycle_on": recycle_on.isoformat() if recycle_on else None,
            },
        )


def recycle(ws: Workspace, contact_id: int, campaign_id: int | None, on: date, reason: str) -> None:
    """Back to nurture on `on` by the campaign's rule (after repeated no-shows): the open handoff is
    closed as recycled, which schedules the touch; with none open, the touch is scheduled here."""
    with ws.store.transaction() as session:
        handoff_id = session.scalar(
            select(Handoff.id).where(Handoff.contact_id == contact_id, Handoff.disposition.is_(None))
        )
        if handoff_id is None:
            contact = _contact(session, contact_id)
            session.add(NurtureTouch(contact_id=contact_id, campaign_id=campaign_id, due_on=on, reason=reason[:255]))
            qualification.move(session, contact, LeadStage.contacted, f"recycled to nurture: {reason}")
    if handoff_id is not None:
        close(ws, handoff_id, Disposition.recycle_to_nurture, reason=reason, recycle_on=on)


def list_handoffs(ws: Workspace, *, open_only: bool = False) -> list[HandoffView]:
    with ws.store.transaction() as session:
        query = select(Handoff).order_by(Handoff.id)
        if open_only:
            query = query.where(Handoff.disposition.is_(None))
        out = []
        for row in session.scalars(query):
            contact = session.get_one(Contact, row.contact_id)
            out.append(
                HandoffView(
                    id=row.id,
                    contact=contact.full_name,
                    email=contact.email,
                    account=contact.account.name,
                    next_step=row.next_step,
                    disposition=row.disposition,
                    reason=row.reason,
                    recycle_on=row.recycle_on,
                    created_at=row.created_at.isoformat(),
                    checklist=row.checklist,
                    note=row.note,
                )
            )
        return out


def export(views: list[HandoffView], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([v.model_dump(mode="json") for v in views], indent=2, ensure_ascii=False)
    if fmt == "md":
        parts = []
        for v in views:
            status = v.disposition or "open"
            parts.append(f"<!-- handoff {v.id}: {status} -->\n{v.note}")
        return "\n---\n\n".join(parts)
    raise UserError(f"unknown format {fmt!r} (md or json)")
