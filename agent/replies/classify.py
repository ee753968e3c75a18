"""Three tiers, cheapest first: rules, then the classifier, then the model; each reply records
which one decided it.

No store and no campaign are needed here: `sdr replies classify --jsonl`, the eval suite and
the inbound path all call `ReplyReader.read`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from agent import clock
from agent.errors import ModelError
from agent.llm import LLM
from agent.replies import resume_dates, rules
from agent.replies.classifier import Guess, IntentClassifier, load_classifier, words_to_classify
from agent.replies.extract import (
    ALL_FIELDS,
    BANT,
    NEEDS,
    ModelReading,
    ask_model,
    checked_fields,
    checked_referral,
    referral_from_text,
)
from agent.replies.ingest import Inbound
from agent.replies.model import DecidedBy, Flag, Intent, Qualification, ReplyAnalysis
from agent.timex import read_times

Mode = Literal["tiers", "llm_only", "no_llm"]
# When the classifier's second thoughts include an opt-out this likely, suppress: a missed
# opt-out is a legal failure, an unneeded one loses one prospect.
OPT_OUT_DOUBT = 0.2
# A small model's answer budget: four null quotes fit in 48 tokens, an intent in 24; a longer
# answer from it is padding or noise (measured on SmolLM2-135M), and each token costs ~50 ms.
SMALL_FIELDS_TOKENS = 48
SMALL_INTENT_TOKENS = 24
LANGUAGES = ("en", "es", "fr", "de", "pt")


@cache
def _language_identifier() -> LanguageIdentifier:
    # py3langid's model ships inside the package: nothing is downloaded. Limited to the five
    # languages we answer in. Measured on the replies (bounces aside) against the stop-word counts
    # it replaced: eval set 0.994 vs 0.983, training set 0.986 vs 0.954 (Portuguese 20/22 vs 14/22).
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    if not re.search(r"[^\W\d_]{2,}", text):
        return "en"
    return str(_language_identifier().classify(text)[0])


def _words(reply: Inbound, text: str) -> str:
    """What the classifier reads of a reply's visible text (injections taken out)."""
    return words_to_classify(text, reply.from_name) or reply.subject


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


