"""The outbound pipeline: campaign file -> research -> score -> enroll -> draft (-> review -> send).

Every step skips work already done, so an interrupted `sdr run` resumes where it stopped.
Model calls run in a thread pool sized by the model's concurrency limit; the store is written
in short transactions between calls, never during one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.campaign import CampaignSpec, load_campaign, locate, spec_json, stored_spec
from agent.clock import utcnow
from agent.drafting.drafter import draft_enrollment
from agent.drafting.templates import TemplateProblem, validate_templates
from agent.errors import InputError, NotFound
from agent.research.researcher import latest_brief, research_account
from agent.scoring import ScoreCard, keep_score, score
from agent.store.db import add_missing, record_event
from agent.store.tables import Account, Campaign, Contact, Enrollment, EnrollmentState
from agent.suppression import is_suppressed
from agent.workspace import Workspace

T = TypeVar("T")
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quiet(_stage: str, _done: int, _total: int) -> None:
    pass


@dataclass
class RunSummary:
    campaign: str
    researched: int = 0
    research_skipped: int = 0
    scored: int = 0
    enrolled: int = 0
    not_enrolled: dict[str, int] = field(default_factory=dict)
    drafted: int = 0
    errors: list[str] = field(default_factory=list)


def register_campaign(ws: Workspace, path: Path) -> tuple[int, CampaignSpec]:
    """Load and validate the campaign file (templates too), and record it in the store."""
    spec = load_campaign(path)
    try:
        validate_templates(spec)
    except TemplateProblem as exc:
        line = locate(path.read_text(encoding="utf-8"), ("sequence", exc.step_index, exc.field))
        raise InputError(exc.message, file=path, line=line, field=f"sequence.{exc.step_index}.{exc.field}") from exc
    with ws.store.transaction() as session:
        row = session.scalar(select(Campaign).where(Campaign.name == spec.name))
        if row is None:
            row = Campaign(name=spec.name, file_path=str(path), spec=spec_json(spec), spec_hash=spec.digest)
            session.add(row)
            session.flush()
            record_event(session, "campaign_created", campaign_id=row.id, data={"file": str(path)})
        elif row.spec_hash != spec.digest:
            row.spec, row.spec_hash, row.file_path = spec_json(spec), spec.digest, str(path)
            record_event(session, "campaign_updated", campaign_id=row.id, data={"file": str(path)})
        return row.id, spec


def campaign_by_name(ws: Workspace, name: str) -> tuple[int, CampaignSpec]:
    with ws.store.transaction() as session:
        return campaign_named(session, name)


def campaign_named(session: Session, name: str) -> tuple[int, CampaignSpec]:
    """As `campaign_by_name`, in the caller's transaction."""
    row = session.scalar(select(Campaign).where(Campaign.name == name))
    if row is None:
        known = session.scalars(select(Campaign.name)).all()
        raise NotFound(f"no campaign {name!r} (known: {', '.join(known) or 'none yet; run sdr run FILE'})")
    return row.id, stored_spec(row.spec, row.spec_hash)


def _pool_map(
    ws: Workspace,
    work: Callable[[T], object],
    items: list[T],
    stage: str,
    progress: Progress,
    summary: RunSummary,
) -> None:
    """Run `work` over items within the model's concurrency limit; one failure does not stop the rest."""
    progress(stage, 0, len(items))
    with ThreadPoolExecutor(max_workers=ws.llm.handle.concurrency) as pool:
        futures = [pool.submit(work, item) for item in items]
        for done, future in enumerate(futures, 1):
            if (error := future.exception()) is not None:
                summary.errors.append(f"{stage}: {error}")
            progress(stage, done, len(items))


def research(
    ws: Workspace,
    account_ids: Iterable[int],
    summary: RunSummary,
    progress: Progress = _quiet,
    force: bool = False,
) -> None:
    def one(account_id: int) -> None:
        _, made = research_account(ws, account_id, force=force)
        if made:
            summary.researched += 1
        else:
            summary.research_skipped += 1

    _pool_map(ws, one, list(account_ids), "research", progress, summary)


