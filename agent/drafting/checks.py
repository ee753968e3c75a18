"""The deterministic checks every draft passes before a reviewer sees it, and before it is sent.

A draft that fails is rewritten or flagged; a flagged draft is never sent. The checks:
placeholders, length per channel, compliance footer (email), personal claims backed by a
cited source, the patterns spam filters and buyers punish, and what sales teams measure in
good outreach (`craft`: first-email length, subject length, one ask, reading grade, nothing
copied from a source, no quotation in a connection note, the proof point that fits).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel

from agent.campaign import Channel
from agent.drafting import craft
from agent.drafting.context import DraftContext
from agent.research.facts import sentences
from agent.research.support import Support

LIMITS = {  # channel -> (min words, max words, max characters)
    Channel.email: (25, 180, 1400),
    Channel.linkedin: (8, 60, 300),  # LinkedIn connection notes stop at 300 characters
    Channel.call: (10, 600, 4500),  # notes for the rep, not sent to the prospect
}
SUBJECT_MAX = 70

_PLACEHOLDER = re.compile(
    r"(\{\{.*?\}\}|\{%.*?%\}|\{[a-z_]+\}|\[\[?[A-Z][A-Za-z _]{2,30}\]?\]|<[A-Z][A-Z_ ]{2,}>"
    r"|\bXXX+\b|\bTODO\b|\bTBD\b|\bINSERT\b)"
)
_SPAM = re.compile(
    r"(\bfree\b|\bguarantee(d)?\b|\bact now\b|\blimited time\b|\brisk[- ]free\b|\bno obligation\b|\bclick here\b"
    r"|\b100% \b|\$\$+|\bwinner\b|\burgent\b|\bcash\b|\bbuy now\b|\bonce in a lifetime\b|!{2,})",
    re.IGNORECASE,
)
_SHORTENER = re.compile(r"\b(bit\.ly|tinyurl\.com|goo\.gl|t\.co|ow\.ly|is\.gd|buff\.ly)/", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")
_SHOUTING = re.compile(r"\b[A-Z]{5,}\b")
_CLAIM_CUE = re.compile(
    r"\b(saw|noticed|read|heard|congrat\w*|your recent|you recently|just (announced|raised|opened|hired|launched)"
    r"|announced|raised|hired|hiring|launched|opened|acquired|appointed|expanding|expanded|migrating|moving to)\b",
    re.IGNORECASE,
)
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "from",
        "your",
        "you",
        "our",
        "we",
        "is",
        "are",
        "was",
        "were",
        "that",
        "this",
        "it",
        "its",
        "as",
        "be",
        "has",
        "have",
        "had",
        "just",
        "about",
        "new",
    ]
)


class Claim(BaseModel):
    text: str
    fact_id: str  # a fact id from the brief, or "campaign" for our own proof points


class StepDraft(BaseModel):
    step_number: int
    channel: Channel
    subject: str | None
    body: str
    claims: list[Claim] = []


class CheckResult(BaseModel):
    check: str
    ok: bool
    detail: str = ""


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9$%'-]+", text)


def check_placeholders(draft: StepDraft, _ctx: DraftContext, _text: str) -> CheckResult:
    found = _PLACEHOLDER.findall(f"{draft.subject or ''}\n{draft.body}")
    hits = sorted({m if isinstance(m, str) else m[0] for m in found})
    return CheckResult(check="placeholders", ok=not hits, detail=f"unfilled: {', '.join(hits)}" if hits else "")


def check_length(draft: StepDraft, _ctx: DraftContext, _text: str) -> CheckResult:
    low, high, chars = LIMITS[draft.channel]
    words = len(_words(draft.body))
    problems = []
    if not low <= words <= high:
        problems.append(f"{words} words (allowed {low}-{high})")
    if len(draft.body) > chars:
        problems.append(f"{len(draft.body)} characters (max {chars})")
    if draft.channel is Channel.email:
        subject = (draft.subject or "").strip()
        if not subject or len(subject) > SUBJECT_MAX:
            problems.append(f"subject of {len(subject)} characters (1-{SUBJECT_MAX})")
    return CheckResult(check="length", ok=not problems, detail="; ".join(problems))


def check_compliance(draft: StepDraft, ctx: DraftContext, text: str) -> CheckResult:
    if draft.channel is not Channel.email:
        return CheckResult(check="compliance", ok=True, detail="not an email")
    sender = ctx.spec.sender
    problems = []
    if sender.postal_address not in text:
        problems.append("no postal address")
    if "unsubscribe" not in text.lower() or sender.unsubscribe_url not in text:
        problems.append("no unsubscribe line with link")
    return CheckResult(check="compliance", ok=not problems, detail="; ".join(problems))


def check_claims(draft: StepDraft, ctx: DraftContext, _text: str) -> CheckResult:
    """Every sentence that states something about the prospect rests on a cited fact."""
    facts = {f.id: f"{f.source_title}. {f.text}" for f in ctx.brief.facts} if ctx.brief else {}
    bad_citations = [c.fact_id for c in draft.claims if c.fact_id != "campaign" and c.fact_id not in facts]
    if bad_citations:
        return CheckResult(check="claims", ok=False, detail=f"cites unknown facts: {', '.join(bad_citations)}")
    evidence = [facts[c.fact_id] for c in draft.claims if c.fact_id in facts]
    if draft.channel is Channel.call:
        # A call task is a note for our own rep: what other customers said on past calls may be
        # quoted there, never to a prospect.
        evidence += [f"{s.metadata.get('account', '')}: {s.text}" for s in ctx.snippets]
    support = Support(evidence, ctx.allowed_terms())
    problems = []
    for sentence in sentences(draft.body.replace("\n", " \n")):
        missing = support.missing(sentence)
        if missing:
            problems.append(f"{sentence[:80]!r} states {', '.join(missing)} with no cited source")
        elif _CLAIM_CUE.search(sentence):
            content = {w.lower() for w in _words(sentence)} - _STOP
            backed = any(len(content & {w.lower() for w in _words(e)}) >= 3 for e in evidence)
            if not backed:
                problems.append(f"{sentence[:80]!r} makes a claim no cited source backs")
    return CheckResult(check="claims", ok=not problems, detail="; ".join(problems))


def check_spam(draft: StepDraft, ctx: DraftContext, _text: str) -> CheckResult:
    if draft.channel is Channel.call:
        return CheckResult(check="spam", ok=True, detail="a note for our rep, not sent to the prospect")
    text = f"{draft.subject or ''}\n{draft.body}"
    problems = [f"spam phrase {m.group(0)!r}" for m in _SPAM.finditer(text)]
    if _SHORTENER.search(text):
        problems.append("link shortener")
    if len(_URL.findall(draft.body)) > 1:
        problems.append("more than one link")
    quoted = " ".join(c.text for c in draft.claims)  # a source's own capitals are quoted, not ours
    shouting = [w for w in _SHOUTING.findall(text) if w not in ctx.spec.value_proposition and w not in quoted]
    if shouting:
        problems.append(f"capitals: {', '.join(shouting[:3])}")
    if re.match(r"\s*(re|fwd?)\s*:", draft.subject or "", re.IGNORECASE):
        problems.append("subject pretends to be a reply or forward")
    if draft.body.count("!") > 1:
        problems.append("more than one exclamation mark")
    return CheckResult(check="spam", ok=not problems, detail="; ".join(problems))


def source_texts(ctx: DraftContext) -> list[str]:
    """What the prospect's sources say, word for word: a draft may refer to it, never copy it."""
    if not ctx.brief:
        return []
    return [f.text for f in ctx.brief.facts] + sorted({f.source_title for f in ctx.brief.facts})


