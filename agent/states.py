"""The states a lead, an enrollment and an outgoing message move through (no dependencies)."""

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


class Origin(StrEnum):
    """What put a message in the outbox."""

    sequence_step = "sequence_step"  # a step of a campaign's sequence (email, LinkedIn, call task)
    reply_answer = "reply_answer"  # an answer to a prospect's reply, or a nurture touch
    meeting_letter = "meeting_letter"  # a meeting offer, confirmation, update or invitation
    inbound_answer = "inbound_answer"  # the first answer to an inbound lead
    notification = "notification"  # a note to the people who follow leads


class Audience(StrEnum):
    """Who reads it: a prospect's email carries the compliance footer and one-click unsubscribe."""

    prospect = "prospect"
    ae = "ae"  # the account executive a meeting is booked for
    team = "team"  # the people who follow inbound leads


class OutboxState(StrEnum):
    """One lifecycle for every outgoing message.

    pending_review -> approved -> sending -> sent | uncertain | failed
    A person may reject what awaits review; a check failure flags it (a person edits it); a
    suppressed address blocks it; a stopped sequence or a moved meeting cancels it.
    """

    pending_review = "pending_review"
    flagged = "flagged"  # failed a check: never sent until a person fixes it and it passes
    approved = "approved"  # goes out when due
    sending = "sending"  # claimed by a sender: a crash leaves it for the transport to confirm
    sent = "sent"
    uncertain = "uncertain"  # a crash mid-delivery on a transport that cannot tell: a person resolves it
    failed = "failed"  # the transport refused it: a person retries or rejects it
    blocked = "blocked"  # the address is suppressed: never sent
    rejected = "rejected"  # a person said no
    cancelled = "cancelled"  # no longer wanted: the sequence stopped, the meeting moved


AWAITING_PERSON = (
    OutboxState.pending_review,
    OutboxState.flagged,
    OutboxState.uncertain,
    OutboxState.failed,
)
UNSENT = (OutboxState.pending_review, OutboxState.flagged, OutboxState.approved)
FINISHED = (
    OutboxState.sent,
    OutboxState.blocked,
    OutboxState.rejected,
    OutboxState.cancelled,
)
DELIVERED_OR_MAYBE = (OutboxState.sending, OutboxState.sent, OutboxState.uncertain)
