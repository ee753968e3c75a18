"""Inbound leads end to end: route, first answer, slots, checks, safety, and speed-to-lead.

Each case is one fictional lead answered by the path production runs (`answer_lead`) in one
workspace holding the demo accounts, the demo campaign and its AEs' calendars, as if at the
moment it arrived (its slots, its speed-to-lead). What went out is read back from the outbox,
not taken from the desk's word. See README.md for what each metric means and why.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from sqlalchemy import select

from agent.accounts.importer import import_file
from agent.campaign import CampaignSpec, load_campaign
from agent.campaign.meetings import WEEKDAYS, AccountExecutive
from agent.inbound.answer import LeadAnswer, answer_lead, reader_of
from agent.inbound.lead import InboundLead
from agent.inbound.report import percentile
from agent.inbound.tables import AnswerState
from agent.meetings.admin import seed_calendars
from agent.meetings.tables import MeetingOffer
from agent.pipeline import register_campaign
from agent.store.tables import Contact, Suppression
from agent.suppression import suppress
from agent.workspace import Workspace
from evals.framework import Case, CaseOutcome, Score, Suite, mean

HERE = Path(__file__).parent
EXAMPLES = HERE.parents[1] / "examples"
CAMPAIGN_FILE = EXAMPLES / "campaign.yaml"
_ready: set[int] = set()
_lock = threading.Lock()


def _prepare(ws: Workspace) -> CampaignSpec:
    """Once per workspace: the demo accounts, the campaign, the AEs' calendars, the reader warmed up."""
    spec = load_campaign(CAMPAIGN_FILE)
    with _lock:
        if id(ws) not in _ready:
            import_file(ws.store, EXAMPLES / "accounts.csv")
            import_file(ws.store, EXAMPLES / "contacts.csv")
            register_campaign(ws, CAMPAIGN_FILE)
            assert spec.meetings is not None
            seed_calendars(ws, spec.meetings, EXAMPLES / "calendars")
            reader_of(ws)  # trains or loads the classifier now, not inside a lead's timing
            _ready.add(id(ws))
    return spec


def _sent_to(ws: Workspace, address: str) -> list[str]:
    texts = []
    for path in sorted(ws.settings.outbox_dir.glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address.lower() in str(mail["To"]).lower():
            texts.append(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    return texts


def _within_hours(slot: datetime, ae: AccountExecutive, after: datetime, horizon_days: int) -> bool:
    from zoneinfo import ZoneInfo

    start = slot.astimezone(ZoneInfo(ae.timezone))
    end = start + timedelta(minutes=ae.meeting_minutes)
    hours = ae.working_hours
    return (
        WEEKDAYS[start.weekday()] in hours.days
        and start.time() >= hours.start
        and end.time() <= hours.end
        and end.date() == start.date()
        and slot >= after + timedelta(hours=ae.min_notice_hours)
        and slot <= after + timedelta(days=horizon_days + 1)
    )


def _slots_valid(ws: Workspace, spec: CampaignSpec, answer: LeadAnswer, lead: InboundLead, want: int) -> Score:
    assert spec.meetings is not None
    with ws.store.transaction() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.email == lead.email))
        ae_email = session.scalar(
            select(MeetingOffer.ae_email).where(MeetingOffer.contact_id == contact_id).order_by(MeetingOffer.id.desc())
        )
    ae = spec.meetings.executive(ae_email or "")
    if ae is None:
        return Score("slots_valid", 0.0, "no slots were offered")
    bad = [s for s in answer.slots if not _within_hours(s, ae, lead.received_at, spec.meetings.horizon_days)]
    ok = len(answer.slots) == want and not bad
    return Score("slots_valid", float(ok), f"{len(answer.slots)} slots with {ae.name}, outside hours: {bad}")


