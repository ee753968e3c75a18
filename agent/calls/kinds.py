"""The kind of a moment, by rules a sales leader can read: objection, pricing, next step...

Rules, not a model: the cues of each kind are few and stable in sales conversations, the
rules run at ingest speed, and every label can be explained. Measured on moments labelled by
hand (`evals/retrieval/moment_kinds.jsonl`, scored as `kind_accuracy` by `sdr eval retrieval`).

The first rule that matches wins, most specific first: a brush-off ("just send me an email")
is an objection even though it names a next step; a competitor named with a price is about the
competitor; a prospect's question is a question unless it is an objection in question form.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Side(StrEnum):
    prospect = "prospect"
    seller = "seller"
    unknown = "unknown"


class MomentKind(StrEnum):
    objection = "objection"  # a concern or pushback, and the answer that followed
    question = "question"  # the prospect's question, and the answer
    pain = "pain"  # a problem in the prospect's own words
    competitor = "competitor"  # another vendor, a built-in module or a homegrown tool, and how it was handled
    pricing = "pricing"  # our price, terms and how they were negotiated
    next_step = "next_step"  # a meeting, a follow-up or a document agreed
    discovery = "discovery"  # a question of ours and what it drew out
    talk_track = "talk_track"  # anything else of substance: how we explained or showed something


def _cue(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_BRUSH_OFF = _cue(
    r"\b(just send (me )?(an? )?(email|something|info|information|deck)|send me (some )?(info|information|something)"
    r"|not interested|take me off|call (me )?back (in|next)|we're (all )?set|no budget)\b"
)
_NEXT_STEP = _cue(
    r"\b(send (you |me |over |it |the |a |an )|i'll send|we'll send|(send|put|set up) (an? |the )?invite"
    r"|calendar|pencil|kick-?off|follow up|check (back|in) (in|on|with|at|the|next)|next step"
    r"|(next|this) (week|monday|tuesday|wednesday|thursday|friday)|(monday|tuesday|wednesday|thursday|friday)"
    r"( morning| afternoon)? at (\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|noon)"
    r"|(book|schedule|set up) (a|the) (call|demo|meeting|workshop|session|reference call)|reference call"
    r"|(get|take) it to (legal|procurement|the board)|sign(ed)? (it )?within)\b"
)
_COMPETITOR = _cue(
    r"\b(already (use|using|have|pay for|run|got)|we use|we're on|competitor|other vendors?|another vendor|switch(ing)?"
    r"|compar(e|ing|ed)|versus|vs\.?|leaning toward|quoted us|came in .{0,30}(below|under|cheaper)|cheaper than"
    r"|instead of|built (our own|it ourselves|us a|a scheduler)|homegrown|in-house|(their|its) (portal|scheduler"
    r"|module|tool|jockey)|appointment (scheduling )?module|built-in|roadmap)\b"
)
_PRODUCT_NAME = re.compile(r"\b[A-Z][a-z]+[A-Z][a-z]+\b|\b[A-Z]\w* Reservations\b")  # YardView, DockMaster
_PRICING = _cue(
    r"\b(price|prices|pricing|priced|per (dock )?door|per (site|building|month|year)|discount|quoted?|quotes"
    r"|order form|subscription|ramp|price lock|exit clause|terminat\w*|performance clause|line item|license"
    r"|licence|(thousand|million|k) (a|per) (month|year)|over (three|two|five) years|year one|payback"
    r"|pay back|cheapest|expensive|budget)\b"
)
_OBJECTION = _cue(
    r"\b(push back|concern(ed|s)?|worried|worry|not sure|skeptic\w*|too (expensive|small|big|much|busy|early|late)"
    r"|can't|cannot|won't|don't (need|want|have|love|think|see|like)|not (keen|interested|a priority|now|before|until"
    r"|going to)|no (new|net new|time|promises)|we're (small|fine|good)|why (would|should|don't) (we|i)|burned"
    r"|policy|freeze|peak|hard to justify|delta|still (above|have to|need)|i need it|doesn't (help|fix)"
    r"|two vendors|roadmap is roadmap|but we|we're small|i'm not|my job is to be)\b"
)
_PAIN = _cue(
    r"\b(detention|dwell|wait(ing|s)?|sit(s|ting)?|late|no-?shows?|overtime|chargebacks?|fines?|penalt\w+"
    r"|complain\w*|hurts?|pain|problem|nightmare|brutal|chaos|mess|lost|lose|hunting|jam\w*|pile|backed up"
    r"|keeps me up|eat (it|maybe)|costs? (us|me)|costing|idle|slammed|stand around|scrambl\w+|bottleneck|worst"
    r"|bad (day|week)|spreadsheet|whiteboard|phone|calling|overflow|claims?|spoil\w*)\b"
)


def label(turns: list[tuple[Side, str]]) -> MomentKind:
    """The kind of a moment: its turns in order, each with the side that spoke it."""
    first_side, first = turns[0]
    text = " ".join(said for _, said in turns)
    prospect = " ".join(said for side, said in turns if side is not Side.seller)
    asks = first_side is not Side.seller and "?" in first
    if _BRUSH_OFF.search(prospect):
        return MomentKind.objection
    if _NEXT_STEP.search(text) and not asks:
        return MomentKind.next_step
    if _COMPETITOR.search(text) or _PRODUCT_NAME.search(text):
        return MomentKind.competitor
    if _PRICING.search(text):
        return MomentKind.pricing
    if first_side is not Side.seller and _OBJECTION.search(first):
        return MomentKind.objection
    if asks:
        return MomentKind.question
    if _PAIN.search(prospect):
        return MomentKind.pain
    if first_side is Side.seller and "?" in first:
        return MomentKind.discovery
    return MomentKind.talk_track