def _first_email(draft: StepDraft, ctx: DraftContext) -> bool:
    first = next((n for n, step in enumerate(ctx.spec.sequence, 1) if step.channel is Channel.email), None)
    return draft.channel is Channel.email and draft.step_number == first


def check_craft(draft: StepDraft, ctx: DraftContext, _text: str) -> CheckResult:
    """The measurements of good outreach, on what the prospect reads (a call task is for our rep)."""
    if draft.channel is Channel.call:
        return CheckResult(check="craft", ok=True, detail="a note for our rep, not sent to the prospect")
    if not ctx.outreach:
        return CheckResult(check="craft", ok=True, detail="not a sequence step")
    m = craft.measure(draft.body, draft.subject, source_texts(ctx))
    problems = []
    low, high = craft.FIRST_TOUCH_WORDS
    if _first_email(draft, ctx) and not low <= m.words <= high:
        problems.append(f"first email of {m.words} words (allowed {low}-{high})")
    if m.subject_words is not None and m.subject_words > craft.SUBJECT_MAX_WORDS:
        problems.append(f"subject of {m.subject_words} words (max {craft.SUBJECT_MAX_WORDS})")
    if draft.channel is Channel.email and m.asks != 1:
        problems.append(f"{m.asks} asks (exactly one)")
    if m.grade > craft.MAX_GRADE:
        problems.append(f"reading grade {m.grade} (max {craft.MAX_GRADE:g})")
    if m.copied_words >= craft.COPIED_WORDS:
        problems.append(f"copies {m.copied_words} words of a source: {m.copied!r}")
    if draft.channel is Channel.linkedin and m.quotation_marks:
        problems.append("a connection note quotes")
    return CheckResult(check="craft", ok=not problems, detail="; ".join(problems))


def check_proof(draft: StepDraft, ctx: DraftContext, _text: str) -> CheckResult:
    """A proof point the draft cites is the one that fits this prospect (see `proof.best_proof`)."""
    if not ctx.outreach:
        return CheckResult(check="proof", ok=True, detail="not a sequence step")
    said = f"{draft.subject or ''}\n{draft.body}"
    cited = [p for p in ctx.spec.proof_points if p.text in said]
    choice = ctx.proof
    wrong = [p.text for p in cited if choice is None or p != choice.point]
    detail = f"cites a proof point that does not fit this prospect: {wrong[0][:60]!r}" if wrong else ""
    return CheckResult(check="proof", ok=not wrong, detail=detail)


CHECKS: list[Callable[[StepDraft, DraftContext, str], CheckResult]] = [
    check_placeholders,
    check_length,
    check_compliance,
    check_claims,
    check_spam,
    check_craft,
    check_proof,
]


def run_checks(draft: StepDraft, ctx: DraftContext, composed: str) -> list[CheckResult]:
    """`composed` is the text as it will go out (for email: the body with its footer)."""
    return [check(draft, ctx, composed) for check in CHECKS]


def passed(results: list[CheckResult]) -> bool:
    return all(r.ok for r in results)