def run_case(case: Case, ws: Workspace) -> CaseOutcome:
    spec = _prepare(ws)
    expected = case["expected"]
    lead = InboundLead.model_validate_json(json.dumps(case["lead"]))
    if target := case.get("setup", {}).get("suppress"):
        with ws.store.transaction() as session:
            suppress(session, target, "manual", source=f"eval {case['id']}")
    answer = answer_lead(ws, lead, spec.name, now=lead.received_at)
    again = None
    if "again" in case:
        second = InboundLead.model_validate_json(json.dumps({**case["lead"], **case["again"]}))
        again = answer_lead(ws, second, spec.name, now=second.received_at)
    sent = _sent_to(ws, lead.email)
    answered = answer.answer in (AnswerState.sent, AnswerState.approved, AnswerState.pending_review)
    scores = [Score("route", float(answer.route == expected["route"]), f"{answer.route}: {'; '.join(answer.reasons)}")]
    if expected["answered"]:
        scores.append(Score("answered_when_due", float(answered), f"first answer {answer.answer} {answer.error or ''}"))
    else:
        nothing = not answered and not sent
        why = f"first answer {answer.answer}, {len(sent)} emails to the address"
        scores.append(Score("no_answer_when_not_due", float(nothing), why, safety=True))
    if "auto_sent" in expected and expected["answered"]:
        auto = answer.answer is AnswerState.sent
        scores.append(Score("auto_sent", float(auto == expected["auto_sent"]), f"first answer {answer.answer}"))
    if answer.checks:
        failing = [f"{c.check}: {c.detail}" for c in answer.checks if not c.ok]
        scores.append(Score("checks_pass", float(not failing), "; ".join(failing)[:300]))
    if "slots" in expected:
        scores.append(_slots_valid(ws, spec, answer, lead, expected["slots"]))
    if expected.get("booked"):
        booked = bool(sent) and any("You are booked with" in t for t in sent)
        scores.append(Score("booked", float(booked), f"{len(sent)} emails; slots {answer.slots}"))
    if words := expected.get("mentions"):
        body = (answer.body or "").lower()
        missing = [w for w in words if w.lower() not in body]
        scores.append(Score("mentions", float(not missing), f"missing {missing}"))
    if why := expected.get("disposition"):
        reason = answer.disposition_reason or ""
        ok = answer.disposition == "not_qualified" and reason.startswith(why)
        scores.append(Score("disposition", float(ok), f"{answer.disposition}: {reason}"))
    if "suppressed" in expected:
        with ws.store.transaction() as session:
            listed = session.scalar(select(Suppression.id).where(Suppression.value == lead.email)) is not None
        ok = listed == expected["suppressed"]
        scores.append(Score("opt_out_honoured", float(ok), f"suppressed: {listed}", safety=expected["suppressed"]))
    if expected.get("one_answer"):
        ok = len(sent) == 1 and again is not None and again.route == "duplicate"
        why = f"{len(sent)} emails; second lead {again.route if again else None}"
        scores.append(Score("one_answer_per_lead", float(ok), why, safety=True))
    output: dict[str, Any] = {
        "route": answer.route, "answer": answer.answer, "via": answer.via, "reasons": answer.reasons,
        "speed_to_lead_seconds": answer.speed_to_lead_seconds, "slots": [s.isoformat() for s in answer.slots],
        "fit": answer.fit, "persona": answer.persona, "intent": answer.intent, "subject": answer.subject,
        "body": answer.body, "emails_to_lead": len(sent),
    }  # fmt: skip
    return CaseOutcome(case["id"], scores, output=output)


def _mean_of(outcomes: list[CaseOutcome], name: str) -> float:
    return mean([s.value for o in outcomes if (s := o.score(name)) is not None])


def metrics(cases: list[Case], outcomes: list[CaseOutcome]) -> dict[str, float]:
    out = {
        name: _mean_of(outcomes, score)
        for name, score in (
            ("route_accuracy", "route"),
            ("answered_when_due", "answered_when_due"),
            ("no_answer_when_not_due", "no_answer_when_not_due"),
            ("slots_valid", "slots_valid"),
            ("checks_pass", "checks_pass"),
            ("auto_sent_accuracy", "auto_sent"),
            ("mentions", "mentions"),
            ("disposition_accuracy", "disposition"),
            ("opt_out_honoured", "opt_out_honoured"),
            ("one_answer_per_lead", "one_answer_per_lead"),
            ("booked", "booked"),
        )
    }
    gold = {c["id"]: c["expected"]["route"] for c in cases}
    got = {o.case_id: (o.output or {}).get("route") for o in outcomes}
    for route in sorted(set(gold.values())):
        ids = [i for i, g in gold.items() if g == route]
        out[f"recall.{route}"] = round(sum(got.get(i) == route for i in ids) / len(ids), 4)
    speeds = [s for o in outcomes if (s := (o.output or {}).get("speed_to_lead_seconds")) is not None]
    out["speed_to_lead.p50_seconds"] = percentile(speeds, 0.5) or 0.0
    out["speed_to_lead.p95_seconds"] = percentile(speeds, 0.95) or 0.0
    return out


SUITE = Suite(
    name="inbound",
    description="Inbound leads end to end: route, first answer, real slots, checks, nothing to whom it must not go.",
    datasets=[HERE / "cases.jsonl"],
    prompts=["reply_fields", "reply_response"],
    run_case=run_case,
    metrics=metrics,
    gated={
        "route_accuracy": 0.03,
        "answered_when_due": 0.03,
        "no_answer_when_not_due": 0.0,
        "slots_valid": 0.0,
        "checks_pass": 0.03,
        "mentions": 0.05,
        "opt_out_honoured": 0.0,
        "one_answer_per_lead": 0.0,
    },
    uses_model=True,
    settings={"sources_dir_setting": EXAMPLES / "sources"},
    depends_on=[CAMPAIGN_FILE, HERE.parents[1] / "agent" / "campaign" / "inbound_templates.yaml"],
)
