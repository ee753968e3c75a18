"""The prospect's new words in a plain-text reply: quoted history and signatures set apart.

Mail clients quote in a few shapes, and each needs its own reading:
- a "wrote" line ("On ... wrote:", "Am ... schrieb ...:", "El ... escribió:", "Le ... a écrit :",
  "Em ... escreveu:"), on one line or wrapped over two or three, followed by `>` lines (the quote
  ends where they end: what follows is an answer below the quote, or between its lines) or by
  the quoted text itself (then the rest of the mail is the quote);
- a header block (From/Sent/To/Subject and their translations, in Outlook's, Apple's, Gmail's,
  BlackBerry's and webmail orders), with or without an "Original Message" or underscore line
  above it, and forwarded-message markers: the rest of the mail is the quote;
- `>` lines anywhere (top-posting, bottom-posting, inline answers).

Signatures are split off the new words only where a client marks them beyond doubt: the `-- `
delimiter (RFC 3676), mobile and app footers ("Sent from my iPhone", "Enviado desde mi",
"Von meinem ... gesendet", "Envoyé de mon", "Enviado do meu", "Get Outlook for ..."), and legal
disclaimer paragraphs. A closing like "Best," is left alone: the lines after it may still be a
person's words ("Thanks, Dana. Please take me off your list.") and a missed opt-out is a legal
failure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Header fields, as clients write them in the five languages (and Dutch/Italian seen in the wild).
_FROM_FIELD = r"(?:From|De|Von|Van|Da|Remitente|Absender|Expéditeur|Remetente)"
_OTHER_FIELD = (
    r"(?:Sent|Date|To|Cc|Bcc|Subject|Reply-To|Importance|Envoyé|Date d'envoi|À|Objet|Répondre à|Gesendet"
    r"|Datum|An|Betreff|Kopie|Antwort an|Enviado(?: el)?|Fecha|Para|Asunto|CC|Responder a|Data|Assunto"
    r"|Enviada em|Enviado em|Responder para)"
)
_FIELD_LINE = re.compile(rf"^[*_\s]*(?:{_FROM_FIELD}|{_OTHER_FIELD})[*_\s]*:", re.IGNORECASE)
_FROM_LINE = re.compile(rf"^[*_\s]*{_FROM_FIELD}[*_\s]*:\s*\S", re.IGNORECASE)
# Lines that start the quoted or forwarded message whatever follows them.
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}|_{2,}|={2,})?\s*(?:Original Message|Original message|Ursprüngliche Nachricht|Originalnachricht"
    r"|Message d'origine|Message original|Mensaje original|Mensagem original|Mensagem Original"
    r"|Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Mensagem encaminhada"
    r"|Mensaje Reenviado)\s*(?:-{2,}|_{2,}|={2,})?\s*$"
    r"|^\s*(?:Begin forwarded message|Anfang der weitergeleiteten Nachricht|Début du message réexpédié"
    r"|Inicio del mensaje reenviado|Início da mensagem reencaminhada|Início da mensagem encaminhada)\s*:\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:_{10,}|-{10,})\s*$")

# "Wrote" lines, matched on up to three joined lines. Each starts as its client writes it and ends
# with the language's verb; a date or time (a digit) must be in it, so prose does not match.
_WROTE_VERB = (
    r"(?:wrote|schrieb[^:]{0,200}|hat[^:]{0,200}geschrieben|escribió|escribio|a écrit|a ecrit|escreveu"
    r"|ha scritto|schreef|skrev)"
)
_WROTE = re.compile(
    rf"^(?:On|Am|El|Le|Em|Il|Op|Den|No dia|Às|El día|Le \w+)\b.{{3,300}}?\b{_WROTE_VERB}\s*:\s*$"
    # Gmail's older non-English form: "2026-11-19 9:00 GMT-03:00 Maya Okafor <maya@x.example>:"
    r"|^\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}(?:\s*GMT[+-]\d{1,2}:?\d{2})?\s+.{1,200}:\s*$",
    re.IGNORECASE,
)
# "Maya Okafor <maya@x.example> wrote:" with no date: a header only when `>` lines follow.
_WROTE_BARE = re.compile(rf"^.{{1,200}}\b{_WROTE_VERB}\s*:\s*$", re.IGNORECASE)
_MAX_HEADER_LINES = 3

# Mobile and app footers, each alone on its line. A device's name may hold a comma only before a
# capital ("Sent from my Verizon, Samsung Galaxy smartphone"): "Enviado desde mi móvil, no me
# escriban más" is a person's words, and so is any line that speaks to someone ("... please remove me").
_DEVICE = r"(?:[\w '&®™()/+-]|\.(?=\w)|,(?= (?-i:[A-Z0-9]))){2,60}\.?(?:\s*<[^>\s]+>)?"
_FOOTER = re.compile(
    r"^\s*(?!.*\b(?:me|us|please|pls|stop|remove|bitte|mich|uns|moi|nous|svp|por favor|nos|mim|pare|parem)\b)(?:"
    rf"Sent (?:from|with|via|using) (?:my |the |a )?{_DEVICE}"
    rf"|(?:Get|Download) (?:Outlook|BlueMail|TypeApp) for {_DEVICE}"
    rf"|Enviado (?:desde|con|do|a partir do|pelo|pela|de) (?:mi |meu |minha |o |a )?{_DEVICE}"
    rf"|Obt(?:én|ener|enha|er o) Outlook para {_DEVICE}"
    rf"|Envoyé (?:de|depuis|à partir de|avec) (?:mon |ma |l'|la |le )?{_DEVICE}"
    rf"|Obtenir Outlook pour {_DEVICE}"
    rf"|Von meine(?:m|r) {_DEVICE} gesendet"
    rf"|Gesendet (?:von|mit|vom|über) (?:meinem |meiner |der |dem )?{_DEVICE}"
    rf"|Von {_DEVICE} für {_DEVICE} gesendet"
    rf"|Outlook für {_DEVICE} (?:herunterladen|beziehen)"
    r")\s*$",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = re.compile(r"^--\s?$")
_MAX_SIGNATURE_LINES = 12
# Legal disclaimers, on text without accents and in lower case.
_DISCLAIMER = re.compile(
    r"intended (?:solely |only |exclusively )?for the (?:sole )?(?:use of the )?(?:named )?"
    r"(?:addressee|recipient|individual|person|entity)"
    r"|if you (?:have )?received this (?:e ?-?mail|message|communication|transmission) (?:in error|by mistake)"
    r"|confidentiality notice|privileged and confidential|this (?:e ?-?mail|message) (?:and any [\w ,]{0,40})?"
    r"(?:is|are|may be|contains?) (?:strictly )?(?:confidential|privileged)"
    r"|(?:este|el presente) (?:mensaje|correo)[^.]{0,100}confidencial"
    r"|si (?:usted )?(?:ha )?recibido este (?:mensaje|correo)[^.]{0,20}(?:por error|por equivocacion)"
    r"|ce (?:message|courriel|mail|e ?-?mail)[^.]{0,100}confidenti"
    r"|si vous (?:avez )?recu ce (?:message|courriel|mail)[^.]{0,20}par erreur"
    r"|diese (?:e ?-?mail|nachricht)[^.]{0,100}vertraulich|irrtumlich erhalten|nicht der (?:richtige )?adressat"
    r"|(?:esta|este) (?:mensagem|e ?-?mail)[^.]{0,100}confidencia"
    r"|recebeu (?:esta|este) (?:mensagem|e ?-?mail)[^.]{0,20}por (?:engano|erro)"
)

_DISCLAIMER_TITLE = re.compile(
    r"^\W*(?:confidentiality notice|disclaimer|legal notice|aviso legal|aviso de confidencialidad|avis de "
    r"confidentialite|avertissement|haftungsausschluss|vertraulichkeitshinweis|aviso de confidencialidade)\b"
)


@dataclass(frozen=True)
class ReplyParts:
    """A reply split into the prospect's new words, the history they quoted, and their signature."""

    new: str
    quoted: str
    signature: str