def score_and_enroll(ws: Workspace, campaign_id: int, spec: CampaignSpec, summary: RunSummary, today: date) -> None:
    """Score every account and contact; enroll contacts that fit, in priority order."""
    with ws.store.transaction() as session:
        accounts = session.scalars(select(Account).where(Account.contacts.any())).all()
        for account in accounts:
            brief = latest_brief(ws, account.id)
            for contact in [None, *account.contacts]:
                card = score(account, contact, brief, spec, today)
                contact_id = contact.id if contact else None
                keep_score(session, campaign_id, account.id, contact_id, card)
                summary.scored += 1
                if contact is not None:
                    _enroll(session, campaign_id, spec, contact, card, summary)


def _enroll(
    session: Session,
    campaign_id: int,
    spec: CampaignSpec,
    contact: Contact,
    card: ScoreCard,
    summary: RunSummary,
) -> None:
    fit, priority, persona = card.fit, card.priority, card.persona
    existing = session.scalar(
        select(Enrollment).where(Enrollment.contact_id == contact.id, Enrollment.campaign_id == campaign_id)
    )
    if existing is not None:
        if existing.state == EnrollmentState.active and not any(s.message_id for s in existing.steps):
            existing.priority = priority
            for step in existing.steps:
                step.priority = priority
        return
    reason = None
    if is_suppressed(session, contact.email):
        reason = "suppressed"
    elif card.missed_required:
        reason = "outside the ICP (" + card.missed_required[0].split(":")[0] + ")"
    elif persona is None:
        reason = "no ICP persona"
    elif fit < spec.icp.min_fit:
        reason = f"fit below {spec.icp.min_fit:g}"
    elif session.scalar(
        select(Enrollment.id).where(Enrollment.contact_id == contact.id, Enrollment.state == EnrollmentState.active)
    ):
        reason = "active in another campaign"  # one voice per prospect
    if reason:
        summary.not_enrolled[reason] = summary.not_enrolled.get(reason, 0) + 1
        return
    enrollment = {"campaign_id": campaign_id, "contact_id": contact.id, "priority": priority}
    if not add_missing(session, Enrollment, [enrollment], ("campaign_id", "contact_id")):
        return  # an inbound lead from this contact enrolled them a moment ago
    record_event(
        session,
        "enrolled",
        campaign_id=campaign_id,
        contact_id=contact.id,
        data={"fit": fit, "priority": priority, "persona": persona},
    )
    summary.enrolled += 1


def draft(
    ws: Workspace,
    campaign_id: int,
    spec: CampaignSpec,
    summary: RunSummary,
    today: date,
    progress: Progress = _quiet,
) -> None:
    with ws.store.transaction() as session:
        pending = session.scalars(
            select(Enrollment.id)
            .where(
                Enrollment.campaign_id == campaign_id,
                Enrollment.state == EnrollmentState.active,
                ~Enrollment.steps.any(),
            )
            .order_by(Enrollment.priority.desc(), Enrollment.id)
        ).all()

    def one(enrollment_id: int) -> None:
        draft_enrollment(ws, enrollment_id, spec, today)
        summary.drafted += 1

    _pool_map(ws, one, list(pending), "draft", progress, summary)


def run_campaign(
    ws: Workspace,
    path: Path,
    *,
    progress: Progress = _quiet,
    today: date | None = None,
    force_research: bool = False,
) -> RunSummary:
    campaign_id, spec = register_campaign(ws, path)
    today = today or utcnow().date()
    summary = RunSummary(campaign=spec.name)
    with ws.store.transaction() as session:
        account_ids = session.scalars(select(Account.id).where(Account.contacts.any()).order_by(Account.id)).all()
    research(ws, account_ids, summary, progress, force=force_research)
    score_and_enroll(ws, campaign_id, spec, summary, today)
    draft(ws, campaign_id, spec, summary, today, progress)
    with ws.store.transaction() as session:
        record_event(
            session,
            "campaign_run",
            campaign_id=campaign_id,
            data={
                "researched": summary.researched,
                "enrolled": summary.enrolled,
                "drafted": summary.drafted,
                "errors": summary.errors[:20],
            },
        )
    return summary
