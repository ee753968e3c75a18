"""An HTML reply as the text a reader sees, with each client's quote marked the way plain text marks it.

Every common client wraps the message it quotes in its own container: Gmail a `gmail_quote` div,
Apple Mail and Thunderbird a `<blockquote type="cite">` (Thunderbird's header in a
`moz-cite-prefix` div), Yahoo a `yahoo_quoted` div, ProtonMail, Zoho and Zimbra their own. Each
container becomes `>` lines, so the plain-text reader (`quoting.split_reply`) finds the new words
above, below or between the quotes alike. Outlook does not wrap what it quotes: a header div
(`divRplyFwdMsg`, or a `div` with a top border holding "From:"), an `appendonsend` marker or a
`stopSpelling` rule starts it, and everything after that point is the quote.

Signature containers (Gmail's, Thunderbird's, Apple's, Outlook's, Yahoo's mobile footer) are set
apart; hidden elements are kept apart too, for the injection check. Rendering is inscriptis's
(Apache-2.0), with its strict CSS profile: no indentation is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inscriptis import Inscriptis
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from lxml import etree
from lxml import html as lxml_html

_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|font-size\s*:\s*0(?:px|pt|em|rem|%)?\s*(?:!important)?\s*(?:;|$)|visibility\s*:\s*hidden"
    r"|mso-hide\s*:\s*all",
    re.IGNORECASE,
)
_NEVER_SHOWN = ("head", "title", "style", "script", "template", "noscript", "meta", "link")
_QUOTE_CLASSES = frozenset(
    {
        "gmail_quote",
        "gmail_quote_container",
        "yahoo_quoted",
        "protonmail_quote",
        "moz-cite-prefix",
        "moz-forward-container",
        "zmail_extra",
        "OutlookMessageHeader",
    }
)
_QUOTE_IDS = re.compile(r"^(?:yahoo_quoted\w*|OLK_SRC_BODY_SECTION|x_OLK_SRC_BODY_SECTION)$")
_SIGNATURE_CLASSES = frozenset({"gmail_signature", "moz-signature", "signature"})
_SIGNATURE_IDS = re.compile(
    r"^(?:x_)?(?:Signature|AppleMailSignature|ymail_android_signature|ms-outlook-mobile-signature"
    r"|ms-outlook-ios-signature|signature)$"
)
# Where Outlook's quoted message starts; it is never wrapped, so the rest of the mail is the quote.
_OUTLOOK_START_IDS = re.compile(r"^(?:x_)?(?:divRplyFwdMsg|appendonsend|stopSpelling|OLK_SRC_BODY_SECTION)$")
_TOP_BORDER = re.compile(r"border-top\s*:\s*solid", re.IGNORECASE)
_HEADER_START = re.compile(
    r"^\s*(?:From|De|Von|Van|Da|Sent|Date|Gesendet|Envoyé|Enviado|Remitente|Expéditeur)\s*:", re.IGNORECASE
)
_CONFIG = ParserConfig(css=CSS_PROFILES["strict"].copy())


@dataclass(frozen=True)
class HtmlBody:
    text: str  # what a reader sees; quoted parts as `>` lines
    hidden: str  # what a mail client would not show
    signature: str  # the client's signature containers


def _classes(element: lxml_html.HtmlElement) -> set[str]:
    return set((element.get("class") or "").split())


def _is_hidden(element: lxml_html.HtmlElement) -> bool:
    return bool(_HIDDEN_STYLE.search(element.get("style") or "")) or element.get("hidden") is not None


def _is_quote(element: lxml_html.HtmlElement) -> bool:
    return (
        element.tag == "blockquote"
        or bool(_classes(element) & _QUOTE_CLASSES)
        or bool(_QUOTE_IDS.match(element.get("id") or ""))
        or element.get("data-marker") == "__QUOTED_TEXT__"
    )


def _is_signature(element: lxml_html.HtmlElement) -> bool:
    return bool(_classes(element) & _SIGNATURE_CLASSES) or bool(_SIGNATURE_IDS.match(element.get("id") or ""))


def _starts_outlook_quote(element: lxml_html.HtmlElement) -> bool:
    if _OUTLOOK_START_IDS.match(element.get("id") or ""):
        return True
    return (
        element.tag == "div"
        and bool(_TOP_BORDER.search(element.get("style") or ""))
        and bool(_HEADER_START.match(element.text_content()))
    )


def _elements(root: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    return [e for e in root.iter() if isinstance(e.tag, str)]


def _outermost(elements: list[lxml_html.HtmlElement]) -> list[lxml_html.HtmlElement]:
    chosen = set(elements)
    return [e for e in elements if not any(a in chosen for a in e.iterancestors())]


def _render(element: lxml_html.HtmlElement) -> str:
    text = Inscriptis(element, _CONFIG).get_text().replace("\u00a0", " ")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


def _fragment(parts: list[lxml_html.HtmlElement]) -> lxml_html.HtmlElement:
    """The elements (with their tails) moved under one new div, in order."""
    holder = lxml_html.Element("div")
    for part in parts:
        holder.append(part)  # moves it, tail included
    return holder


def _as_quote(text: str) -> lxml_html.HtmlElement:
    block = lxml_html.Element("pre")
    block.text = "\n" + "\n".join(f"> {line}" if line else ">" for line in text.splitlines()) + "\n"
    return block


def _take(element: lxml_html.HtmlElement) -> str:
    """Remove an element (its tail stays in place) and return its text, shown or not."""
    text = " ".join(element.text_content().split())
    element.drop_tree()
    return text


def _copy(element: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(lxml_html.tostring(element, with_tail=False))


def _quote_rest(root: lxml_html.HtmlElement) -> None:
    """From Outlook's start marker to the end of the mail, as one quote."""
    start = next((e for e in _elements(root) if _starts_outlook_quote(e)), None)
    if start is None:
        return
    moved: list[lxml_html.HtmlElement] = [start, *start.itersiblings()]
    node = start.getparent()
    while node is not None and node.getparent() is not None and node.tag != "body":
        moved.extend(node.itersiblings())
        node = node.getparent()
    text = _render(_fragment(moved))
    body = root.find("body")
    (body if body is not None else root).append(_as_quote(text))


def read_html(html: str) -> HtmlBody:
    """The shown text (quotes as `>` lines), the hidden text and the signature of an HTML body."""
    if not html.strip():
        return HtmlBody("", "", "")
    try:
        root = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return HtmlBody("", "", "")
    for element in list(root.iter(*_NEVER_SHOWN)):
        element.drop_tree()
    hidden = [_take(e) for e in _outermost([e for e in _elements(root) if _is_hidden(e)])]
    for quote in _outermost([e for e in _elements(root) if _is_quote(e)]):
        replacement = _as_quote(_render(_fragment([_copy(quote)])))
        replacement.tail = quote.tail
        quote.getparent().replace(quote, replacement)
    _quote_rest(root)
    # After the quotes: a signature inside our quoted message is ours, not the prospect's.
    signature = [_take(e) for e in _outermost([e for e in _elements(root) if _is_signature(e)])]
    return HtmlBody(
        _render(root),
        "\n".join(t for t in hidden if t),
        "\n".join(t for t in signature if t),
    )