def _flat(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _next_filled(lines: list[str], start: int) -> int | None:
    return next((k for k in range(start, len(lines)) if lines[k].strip()), None)


def _wrote_header(lines: list[str], start: int) -> int | None:
    """The last line of a "wrote" header starting at `start`, if one does."""
    joined = ""
    for end in range(start, min(start + _MAX_HEADER_LINES, len(lines))):
        line = lines[end].strip()
        if not line or _is_quoted(line):
            return None
        joined = f"{joined} {line}".strip() if joined else line
        joined = re.sub(r"<\s+", "<", re.sub(r"\s+>", ">", joined))
        if _WROTE.match(joined) and re.search(r"\d", joined):
            return end
        if _WROTE_BARE.match(joined):
            after = _next_filled(lines, end + 1)
            return end if after is not None and _is_quoted(lines[after]) else None
    return None


def _header_block(lines: list[str], start: int) -> bool:
    """Whether a quoted message's header block (or its separator line) starts at `start`."""
    line = lines[start]
    if _SEPARATOR.match(line):
        return True
    window = [ln for ln in lines[start : start + 8] if ln.strip()]
    if _RULE.match(line):
        return bool(window[1:]) and bool(_FIELD_LINE.match(window[1]))
    if not _FIELD_LINE.match(line):
        return False
    fields = [ln for ln in window[:6] if _FIELD_LINE.match(ln)]
    # A From line alone is prose ("From: our side, budget is fine"); a block has two more fields.
    return len(fields) >= 3 and any(_FROM_LINE.match(ln) for ln in fields)


def _signature_split(lines: list[str]) -> tuple[list[str], list[str]]:
    """(the person's lines, the signature's) of one stretch of new text."""
    kept: list[str] = []
    signature: list[str] = []
    for index, line in enumerate(lines):
        rest = [ln for ln in lines[index + 1 :] if ln.strip()]
        if _SIGNATURE_DELIMITER.match(line) and len(rest) <= _MAX_SIGNATURE_LINES:
            signature.extend(lines[index:])
            break
        if _FOOTER.match(line):
            signature.append(line)
            continue
        kept.append(line)
    return _without_disclaimers(kept, signature)


def _is_disclaimer(paragraph: list[str]) -> bool:
    """A paragraph that opens as a legal disclaimer: a person's request never starts that way."""
    flat = re.sub(r"\s+", " ", _flat(" ".join(paragraph)))
    first = re.split(r"(?<=[.!?])\s", flat, maxsplit=1)[0]
    return bool(_DISCLAIMER_TITLE.match(flat) or _DISCLAIMER.search(first))


def _without_disclaimers(lines: list[str], signature: list[str]) -> tuple[list[str], list[str]]:
    kept: list[str] = []
    paragraph: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            paragraph.append(line)
            continue
        if paragraph and _is_disclaimer(paragraph):
            signature.extend(paragraph)
        else:
            kept.extend(paragraph)
        kept.append(line)
        paragraph = []
    return kept[:-1], signature


def _joined(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def split_reply(text: str) -> ReplyParts:
    """The reply's new words, the quoted history and the signature, from its plain text."""
    lines = [line.replace("\u00a0", " ").rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    new: list[list[str]] = [[]]  # stretches of new text, each cut apart by a quote
    quoted: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_quoted(line):
            quoted.append(line)
            if new[-1]:
                new.append([])
            index += 1
            continue
        if _header_block(lines, index):
            quoted.extend(lines[index:])
            break
        end = _wrote_header(lines, index)
        if end is not None:
            after = _next_filled(lines, end + 1)
            if after is None or not _is_quoted(lines[after]):
                quoted.extend(lines[index:])
                break
            quoted.extend(lines[index : end + 1])
            if new[-1]:
                new.append([])
            index = end + 1
            continue
        new[-1].append(line)
        index += 1
    kept: list[str] = []
    signature: list[str] = []
    for stretch in new:
        person, signed = _signature_split(stretch)
        if kept and person:
            kept.append("")
        kept.extend(person)
        signature.extend(signed)
    return ReplyParts(_joined(kept), _joined(quoted), _joined(signature))
