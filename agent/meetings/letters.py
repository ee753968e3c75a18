"""The words of meeting emails: offers, questions, confirmations, moves, cancellations, AE invitations.

Times are written in the reader's own zone, with the zone's name, because "2pm" alone is how
meetings get missed. Plain templates rather than the model: these messages carry facts (times,
names) that must be exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from agent.campaign.meetings import AccountExecutive


@dataclass(frozen=True)
class People:
    prospect_first_name: str
    prospect_name: str
    prospect_title: str | None
    account: str
    prospect_tz: str
    sdr_name: str
    sdr_title: str | None
    company: str
    ae: AccountExecutive


def when(moment: datetime, tz: str) -> str:
    """ "Tuesday 24 November, 2:00 PM EST": the reader's wall clock and the zone's name."""
    local = moment.astimezone(ZoneInfo(tz))
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%A} {local.day} {local:%B}, {clock} {local.tzname()}"


def _signature(p: People) -> str:
    return "\n".join(["Best,", p.sdr_name, ", ".join(x for x in (p.sdr_title, p.company) if x)])


def _numbered(slots: list[datetime], tz: str) -> str:
    return "\n".join(f"  {n}. {when(slot, tz)}" for n, slot in enumerate(slots, 1))


def offer(p: People, slots: list[datetime], lead_in: str = "") -> tuple[str, str]:
    subject = f"Times to meet {p.ae.name} from {p.company}"
    if not slots:
        body = (
            f"Hi {p.prospect_first_name},\n\n{lead_in}{p.ae.name}'s calendar is full for the next couple of weeks. "
            "Could you tell me a day and time that suits you after that? I will hold it right away.\n\n"
        )
        return subject, body + _signature(p)
    body = (
        f"Hi {p.prospect_first_name},\n\n{lead_in}Here are a few times {p.ae.name} is free for "
        f"{p.ae.meeting_minutes} minutes (your time):\n\n{_numbered(slots, p.prospect_tz)}\n\n"
        'Just reply with the one that suits you ("the second one" is fine), or suggest another time.\n\n'
    )
    return subject, body + _signature(p)


def clarify(p: People, choices: list[datetime], slots: list[datetime], reason: str) -> tuple[str, str]:
    if len(choices) > 1:
        subject = f"Which time works for you, {p.prospect_first_name}?"
        listed = _numbered(choices, p.prospect_tz)
        body = (
            f"Hi {p.prospect_first_name},\n\nThanks! Just to be sure I book the right time, did you mean:\n\n"
            f"{listed}\n\nReply with the number and I will send the invitation.\n\n"
        )
        return subject, body + _signature(p)
    lead_in = (
        "That date doesn't exist on the calendar, so let me check which day you meant. " if "exist" in reason else ""
    )
    return offer(p, slots, lead_in or "Happy to find a time. ")


def confirm(p: People, start: datetime) -> tuple[str, str]:
    subject = f"Confirmed: {p.company} x {p.account}, {when(start, p.prospect_tz)}"
    body = (
        f"Hi {p.prospect_first_name},\n\nYou're booked with {p.ae.name} on {when(start, p.prospect_tz)} "
        f"for {p.ae.meeting_minutes} minutes. The calendar invitation is attached; if the time stops working, "
        "just reply and I will move it.\n\n"
    )
    return subject, body + _signature(p)


def moved(p: People, start: datetime) -> tuple[str, str]:
    subject = f"Moved: {p.company} x {p.account}, now {when(start, p.prospect_tz)}"
    body = (
        f"Hi {p.prospect_first_name},\n\nDone: your meeting with {p.ae.name} is now on {when(start, p.prospect_tz)}. "
        "The updated invitation is attached.\n\n"
    )
    return subject, body + _signature(p)


def cancelled(p: People, start: datetime) -> tuple[str, str]:
    subject = f"Cancelled: {p.company} x {p.account}, {when(start, p.prospect_tz)}"
    body = (
        f"Hi {p.prospect_first_name},\n\nNo problem: I have cancelled the meeting with {p.ae.name} on "
        f"{when(start, p.prospect_tz)}. If the timing changes, just reply to this email.\n\n"
    )
    return subject, body + _signature(p)


def for_ae(p: People, start: datetime, what: str, routing: str, note: str | None) -> tuple[str, str]:
    """The AE's copy: who, when in the AE's zone, why this AE, and the handoff note."""
    verb = {"confirm": "New meeting", "update": "Meeting moved", "cancel": "Meeting cancelled", "no_show": "No-show"}
    subject = f"{verb.get(what, 'Meeting')}: {p.prospect_name} ({p.account}), {when(start, p.ae.timezone)}"
    who = f"{p.prospect_name}" + (f", {p.prospect_title}" if p.prospect_title else "") + f" at {p.account}"
    lines = [
        f"Hi {p.ae.name.split()[0]},",
        "",
        f"{verb.get(what, 'Meeting')} with {who}: {when(start, p.ae.timezone)} "
        f"({when(start, p.prospect_tz)} for them), {p.ae.meeting_minutes} minutes.",
        f"Why you: {routing}",
    ]
    if note:
        lines += ["", "Handoff note (also attached):", note]
    return subject, "\n".join([*lines, "", f"-- {p.sdr_name}, {p.company} sales development"])


def ae_follow_up(p: People, start: datetime) -> tuple[str, str]:
    subject = f"No-show, yours to follow up: {p.prospect_name} ({p.account})"
    body = (
        f"Hi {p.ae.name.split()[0]},\n\n{p.prospect_name} did not join the meeting on {when(start, p.ae.timezone)}. "
        "By the campaign's no-show rule the follow-up is yours; sales development will not contact them, "
        "so they hear from one person only.\n\n"
        f"-- {p.sdr_name}"
    )
    return subject, body
