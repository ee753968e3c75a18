"""The agent's background work, shared by as many worker processes as a team runs (`sdr worker`,
and the server's own worker): answer recorded inbound leads, read the replies the webhooks kept,
and send what is approved and due. Every piece of work is claimed first (one conditional update;
on PostgreSQL past the rows other workers hold), so each is done once; a worker that stops leaves
its claims, and they are taken up again as soon as it is known to be gone (`agent.claims`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from agent.inbound.answer import answer_claimed, claim_lead, reader_of, unanswered
from agent.replies import mailroom
from agent.replies.classify import ReplyReader
from agent.sending.sender import SendSummary, send_due
from agent.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class Round:
    leads: list[int] = field(default_factory=list)
    mail: int = 0
    sent: SendSummary | None = None

    @property
    def did_something(self) -> bool:
        return bool(self.leads or self.mail or (self.sent and (self.sent.sent or self.sent.recovered)))


class Worker:
    """`steps`: also send the sequences' cold steps that are due (the server's own worker leaves
    them to `sdr send` or `sdr worker` unless told)."""

    def __init__(self, ws: Workspace, *, reader: ReplyReader | None = None, steps: bool = True) -> None:
        self.ws, self._reader, self.steps = ws, reader, steps

    @property
    def reader(self) -> ReplyReader:
        if self._reader is None:
            self._reader = reader_of(self.ws)
        return self._reader

    def round(self) -> Round:
        done = Round()
        unanswered(self.ws)  # releases the claims of workers that stopped
        mailroom.release_stale(self.ws)
        # Every waiting lead is answered before anything is sent: a lead's answer counts once it is
        # queued, and one send for a burst of leads costs far less than one per lead.
        while (lead_id := claim_lead(self.ws)) is not None:
            answer_claimed(self.ws, lead_id, reader=self.reader, send=False)
            done.leads.append(lead_id)
        while mailroom.handle_next(self.ws, self.reader):
            done.mail += 1
        done.sent = send_due(self.ws, steps=self.steps)
        return done

    def run(self, stop: threading.Event, wake: threading.Event | None = None, interval: float = 5.0) -> None:
        """Rounds until `stop`; a round starts at once when `wake` is set (new work came in)."""
        wake = wake or threading.Event()
        try:
            _ = self.reader  # loaded before the first lead arrives, not while it waits (about a second)
        except Exception:  # the first round tries again, and says why
            log.exception("worker: the reply reader did not load")
        while not stop.is_set():
            try:
                done = self.round()
                if done.did_something:
                    sent = len(done.sent.sent) if done.sent else 0
                    log.info("worker: %d leads, %d replies, %d sent", len(done.leads), done.mail, sent)
            except Exception:  # a bad round must not stop the worker: the next one tries again
                log.exception("worker round failed")
            wake.wait(interval)
            wake.clear()
