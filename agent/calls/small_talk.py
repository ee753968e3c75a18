"""Greetings, thanks, goodbyes and fillers: what a call says that no rep can use.

Sentence by sentence: a short sentence that only greets, thanks, introduces the speaker or takes
leave is small talk. What is left of a turn is its substance; a turn with none, or with nothing
but acknowledgements ("Okay.", "Got it."), makes no moment. Short sentences only: "Thanks, that's the part
that hurts: we eat seventy percent of detention" says something, whatever it starts with.
"""

from __future__ import annotations

import re

SHORT = 14  # words: small talk is short; a longer sentence says something whatever its first word

# Names are capitalised, so patterns are case-sensitive and read the words around names case-blind.
_NAME = r"[A-Z][\w'’.-]*"
_NAMES = rf"{_NAME}( {_NAME}){{0,3}}"
_SMALL_TALK = [
    re.compile(pattern)
    for pattern in (
        # greetings, with or without the names they are addressed to
        r"^(?i:hi|hello|hey|good (morning|afternoon|evening))\b",
        r"\b(?i:(nice|great|good|lovely) to (meet|see|hear from|talk to) (you|both|everyone))\b",
        r"\b(?i:happy (new year|holidays|monday|friday))\b",
        r"\b(?i:(hi|hello) (both|all|everyone))\b",
        # thanks for the time, and thanks alone
        r"\b(?i:thanks?( you)? (for|to) (making|taking|joining|having|the time|your time|getting back|the call))",
        r"^(?i:(ok(ay)?|great|perfect|good|understood|no problem),? )?(?i:thanks|thank you|cheers|appreciated?)"
        rf"(?i:( it| the time))?([,.]? ((?i:both|all|everyone|so much|to you both|both of you|again)|{_NAME}))*[.!]*$",
        r"\b(?i:appreciate (the|your) time)\b",
        rf"^({_NAME}, )+(?i:thanks|thank you)[.!]*$",
        # introductions and answering the phone
        rf"^(?i:this is|it's) {_NAMES}( (?i:at|from|with) {_NAMES})?[.!]*$",
        rf", (?i:this is|it's) {_NAME}[.!]*$",
        rf"^{_NAME}, (?i:this is|it's) {_NAMES}( (?i:at|from|with) {_NAMES})?[.!]*$",
        rf"^{_NAMES},? (?i:at|from|with) {_NAMES}[.!]*$",
        rf"^(?i:this is) {_NAMES}, the \w+( \w+)? (?i:i mentioned)",
        r"^(?i:speaking)[.!]*$",
        # goodbyes and good wishes
        r"\b(?i:bye|goodbye|talk (soon|later|then|tomorrow|on \w+day|\w+day))[.!]*$",
        r"^(?i:see you|have a (good|great|nice) (one|day|week|weekend|evening))\b",
        r"\b(?i:good luck with)\b",
        r"^(?i:(nice|great|good) (demo|call|meeting|session|chat))[.!]*$",
    )
]
# Acknowledgements carry nothing, but inside a turn they lead into what follows ("Right. Most of our
# contracts..."), so they only make a turn empty when they are all that is left of it.
_FILLER = [
    re.compile(pattern)
    for pattern in (
        r"^(?i:yes|yeah|yep|yup|sure|okay|ok|right|great|perfect|good|fine|got it|will do|understood|exactly|correct"
        r"|absolutely|of course|no problem|sounds good|please|that's me|yeah, yeah|mm-?hmm|uh-?huh|huh)[,.!]*"
        r"( (?i:both|yeah|then|thanks))?[.!]*$",
    )
]
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def is_small_talk(sentence: str) -> bool:
    text = sentence.strip()
    if not text:
        return True
    if len(text.split()) > SHORT:
        return False
    return any(pattern.search(text) for pattern in _SMALL_TALK)


def is_filler(sentence: str) -> bool:
    return any(pattern.search(sentence.strip()) for pattern in _FILLER)


def substance(turn: str) -> str:
    """The turn without its small-talk sentences ("" when nothing but small talk and fillers is left)."""
    kept = [s for s in _SENTENCE.split(turn.strip()) if not is_small_talk(s)]
    return "" if all(is_filler(s) for s in kept) else " ".join(kept)
