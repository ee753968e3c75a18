"""Qualification: the lead's stages, what its replies have established, and the written SQL definition.

A lead moves new -> contacted -> replied -> qualified -> meeting_booked -> handed_off, never
skipping a step it has not earned; a closed handoff sends it back (recycle, not qualified) or
leaves it handed off (opportunity). What is known about a lead is derived from its replies
(latest quote wins), never typed in twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.campaign.qualification import SqlDefinition
from agent.errors import UserError
from agent.replies.model import Evidence, Qualification, ReplyAnalysis
from agent.replies.tables import Reply
from agent.store.db import record_event
from agent.store.tables import Contact, LeadStage
from agent.timex import date_mentions

ORDER = [
    LeadStage.new,
    LeadStage.contacted,
    LeadStage.replied,
    LeadStage.qualified,
    LeadStage.meeting_booked,
    LeadStage.handed_off,
]
# Moves other than one step forward: a reply can come before our send is marked (inbound first),
# a booked meeting can qualify on the call, a closed handoff sends the lead back, and so does the
# no-show rule.
EXTRA = {
    (LeadStage.new, LeadStage.replied),
    (LeadStage.replied, LeadStage.meeting_booked),
    (LeadStage.qualified, LeadStage.handed_off),
    (LeadStage.handed_off, LeadStage.replied),
    (LeadStage.handed_off, LeadStage.contacted),
    (LeadStage.qualified, LeadStage.replied),
    (LeadStage.meeting_booked, LeadStage.contacted),
}


class StageError(UserError):
    """A lead was asked to move to a stage it cannot reach from where it is."""


def can_move(current: LeadStage, target: LeadStage) -> bool:
    step = ORDER.index(target) - ORDER.index(current)
    return step == 1 or (current, target) in EXTRA


def move(session: Session, contact: Contact, target: LeadStage, why: str) -> bool:
    """Move the lead to `target`; False when it is there already. Refuses a move it has not earned."""
    current = LeadStage(contact.stage)
    if current == target:
        return False
    if not can_move(current, target):
        raise StageError(f"{contact.email} is {current}: it cannot move to {target} ({why})")
    contact.stage = target
    record_event(
        session,
        "stage_changed",
        contact_id=contact.id,
        account_id=contact.account_id,
        data={"from": current, "to": target, "why": why},
    )
    return True


def note_reply(session: Session, contact: Contact) -> None:
    """A person (not a machine) answered: the lead has replied, wherever it was before that."""
    if LeadStage(contact.stage) in (LeadStage.new, LeadStage.contacted):
        move(session, contact, LeadStage.replied, "replied")


@dataclass
class LeadFacts:
    """What the lead's replies have established so far."""

    fields: Qualification = field(default_factory=Qualification)
    objections: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)


def lead_facts(session: Session, contact_id: int) -> LeadFacts:
    facts = LeadFacts()
    known: dict[str, Evidence] = {}
    replies = session.scalars(select(Reply).where(Reply.contact_id == contact_id).order_by(Reply.received_at)).all()
    for reply in replies:
        analysis = ReplyAnalysis.model_validate(reply.analysis)
        for name in ("budget", "authority", "need", "timeline"):
            evidence: Evidence = getattr(analysis.fields, name)
            if evidence.status == "known":
                known[name] = evidence
        if analysis.fields.objection and analysis.fields.objection not in facts.objections:
            facts.objections.append(analysis.fields.objection)
        if analysis.fields.competitor and analysis.fields.competitor not in facts.competitors:
            facts.competitors.append(analysis.fields.competitor)
    facts.fields = Qualification(**known, competitor=facts.competitors[-1] if facts.competitors else None)
    return facts


@dataclass
class SqlCheck:
    meets: bool
    missing: list[str]
    met: list[str]


def check_sql(definition: SqlDefinition, facts: LeadFacts, title: str | None, today: date) -> SqlCheck:
    """The written SQL definition applied to what is known; every miss named."""
    missing: list[str] = []
    met: list[str] = []
    f = facts.fields
    if definition.need:
        (met if f.need.status == "known" else missing).append("need")
    if definition.authority_or_champion:
        champion = any(word in (title or "").lower() for word in definition.champion_titles)
        if f.authority.status == "known":
            met.append("authority")
        elif champion:
            met.append(f"champion by title ({title})")
        else:
            missing.append("authority or a champion")
    if definition.budget:
        (met if f.budget.status == "known" else missing).append("budget")
    if definition.timeline_within_months:
        horizon = today + timedelta(days=31 * definition.timeline_within_months)
        # The zone only orders numeric dates (M/D or D/M); a timeline rarely has one.
        when = [m.day for m in date_mentions(f.timeline.evidence, today, "UTC")] if f.timeline.evidence else []
        if f.timeline.status != "known":
            missing.append(f"timeline within {definition.timeline_within_months} months")
        elif when and min(when) > horizon:
            missing.append(f"timeline within {definition.timeline_within_months} months (said {min(when)})")
        else:
            met.append("timeline")
    return SqlCheck(not missing, missing, met)