@dataclass
class ReplyReader:
    classifier: IntentClassifier | None
    llm: LLM | None = None
    mode: Mode = "tiers"
    ours: frozenset[str] = frozenset()  # our own mailboxes: never "the bounced address"
    trust_model_intent: bool | None = None  # None: when the model can write (a capable one)
    # A small model's BANT quotes, measured on SmolLM2-135M: 14 calls, 9 truncated, every quote it
    # gave a fragment pasted into all four fields, ~2 minutes a call on a busy 2-core machine.
    # Off by default; the rules and the classifier carry a small model's workspace.
    small_model_fields: bool = False
    model_failures: list[str] = field(default_factory=list)

    @classmethod
    def for_workspace(cls, cache_dir: Path, llm: LLM | None, mode: Mode = "tiers") -> ReplyReader:
        _language_identifier()  # every reading needs it: loaded with the reader, not on the first message (0.8 s)
        return cls(load_classifier(cache_dir) if mode != "llm_only" else None, llm, mode)

    def _trusts_model(self) -> bool:
        if self.trust_model_intent is not None:
            return self.trust_model_intent
        return self.llm is not None and self.llm.handle.capable_writer

    def read(
        self,
        reply: Inbound,
        *,
        timezone: str | None = None,
        received_at: datetime | None = None,
        ids: dict[str, int | None] | None = None,
    ) -> ReplyAnalysis:
        tz = _zone(timezone)
        when = received_at or reply.received_at or clock.now()
        local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(tz)
        verdict = rules.decide(reply, self.ours)
        text = rules.without_injections(reply.visible, verdict.injected)
        language = detect_language(text)
        if self.mode == "llm_only":
            analysis = self._model_decides(reply, text, language, ids, [], None)
        elif verdict.intent is not None:
            analysis = ReplyAnalysis(
                intent=verdict.intent,
                language=language,
                decided_by=DecidedBy.rule,
                confidence=1.0 if not verdict.reasons[0].startswith("auto-reply phrasing") else 0.9,
                reasons=verdict.reasons,
                bounced_address=verdict.bounced_address,
            )
            if verdict.intent is Intent.bounce and not verdict.permanent:
                analysis.flag(Flag.needs_review)
                analysis.reasons.append("temporary or policy failure: the address may still be good")
        else:
            analysis = self._classify(reply, text, language, ids)
        if (
            analysis.intent is Intent.unsubscribe
            and analysis.decided_by is not DecidedBy.rule
            and Flag.needs_review in analysis.flags
        ):
            # No opt-out phrase and no certainty: held (nothing is sent) while a person decides, not
            # suppressed for good; a missed opt-out is the legal failure, a false one loses a prospect.
            analysis.flag(Flag.opt_out_in_doubt)
        self._dates(analysis, text, local)
        if (
            analysis.intent in (Intent.referral, Intent.unsubscribe)
            and analysis.referral is None
            and self.mode != "llm_only"
        ):
            analysis.referral = referral_from_text(text, reply.from_address, self.ours)
        if verdict.injection:
            analysis.flag(Flag.injection_suspected, Flag.needs_review)
            analysis.reasons.append(f"tries to steer the agent: {verdict.injected[0][:80]!r}")
        if not text.strip() and analysis.intent not in (Intent.bounce, Intent.out_of_office):
            analysis.flag(Flag.needs_review)
        if not analysis.summary:
            analysis.summary = _summary(analysis, text)
        return analysis

    def read_ahead(self, reply: Inbound) -> None:
        """Start the classifier's embedding of a message `read` will be given soon, on a spare core:
        `read` then finds it done (a worker reads the next leads' messages while it answers this one)."""
        if self.classifier is None or self.mode == "llm_only":
            return
        verdict = rules.decide(reply, self.ours)
        if verdict.intent is None:  # the rules decide this one: the classifier never reads it
            self.classifier.ahead(_words(reply, rules.without_injections(reply.visible, verdict.injected)))

    def _classify(self, reply: Inbound, text: str, language: str, ids: dict[str, int | None] | None) -> ReplyAnalysis:
        if self.classifier is None:  # the model alone decides (tests with a scripted model, or no classifier)
            return self._model_decides(reply, text, language, ids, list(Intent), None)
        guess = self.classifier.classify_one(_words(reply, text))
        unsub = guess.probability_of(Intent.unsubscribe)
        if guess.intent is not Intent.unsubscribe and unsub >= OPT_OUT_DOUBT and rules.OPT_OUT_CUES.search(text):
            return ReplyAnalysis(
                intent=Intent.unsubscribe,
                language=language,
                decided_by=DecidedBy.classifier,
                confidence=unsub,
                flags=[Flag.needs_review],
                reasons=[f"opt-out in doubt (p={unsub:.2f}): held for a person"],
            )
        # Only a capable model may overrule the classifier: a small one guesses worse (measured).
        if guess.sure or self.llm is None or self.mode == "no_llm" or not self._trusts_model():
            analysis = ReplyAnalysis(
                intent=guess.intent,
                language=language,
                decided_by=DecidedBy.classifier,
                confidence=guess.probability,
                reasons=[f"classifier p={guess.probability:.2f}"],
            )
            if not guess.sure:
                analysis.flag(Flag.needs_review)
            if self.llm is not None and self.mode == "tiers":
                self._fields(analysis, reply, text, ids)
            return analysis
        return self._model_decides(reply, text, language, ids, [i for i, _ in guess.ranked], guess)

    def _model_decides(
        self,
        reply: Inbound,
        text: str,
        language: str,
        ids: dict[str, int | None] | None,
        ranked: list[Intent],
        guess: object,
    ) -> ReplyAnalysis:
        fallback = guess if isinstance(guess, Guess) else None
        try:
            assert self.llm is not None
            # A small model is asked for the intent alone: its quotes are noise and each token costs.
            capable = self._trusts_model()
            reading = ask_model(
                self.llm,
                subject=reply.subject,
                text=text,
                fields=ALL_FIELDS if capable else (),
                intents=list(Intent),
                ids=ids,
                max_tokens=None if capable else SMALL_INTENT_TOKENS,
            )
        except ModelError as exc:
            self.model_failures.append(str(exc))
            if fallback is None:
                return ReplyAnalysis(
                    intent=Intent.question,
                    language=language,
                    decided_by=DecidedBy.llm,
                    confidence=0.0,
                    flags=[Flag.needs_review],
                    reasons=[f"model failed: {exc}"],
                )
            return ReplyAnalysis(
                intent=fallback.intent,
                language=language,
                decided_by=DecidedBy.classifier,
                confidence=fallback.probability,
                flags=[Flag.needs_review],
                reasons=[f"classifier p={fallback.probability:.2f}; model failed"],
            )
        intent = reading.intent or (fallback.intent if fallback else Intent.question)
        decided_by, confidence = DecidedBy.llm, 0.6 if intent in ranked[:3] else 0.4
        reasons = [f"model read it as {intent}"]
        analysis = ReplyAnalysis(
            intent=intent, language=language, decided_by=decided_by, confidence=confidence, reasons=reasons
        )
        if confidence < 0.5:
            analysis.flag(Flag.needs_review)
        self._apply(analysis, reading, text)
        return analysis

    def _fields(self, analysis: ReplyAnalysis, reply: Inbound, text: str, ids: dict[str, int | None] | None) -> None:
        needs = NEEDS.get(analysis.intent, ())
        if not self._trusts_model():
            if not self.small_model_fields:
                return
            needs = tuple(f for f in needs if f in BANT)  # the BANT quotes only, checked word for word
        if not needs or self.llm is None or not text.strip():
            return
        try:
            reading = ask_model(
                self.llm,
                subject=reply.subject,
                text=text,
                fields=needs,
                intents=None,
                ids=ids,
                max_tokens=None if self._trusts_model() else SMALL_FIELDS_TOKENS,
            )
        except ModelError as exc:
            self.model_failures.append(str(exc))
            analysis.reasons.append(f"fields unread: {exc}")
            return
        self._apply(analysis, reading, text)

    @staticmethod
    def _apply(analysis: ReplyAnalysis, reading: ModelReading, text: str) -> None:
        analysis.fields = checked_fields(reading, text)
        if analysis.intent not in (Intent.objection, Intent.not_interested, Intent.not_now):
            analysis.fields = Qualification(**{**analysis.fields.model_dump(), "objection": None})
        if analysis.intent in (Intent.referral, Intent.unsubscribe):
            analysis.referral = checked_referral(reading, text) or analysis.referral
        analysis.summary = reading.summary.strip().splitlines()[0][:200] if reading.summary.strip() else ""
        analysis.date_phrase = _quote_or_none(reading.date_phrase, text)

    def _dates(self, analysis: ReplyAnalysis, text: str, local: datetime) -> None:
        today, zone = local.date(), str(local.tzinfo)
        phrase = analysis.date_phrase
        from_rules = self.mode != "llm_only"
        if analysis.intent is Intent.out_of_office:
            analysis.return_date = (resume_dates.return_date(text, today, zone) if from_rules else None) or (
                resume_dates.return_date(phrase, today, zone) if phrase else None
            )
        elif analysis.intent is Intent.not_now:
            analysis.nurture_date = (resume_dates.nurture_date(text, today, zone) if from_rules else None) or (
                resume_dates.nurture_date(phrase, today, zone) if phrase else None
            )
        elif analysis.intent in (Intent.meeting_request, Intent.reschedule):
            analysis.meeting_times = read_times(text, local, zone).named_starts


def _quote_or_none(phrase: str | None, text: str) -> str | None:
    return phrase if phrase and phrase.lower() in text.lower() else None


def _summary(analysis: ReplyAnalysis, text: str) -> str:
    """A one-line summary without a model: the intent and what matters for the next step."""
    if analysis.intent is Intent.bounce:
        return f"Delivery failed for {analysis.bounced_address or 'the address'}."
    if analysis.intent is Intent.out_of_office:
        return f"Out of office{f' until {analysis.return_date}' if analysis.return_date else ''}."
    first = next((s for s in rules.sentences(text) if len(s) > 3), "")
    return f"{analysis.intent.replace('_', ' ').capitalize()}: {first[:150]}" if first else str(analysis.intent)
