"""The queue as the desk pages it: everything awaiting a person, most urgent first (the review
queue's own order), filtered, a page at a time. Items come from `agent.review`, which they are
decided through too; this module only chooses which ids a page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from agent import review
from agent.review import ReviewItem
from agent.states import AWAITING_PERSON, Origin, OutboxState
from agent.store.tables import Campaign, OutboxMessage
from agent.workspace import Workspace

PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilter:
    """What a reviewer narrowed the queue to (each None: any)."""

    campaign: str | None = None
    origin: Origin | None = None
    channel: str | None = None
    step: int | None = None
    made_by: str | None = None
    failed_check: str | None = None  # the name of a check the message failed

    @classmethod
    def of(cls, params: Any) -> QueueFilter:
        """From a query string; a value that is not one of the choices is ignored."""

        def text(name: str) -> str | None:
            value = str(params.get(name) or "").strip()
            return value[:128] or None

        origin = text("origin")
        step = text("step")
        return cls(
            campaign=text("campaign"),
            origin=Origin(origin) if origin and origin in Origin.__members__ else None,
            channel=text("channel"),
            step=int(step) if step and step.isdigit() else None,
            made_by=text("made_by"),
            failed_check=text("failed_check"),
        )

    def chosen(self) -> dict[str, str]:
        """Each filter set, as the query string carries it."""
        values = {
            "campaign": self.campaign,
            "origin": self.origin.value if self.origin else None,
            "channel": self.channel,
            "step": self.step,
            "made_by": self.made_by,
            "failed_check": self.failed_check,
        }
        return {k: str(v) for k, v in values.items() if v is not None}

    def query_string(self, **extra: Any) -> str:
        return urlencode({**self.chosen(), **extra})


@dataclass(frozen=True)
class QueuePage:
    items: list[ReviewItem]
    total: int
    page: int
    pages: int
    choices: dict[str, list[str]] = field(default_factory=dict)  # filter -> values present in the queue


def _awaiting(f: QueueFilter) -> Select[Any]:
    query = select(OutboxMessage.id).where(OutboxMessage.state.in_([s.value for s in AWAITING_PERSON]))
    if f.campaign:
        query = query.where(OutboxMessage.campaign_id.in_(select(Campaign.id).where(Campaign.name == f.campaign)))
    if f.origin:
        query = query.where(OutboxMessage.origin == f.origin.value)
    if f.channel:
        query = query.where(OutboxMessage.channel == f.channel)
    if f.step is not None:
        query = query.where(OutboxMessage.step_number == f.step)
    if f.made_by:
        query = query.where(OutboxMessage.made_by == f.made_by)
    return query


def _failing(session: Session, ids: list[int], check: str) -> list[int]:
    """Of these ids (in order), those whose latest checks failed `check` (the checks are JSON)."""
    rows = session.execute(select(OutboxMessage.id, OutboxMessage.checks).where(OutboxMessage.id.in_(ids))).all()
    checks: dict[int, list[Any]] = {i: c for i, c in rows}
    return [i for i in ids if any(c.get("check") == check and not c.get("ok") for c in checks.get(i) or [])]


def _ordered_ids(session: Session, f: QueueFilter) -> list[int]:
    return list(session.scalars(_awaiting(f).order_by(*review.queue_order())))


def queue_ids(ws: Workspace, f: QueueFilter) -> list[int]:
    """Every id in the filtered queue, in its order (for a reviewer's next and previous)."""
    with ws.store.transaction() as session:
        ids = _ordered_ids(session, f)
        return _failing(session, ids, f.failed_check) if f.failed_check else ids


def _choices(session: Session) -> dict[str, list[str]]:
    """The values each filter can take: those present among the messages awaiting a person (one scan)."""
    awaiting = OutboxMessage.state.in_([s.value for s in AWAITING_PERSON])
    combos = session.execute(
        select(
            Campaign.name, OutboxMessage.origin, OutboxMessage.channel, OutboxMessage.step_number, OutboxMessage.made_by
        )
        .outerjoin(Campaign, Campaign.id == OutboxMessage.campaign_id)
        .where(awaiting)
        .distinct()
    ).all()
    failed: set[str] = set()
    for checks in session.scalars(select(OutboxMessage.checks).where(OutboxMessage.state == OutboxState.flagged)):
        failed.update(c["check"] for c in checks or [] if not c.get("ok"))

    def present(column: int) -> list[str]:
        return sorted({str(row[column]) for row in combos if row[column] is not None})

    return {
        "campaign": present(0),
        "origin": present(1),
        "channel": present(2),
        "step": [str(s) for s in sorted({row[3] for row in combos if row[3] is not None})],
        "made_by": present(4),
        "failed_check": sorted(failed),
    }


def queue_page(ws: Workspace, f: QueueFilter, page: int = 1) -> QueuePage:
    with ws.store.transaction() as session:
        if f.failed_check:
            ids = _failing(session, _ordered_ids(session, f), f.failed_check)
            total = len(ids)
        else:
            total = session.scalar(select(func.count()).select_from(_awaiting(f).subquery())) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, page), pages)
        if f.failed_check:
            shown = ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        else:
            query = _awaiting(f).order_by(*review.queue_order()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
            shown = list(session.scalars(query))
        choices = _choices(session)
    items = review.list_items(ws, ids=shown, states=[]) if shown else []
    return QueuePage(items=items, total=total, page=page, pages=pages, choices=choices)
