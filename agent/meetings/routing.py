"""Which AE takes a meeting: by territory, segment or round-robin, as the campaign file says.

The choice and its reason are kept with the meeting, so that "why did Priya get this one?" has
an answer. When no AE covers an account, the meeting still finds an owner by round-robin and the
reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.campaign.meetings import AccountExecutive, MeetingsSpec
from agent.meetings.tables import Meeting
from agent.store.tables import Account


@dataclass(frozen=True)
class Route:
    executive: AccountExecutive
    rule: str
    reason: str

    def as_record(self) -> dict[str, str]:
        return {"rule": self.rule, "reason": self.reason, "ae": self.executive.email}


def segment_of(spec: MeetingsSpec, employees: int | None) -> str | None:
    if employees is None:
        return None
    for name, band in spec.segments.items():
        if employees >= band.min_employees and (band.max_employees is None or employees <= band.max_employees):
            return name
    return None


def _least_loaded(candidates: list[AccountExecutive], load: dict[str, int]) -> AccountExecutive:
    """Round-robin by count: the AE with the fewest meetings so far, file order breaking ties."""
    return min(candidates, key=lambda ae: (load.get(ae.email.lower(), 0), candidates.index(ae)))


def choose(spec: MeetingsSpec, account: Account, load: dict[str, int]) -> Route:
    everyone = spec.account_executives
    if spec.routing == "territory":
        # A region named on an AE ("Nevada") is more specific than a country ("US").
        for place in (account.region, account.country):
            covering = [ae for ae in everyone if place and place.lower() in {t.lower() for t in ae.territories}]
            if covering:
                ae = _least_loaded(covering, load)
                return Route(ae, "territory", f"{account.name} is in {place}, which {ae.name} covers")
        fallback = _least_loaded(everyone, load)
        where = account.region or account.country or "an unknown place"
        return Route(fallback, "round_robin", f"no AE covers {where}; round-robin chose {fallback.name}")
    if spec.routing == "segment":
        segment = segment_of(spec, account.employees)
        covering = [ae for ae in everyone if segment in ae.segments]
        if segment and covering:
            ae = _least_loaded(covering, load)
            return Route(ae, "segment", f"{account.name} ({account.employees} employees) is {segment}, {ae.name}'s")
        fallback = _least_loaded(everyone, load)
        why = f"no AE takes segment {segment}" if segment else f"{account.name}'s head count fits no segment"
        return Route(fallback, "round_robin", f"{why}; round-robin chose {fallback.name}")
    ae = _least_loaded(everyone, load)
    return Route(ae, "round_robin", f"round-robin: {ae.name} had the fewest meetings ({load.get(ae.email.lower(), 0)})")


def route(session: Session, spec: MeetingsSpec, account: Account) -> Route:
    email = func.lower(Meeting.ae_email)
    rows = session.execute(select(email, func.count()).where(Meeting.status != "failed").group_by(email))
    return choose(spec, account, {email: count for email, count in rows})
