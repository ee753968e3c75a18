"""The agent's background work, shared by as many worker processes as a team runs (`sdr worker`,
and the server's own worker): answer recorded inbound leads, read the replies the webhooks kept,
send what is approved and due, and, when set, write back to the CRMs on a schedule. Every piece of
work is claimed first (one conditional update; on PostgreSQL past the rows other workers hold), so
each is done once; a worker that stops leaves its claims, and they are taken up again as soon as
it is known to be gone (`agent.claims`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar, get_args

from sqlalchemy import select

from agent import clock
from agent.campaign import CampaignSpec
from agent.campaign.inbound import InboundSpec, TemplateName, compiled
from agent.crm.sync import SyncSummary, sync_configured
from agent.inbound.answer import (
    Answered,
    answer_first,
    claim_leads,
    close,
    close_failed,
    read_ahead,
    reader_of,
    unanswered,
)
from agent.meetings.booking import BUSY_AHEAD, calendar_for
from agent.replies import mailroom
from agent.replies.classify import ReplyReader
from agent.sending.sender import SendSummary, send_due
from agent.store.tables import Campaign
from agent.timex import read_times
from agent.workspace import Workspace
from tools.calendar.base import busy_from

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class Round:
    leads: list[int] = field(default_factory=list)
    mail: int = 0
    sent: SendSummary | None = None
    crm: list[SyncSummary] = field(default_factory=list)  # written back this round, when it was due

    @property
    def did_something(self) -> bool:
        return bool(self.leads or self.mail or (self.sent and (self.sent.sent or self.sent.recovered)))


class Worker:
    """`steps`: also send the sequences' cold steps that are due (the server's own worker leaves
    them to `sdr send` or `sdr worker` unless told). `pause`: called before each piece of work;
    the server's own worker waits there while requests are being answered (see `agent.server.app`)."""

    def __init__(
        self,
        ws: Workspace,
        *,
        reader: ReplyReader | None = None,
        steps: bool = True,
        pause: Callable[[], None] | None = None,
        crm_every: timedelta | None = None,
    ) -> None:
        self.ws, self._reader, self.steps = ws, reader, steps
        self.pause = pause or (lambda: None)
        self.crm_every = crm_every  # write back to the CRMs this often (`SDR_CRM_SYNC_MINUTES`)
        self._crm_synced_at: datetime | None = None

    @property
    def reader(self) -> ReplyReader:
        if self._reader is None:
            self._reader = reader_of(self.ws)
        return self._reader

    def round(self) -> Round:
        done = Round()
        unanswered(self.ws)  # releases the claims of workers that stopped
        mailroom.release_stale(self.ws)
        # Every waiting lead is answered before anything is sent, and before any is closed (routed in
        # its record, the team told): a lead's answer counts once it is queued, so in a burst the
        # last lead waits for the others' answers only; and one send for a burst of leads costs far
        # less than one per lead.
        while answered := self._answer_waiting(done):
            for lead in answered:
                try:
                    close(self.ws, lead, send=False)
                except Exception as exc:  # its answer is queued; a person sees the lead and the error
                    log.exception("inbound lead %s: closing failed; it goes to a person", lead.lead_id)
                    close_failed(self.ws, lead.lead_id, f"{type(exc).__name__}: {exc}")
        while (mail_id := self._next(mailroom.claim_next)) is not None:
            mailroom.handle_claimed(self.ws, mail_id, self.reader)  # the reader loads for work, not for an idle round
            done.mail += 1
        self.pause()
        done.sent = send_due(self.ws, steps=self.steps)
        if self.crm_every and (self._crm_synced_at is None or clock.now() - self._crm_synced_at >= self.crm_every):
            self._crm_synced_at = clock.now()  # tried: a CRM that is down waits for the next turn
            done.crm = sync_configured(self.ws)
        return done

    def _answer_waiting(self, done: Round) -> list[Answered]:
        """Claim a few leads at a time (`claim_leads`), their messages read ahead on the spare core
        (in a burst a lead's embedding, 7-8 ms of its 30, is done by the time the worker reads it);
        the next few are claimed, and read, before the last of these is answered."""
        answered: list[Answered] = []
        claimed = self._claim()
        while claimed:
            *before, last = claimed
            for n, lead_id in enumerate(before):
                if n:
                    self.pause()
                self._answer(lead_id, answered, done)
            claimed = self._claim()  # pauses first, as before every lead
            self._answer(last, answered, done)
        return answered

    def _claim(self) -> list[int]:
        claimed = self._next(claim_leads)
        try:  # reading ahead only saves time: the claimed leads are answered (or fail, each with its error)
            if claimed:
                read_ahead(self.reader, [fields for _, fields in claimed])
        except Exception:
            log.warning("worker: the claimed leads' messages could not be read ahead", exc_info=True)
        return [lead_id for lead_id, _ in claimed]

    def _answer(self, lead_id: int, answered: list[Answered], done: Round) -> None:
        try:
            answered.append(answer_first(self.ws, lead_id, reader=self.reader, send=False))
        except Exception as exc:  # one lead's failure is that lead's: the others are answered
            log.exception("inbound lead %s: answering failed; it goes to a person", lead_id)
            close_failed(self.ws, lead_id, f"{type(exc).__name__}: {exc}")
        done.leads.append(lead_id)

    def _next(self, work: Callable[[Workspace], T]) -> T:
        self.pause()
        return work(self.ws)

    def warm_up(self) -> None:
        """Load what the first lead would otherwise wait for: the reply reader (about a second), the
        AEs' public-holiday calendars and the calendar reader (0.7 s of the first lead's 1.0 s in
        bench/speed_to_lead.py), the time reader's patterns (0.1 s); then the answers' templates,
        compiled, and the AEs' calendars, read (the first round 170 -> 153 ms, measured in-process)."""
        _ = self.reader
        with self.ws.store.transaction() as session:
            specs = [CampaignSpec.model_validate(spec) for spec in session.scalars(select(Campaign.spec))]
        now = clock.now()
        for spec in specs:
            for name in get_args(TemplateName):
                template = (spec.inbound or InboundSpec()).template(name)
                compiled(template.subject), compiled(template.body)
            for ae in spec.meetings.account_executives if spec.meetings else []:
                _ = ae.holidays
                try:
                    calendar_for(self.ws, ae).busy(now - timedelta(days=1), now + BUSY_AHEAD)  # as a booking reads it
                except Exception:  # a calendar that cannot be read now says so when a lead needs it
                    log.warning("worker: %s's calendar could not be read ahead", ae.name, exc_info=True)
        busy_from([], now, now)
        read_times("Could we meet next Tuesday at 2pm, or Wednesday morning?", now, "UTC")

    def run(self, stop: threading.Event, wake: threading.Event | None = None, interval: float = 5.0) -> None:
        """Rounds until `stop`; the next round starts at once after one that found work (more may have
        come meanwhile) or when `wake` is set (new work came in), else after `interval` seconds."""
        wake = wake or threading.Event()
        try:
            self.warm_up()  # before the first lead arrives, not while it waits
        except Exception:  # the first round tries again, and says why
            log.exception("worker: warming up failed")
        while not stop.is_set():
            busy = False
            try:
                done = self.round()
                busy = done.did_something
                if busy:
                    sent = len(done.sent.sent) if done.sent else 0
                    log.info("worker: %d leads, %d replies, %d sent", len(done.leads), done.mail, sent)
            except Exception:  # a bad round must not stop the worker: the next one tries again
                log.exception("worker round failed")
            if not busy:
                wake.wait(interval)
                wake.clear()
