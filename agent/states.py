"""The states a lead, an enrollment, a draft and a message move through (no dependencies)."""

from enum import StrEnum


class LeadStage(StrEnum):
    new = "new"
    contacted = "contacted"
    replied = "replied"
    qualified = "qualified"
    meeting_booked = "meeting_booked"
    handed_off = "handed_off"


class EnrollmentState(StrEnum):
    active = "active"
    paused = "paused"  # e.g. out of office until a date
    stopped = "stopped"  # any reply, bounce or opt-out stops automatic follow-ups
    completed = "completed"


class DraftState(StrEnum):
    pending_review = "pending_review"
    approved = "approved"
    rejected = "rejected"
    flagged = "flagged"  # failed a check: never sent until fixed and approved
    sent = "sent"
    cancelled = "cancelled"  # the sequence stopped before this step went out


class MessageStatus(StrEnum):
    claimed = "claimed"  # written before delivery: a crash leaves this behind
    sent = "sent"
    uncertain = "uncertain"  # crashed mid-delivery on a transport that cannot confirm
    failed = "failed"
