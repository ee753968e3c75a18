"""The campaign file's mailboxes and their health rules: a campaign may send from several mailboxes
(each prospect's thread stays on one), a new mailbox warms up (a daily cap that grows day by day),
and a mailbox (or the whole campaign) stops sending when bounces, complaints or opt-outs over a
rolling window pass what mailbox providers tolerate (Gmail's and Yahoo's 2024 sender rules: spam
complaints under 0.3%)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from agent.strict import Strict

ADDRESS = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Warmup(Strict):
    started_on: date = Field(description="The mailbox's first day of sending.")
    first_day_cap: int = Field(default=10, ge=1, le=500)
    daily_increase: int = Field(default=5, ge=0, le=500, description="Added to the cap each day after the first.")

    def cap_on(self, day: date, full_cap: int) -> int:
        days = max(0, (day - self.started_on).days)
        return min(full_cap, self.first_day_cap + self.daily_increase * days)


class Mailbox(Strict):
    email: str = Field(pattern=ADDRESS)
    name: str | None = Field(default=None, description="The From name; the sender's name when not given.")
    daily_cap: int = Field(default=50, ge=1, le=2000, description="Emails per rolling 24 hours, once warmed up.")
    warmup: Warmup | None = None


def mailbox_for(mailboxes: list[Mailbox], contact_id: int) -> Mailbox:
    """The mailbox a prospect's thread goes out from: the same one every time, spread evenly."""
    return mailboxes[contact_id % len(mailboxes)]


class Health(Strict):
    """Circuit breakers: rates over the last `window_days`, judged once `min_sent` emails went out."""

    window_days: int = Field(default=7, ge=1, le=90)
    min_sent: int = Field(default=20, ge=1)
    max_bounce_rate: float = Field(default=0.03, gt=0, le=1)
    max_complaint_rate: float = Field(default=0.003, gt=0, le=1)
    max_opt_out_rate: float = Field(default=0.05, gt=0, le=1)
