"""The rules tier: what never needs a model. Bounces, auto-replies, opt-outs, injection attempts.

- Bounces: RFC 3464 delivery-status reports, the headers MTAs add (`X-Failed-Recipients`,
  Exchange's NDR marker), and the usual texts with an SMTP status code. A temporary failure
  (4.x.x) or a policy/spam rejection (5.7.x) may leave the address valid: it is a bounce for a
  person to review, never an address marked bad on a guess.
- Auto-replies: RFC 3834 (`Auto-Submitted`), `X-Autoreply`, `Precedence: auto_reply`, and the
  phrasing of out-of-office notes in five languages (a fifth of them carry no header at all).
- Opt-outs in English, Spanish, French, German and Portuguese, matched on a normalised text so
  that "Stop. Emailing. Me." counts. Biased to suppress: a missed opt-out is a legal failure.
- Injection: text that addresses the agent ("ignore previous instructions", "note to the AI",
  "SYSTEM:", "set intent=..."), asks for our data, or hides in invisible HTML.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from agent.replies.bounces import list_refusal
from agent.replies.ingest import Inbound
from agent.replies.model import Intent

_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY_CODE = re.compile(r"\b(5[05]\d|4[25]\d)\b[ -]")
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|bounces?|nobody)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status notification|delivery (has )?fail|mail delivery (failed|subsystem)"
    r"|returned mail|failure notice|delivery incomplete|message (not delivered|blocked)|non remis|non distribu"
    r"|unzustellbar|nicht zustellbar|no se puede entregar|no entregado|não entregue|falha na entrega"
    r"|mensagem não entregue|échec de (la )?remise|delivery failure",
    re.IGNORECASE,
)
_BOUNCE_TEXT = re.compile(
    r"could ?n[o']t be delivered|could not be delivered|wasn't able to deliver|unable to deliver|not delivered"
    r"|delivery (to the following recipient|has) failed|failed permanently|permanent (error|failure)"
    r"|undeliverable|user unknown|no such user|address not found|does not exist|doesn't exist|not found"
    r"|mailbox (unavailable|full|disabled|quota)|recipient address rejected|invalid (recipient|address)"
    r"|rejected (by|your|due)|has been blocked|relay access denied|host or domain name not found|couldn't be found"
    r"|delivery incomplete|temporary problem delivering|will retry|giving up|the following address\(es\) failed"
    r"|n'a pas pu être (remis|délivré)|introuvable|konnte nicht zugestellt|existiert nicht|unbekannt"
    r"|no se pudo entregar|error al entregar|no existe|não existe|falha na entrega|não pôde ser entregue"
    r"|final-recipient|diagnostic-code|transcript of session",
    re.IGNORECASE,
)
_LIST_SENDER = re.compile(
    r"^(?:[\w.+-]*-(?:owner|bounces?|request|admin)|owner-[\w.+-]+|mailman|listserv|sympa|majordomo|no-?reply)@"
    r"|@googlegroups\.com$",
    re.IGNORECASE,
)
_TRANSIENT = re.compile(r"will retry|temporary problem|temporarily|try again later|delayed|delay\b", re.IGNORECASE)

_AUTO_SUBJECT = re.compile(
    r"automatic reply|auto[- ]?reply|autoreply|out of (the )?office|réponse automatique|respuesta automática"
    r"|automatische antwort|abwesenheit|resposta automática|fuera de la oficina|absence",
    re.IGNORECASE,
)
_AWAY = re.compile(
    r"out of (the )?office|\booo\b|\bon (pto|vacation|holiday|annual leave|leave|maternity leave|paternity leave"
    r"|parental leave|sabbatical)|\bout (for|on) (the )?[\w ]{0,20}(holiday|vacation|break|leave)"
    r"|away from (my desk|the office)|(limited|no|spotty|intermittent) (access to )?e-?mail"
    r"|(i am|i'm|i will be|i'll be) (currently )?(out|away|traveling|travelling|off)\b.{0,60}"
    r"(back|return|until|through)"
    r"|back (at my desk|in the office)|fuera de la oficina|de vacaciones|ausente hasta|estoy fuera|estaré de vuelta"
    r"|absent(e)? du bureau|en congé|je suis absent|de retour (le|lundi|mardi|mercredi|jeudi|vendredi)"
    r"|nicht im büro|abwesend|im urlaub|in elternzeit|wieder (im büro|erreichbar)|außer haus"
    r"|fora do escritório|de férias|estou ausente|acesso (limitado|restrito) ao e-?mail|volto (na|no|em|dia)"
    r"|retorno (no dia|em)",
    re.IGNORECASE,
)

# Opt-out phrases, matched on `_normalise(text)`: lower case, no accents, punctuation as spaces.
_OPT_OUT = re.compile(
    r"\b(?:"
    + "|".join(
        [
            # English
            r"un ?sub\w*",
            r"opt(ed|ing)? (me )?out",
            r"opt me out",
            r"remove (me|my|this|our|us)\b",
            r"take (me|my \w+) off",
            r"get me off",
            r"off (your|the|all|this) (\w+ )?(list|lists|database|distribution|mailing)",
            r"(stop|quit|cease) (all )?(emailing|e mailing|contacting|sending|writing|spamming|messaging"
            r"|communication|emails)",
            r"stop (it|this|these)\b(?! with\b)",  # not "stop it with the buzzwords: what does it cost?"
            # "Don't send the contract yet", "don't email the deck to the team": an instruction about
            # a thing, not about contact; "don't send these emails", "don't email me" still opt out.
            r"(don t|do not|dont|never) (ever )?(email|e mail|contact|write|message|mail|send)"
            r"(?! (the|that|this|these|those|a|an|it|them|your|our)\b(?! (\w+ )?(e ?mails?|messages?|mails?|stuff"
            r"|junk|spam|crap|newsletters?|marketing|promos?|sequences?|follow ?ups?|address|inbox|mailbox|account"
            r"|person|number)\b))",
            r"no (more|further) (emails|e mails|messages|contact)\b(?! (needed|necessary|required)\b)",
            r"no (more|further) of (these|this|those|your)\b",
            r"do not contact",
            # "Delete my data", not "delete my last email, wrong attachment".
            r"delete (my|me|it|this|our)\b(?! (last|previous|earlier|first|other|second|prior|old)\b)",
            r"erase my",
            r"(article|artikel|articulo|artigo|art) (17|21)\b",
            r"never opted in",
            r"(report|reported|reporting) (you|this|it)?\s?(as|for|to)?\s?spam",
            r"this is spam",
            r"leave me alone\b(?! (for|until|till|during|through|over|this|next|a bit|a few|a couple)\b)",
            r"lose my (email|address|number)",
            # About contact, not a thing: not "I don't want to hear a pitch, I want numbers".
            r"(not|don t) want to (receive|hear|get)\b(?= (from|any ?more|more|these|this|those|your|emails|e mails"
            r"|messages|mails|marketing|spam|anything)\b)",
            r"(rather|prefer) not (to )?(get|receive|hear from|be contacted|be emailed)\b",
            r"(don t|do not|dont|never) follow up\b(?! (until|till|before|for|in|next|after|this|during|with)\b)",
            r"no longer (wish|want) to (receive|hear)",
            r"not to (contact|email|e mail|write|message|mail) (me|us)\b",
            r"(cease|stop|end|halt) (all |any |further )?(outreach|contact with me|communications?)\b",
            # "Please remove me", "please remove this address"; not "please remove the old pricing from the proposal".
            r"(please|pls|kindly) (stop|remove(?! (the|that|these|those|a|an)\b))"
            r"(?! (the|our|that|this|my) (meeting|invite|call|appointment|event|demo))(?<!stop(?= (by|in|over)\b))",
            # Spanish
            r"(dar|darme|denme|deme|den) de baja",
            r"baja de (su|la|vuestra|sus) list",
            r"no (me )?(envien|envies|escriban"
            r"|escribas|contacten|contactes|manden|mandes) (mas|ningun)",
            r"no quiero recibir (mas|ningun|nada|sus|vuestros|tus|estos|esos|correos|emails|e mails|mensajes"
            r"|publicidad|informacion comercial|comunicaciones)",
            r"quit(en|ame|enme|adme) (de|mi|mis|me)\b",  # not "quitame una duda" (answer me a question)
            r"(eliminen|eliminar|elimina|borren|borrar) (mis|mi)",
            r"no me (vuelvan|vuelvas) a",
            r"no (vuelvan|vuelvas) a (escribir|contactar|enviar|mandar|llamar)",
            r"dejen de (escribir|enviar"
            r"|contactar|mandar)",
            r"derecho de (supresion|oposicion)",
            r"de (su|sus|vuestra|tu) lista",
            r"sacar?me de (su|la|sus)",
            # French
            r"desinscri",
            r"desabonn",
            r"ne plus (me |m )?(contacter|ecrire|envoyer|solliciter|relancer|recontacter|adresser)",
            r"ne pas (me |m )?(contacter|ecrire|envoyer|solliciter|relancer|recontacter)\b"
            r"(?! (avant|d ici|jusqu|pendant|cette|ce mois|cet|la semaine)\b)",
            r"ne souhaite plus recevoir",
            r"ne souhaite pas recevoir (de |d )?(vos |ces |votre |les )?(mails|e mails|messages|courriels|emails"
            r"|sollicitations|communications|newsletters?|prospection)",
            r"(retirez|supprimez|effacez|enlevez) (moi|mes|mon)",
            r"supprimer mes",
            r"(cessez|arretez) de (m |me |nous )?(ecrire|contacter|envoyer|solliciter|relancer|spammer|harceler"
            r"|importuner|appeler)",
            r"(cessez|arretez) (vos|ces|les) (mails|e mails|messages|envois|relances|sollicitations)",
            r"plus (de|aucun) (mails|e mails|messages|courriels)",
            r"ne plus m (ecrire|envoyer|contacter)",
            r"ne m ecrivez plus",
            # German
            r"abmelden",
            r"tragen sie mich (bitte )?aus",
            r"nehmen sie mich (bitte )?(aus|von)",
            r"austragen",
            r"streichen sie mich",
            r"aus (ihrem|dem|ihren) (verteiler|liste|newsletter)",
            r"keine (weiteren |weitere )?(e mails|emails|mails|nachrichten|werbung|kontaktaufnahme|zusendungen)",
            r"widerspreche\b(?! nicht)",
            r"(?<!kein )widerspruch",
            r"loschen sie meine",
            r"loschung meiner",
            r"nicht (mehr|wieder|erneut|weiter) (kontaktieren|anschreiben|angeschrieben|schreiben|erhalten|kontaktiert"
            r"|melden|mailen)",
            r"(hor|horen sie|hort) auf (mir|uns) (zu )?(schreiben|mailen|e mails|nachrichten)",
            r"unterlassen sie",
            # Portuguese
            r"descadastr",
            r"(remova|removam|remover|tire|tirem|tirar) (me|meu|o meu|da lista)",
            r"nao (me )?(contate|contatem|escreva|escrevam|procure|procurem)\b",
            r"nao (me )?(envie|enviem|mande|mandem) (mais|nada|nenhum|e mails|emails|mensagens|propaganda|isso"
            r"|essas|esses)\b",
            r"nao (entrar|entrem|entre) (mais )?em contato\b(?! (antes|ate|depois)\b)",
            r"parem? de (me )?(enviar|mandar|escrever|contatar|contactar|ligar|procurar|incomodar|perturbar)\b",
            r"(tire|tirem|remova|removam) (da|dessa|desta|de sua|de vossa) lista",
            r"(excluam|exclua"
            r"|apaguem|apague) (meus|meu)",
            r"nao quero (mais (receber|e mails|emails|mensagens)|receber (mais|e mails|emails|mensagens|nada|nenhum"
            r"|propaganda|isso|essas|seus|suas))",
        ]
    )
    + r")"
)
_OPT_OUT_ALONE = re.compile(r"^\W*(stop|remove|unsubscribe|baja|stopp|arret|pare|para)\W*$", re.IGNORECASE)
# Someone else's newsletter footer ("to unsubscribe from our newsletter") is not an opt-out from us,
# and no footer's instructions to its reader are ("To stop hearing from us, reply "unsubscribe" or
# visit ..."), ours included when a quote goes unrecognised: a person asks, a footer instructs.
_THEIR_FOOTER = re.compile(
    r"(unsubscribe|desinscri|abmelden|descadastr)\w* (from |de |vom )?(our|nuestro|notre|unserem"
    r"|nosso|this newsletter)"
    r"|\bto (unsubscribe|opt[- ]?out|stop (hearing|receiving|getting))\b.{0,80}\b(reply|click|visit|follow|use"
    r"|go to|send|write)\b"
    r"|\b(click|tap) (here|below|the link|this link)\b.{0,40}\b(unsubscribe|opt[- ]?out)"
    r"|\byou (are )?receiv(e|ing) this (one-to-one |business )*(e-?mail|message)"
    r"|\bif you (no longer|do not|don't) (wish|want) to receive"
    r"|\bpara (darse|darte|dejar de recibir)\b[^.]{0,60}\b(haga|haz|pulse|clic|responda)"
    r"|\bpour (vous|te) (d[ée]sinscrire|d[ée]sabonner)\b[^.]{0,60}\b(cliquez|r[ée]pondez|suivez)"
    r"|\bum (sich|dich) (abzumelden|auszutragen)\b[^.]{0,60}\b(klicken|antworten)"
    r"|\bpara (cancelar|descadastrar|deixar de receber)\b[^.]{0,60}\b(clique|responda)",
    re.IGNORECASE,
)
# A data-protection law invoked to have data erased or contact stopped (GDPR articles 17 and 21 and
# their Spanish, French, German and Portuguese names, CCPA, LGPD); matched only outside questions:
# "how do you handle GDPR deletion requests?" asks about the product.
_LAW = r"(gdpr|ccpa|rgpd|dsgvo|lgpd)"
_ERASE_OR_OBJECT = (
    r"(eras\w*|delet\w*|remov\w*|object\w*|opt\w* out|supres\w*|suprim\w*|elimin\w*|borr\w*|oposicion"
    r"|cese\w*|effac\w*|supprim\w*|opposition|cess\w*|losch\w*|widerspr\w*|austrag\w*|exclu\w*|apag\w*"
    r"|fim das comunicacoes|oposicao)"
)
_LAW_REQUEST = re.compile(rf"\b{_LAW}\b.{{0,100}}?\b{_ERASE_OR_OBJECT}|\b{_ERASE_OR_OBJECT}.{{0,100}}?\b{_LAW}\b")
# Someone else's opting out, of something that is not our email: "how do drivers unsubscribe from
# the SMS reminders your tool sends?" is a question about the product (matched on `normalise`d text).
_OTHERS_OPT_OUT = re.compile(
    r"\b(drivers|users|customers|recipients|carriers|people|employees|staff|subscribers|members|clients|they"
    r"|truckers|vendors|suppliers|their \w+) (can |could |would |will |to |do |)(un ?subscribe|opt out)"
    r"|\b(un ?subscribe|opt out)\w* (from|of) (the|their|these|those|its|your tool s|your app s) "
    r"(sms|text|texts|notifications?|reminders?|alerts?|push|app)\b"
)
# Words that put an opt-out in doubt when the classifier also leans that way.
OPT_OUT_CUES = re.compile(
    r"\b(remove|removed|list|spam|stop|baja|lista|liste|verteiler|email again|contact me"
    r"|emails?|correos?|mails?|nachrichten|mensagens)\b",
    re.IGNORECASE,
)

_INJECTION = re.compile(
    r"(?:"
    + "|".join(
        [
            r"ignore (all |any )?(the |your )?(previous|prior|above|earlier|preceding) (instructions|prompts|rules)",
            r"ignora (todas )?las instrucciones",
            r"ignorez (toutes )?les instructions",
            r"ignorieren sie (alle )?"
            r"(vorherigen|bisherigen|obigen) anweisungen",
            r"(desconsidere|ignore) as instru[cç][oõ]es",
            r"\b(note|message|p\.?s\.?|instructions?) (to|for) (the |any |whatever |all )?"
            r"(ai|a\.i\.|assistant|bot|llm|model|agent|gpt)s?\b",
            r"\b(ai|a\.i\.) (agents?|assistants?|models?|bots?|systems?)? ?(reading|processing|summari[sz]ing)"
            r" this",
            r"\bto any ai\b",
            r"\bwhatever ai\b",
            r"you are now\b",
            r"developer mode",
            r"system prompt",
            r"jailbreak",
            r"^\W*(system|assistant|admin)( instructions| note)?\s*:",
            r"\bassistant instructions\b",
            r"admin override",
            r"\boverride\b",
            r"\bset (suppress|intent|status|stage|qualified)\s*=",
            r"\bintent\s*=",
            r"mark (this|the|it|me) (lead |contact |prospect )?as (qualified|interested|sql|a meeting)",
            r"mark as sql",
            r"marca (este|esta) (contacto|lead) como",
            r"marque (como|este)",
            r"setzen sie diesen lead",
            r"classify this (as|email)",
            r"api keys?",
            r"(send|forward|give|share|reply with|export) (me |us )?(the |your )?"
            r"(full |complete |entire )?(contact|prospect|customer|client|lead)s? (list|database|details)",
            r"(names|contact details) (and emails )?of (every|all|everyone)",
            r"contact details of everyone",
            r"list of (prospects|contacts|leads)",
            r"liste compl[eè]te de vos prospects",
            r"envoyez-moi la liste",
        ]
    )
    + r")",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass
class RuleVerdict:
    intent: Intent | None = None
    reasons: list[str] = field(default_factory=list)
    bounced_address: str | None = None
    permanent: bool = True  # a bounce that marks the address bad
    injection: bool = False
    injected: list[str] = field(default_factory=list)  # the sentences that try to steer the agent


def normalise(text: str) -> str:
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w@]+", " ", stripped)).strip()


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def bounce(reply: Inbound, ours: frozenset[str] = frozenset()) -> RuleVerdict | None:
    """A delivery failure: the failed address and its status from the report, else guessed from the text."""
    reported = [f for f in reply.failed_recipients if f.address not in ours]
    content_type = reply.header("content-type").lower()
    structural = [
        name
        for name, hit in (
            (
                "multipart/report",
                "report-type=delivery-status" in content_type or bool(reply.delivery_status),
            ),
            ("delivery-status part", any(f.source == "delivery-status" for f in reported)),
            ("X-Failed-Recipients", bool(reply.header("x-failed-recipients"))),
            ("Exchange NDR header", "x-ms-exchange-message-is-ndr" in reply.headers),
            ("sent by a mail daemon", bool(_DAEMON.match(reply.from_address))),
        )
        if hit
    ]
    # A mail server's report is read whole; a person's reply only by its new words, so that a
    # delivery failure quoted in the history never marks their address bad.
    body = "\n".join(p for p in ((reply.full_text if structural else reply.visible), reply.delivery_status) if p)
    subject = bool(_BOUNCE_SUBJECT.search(reply.subject))
    text_hits = len(_BOUNCE_TEXT.findall(body))
    status = _STATUS.search(body)
    code = status is not None or _REPLY_CODE.search(body) is not None
    if not (
        structural
        or (subject and (text_hits or code or reported))
        or (text_hits >= 2 and (code or _ADDRESS.search(body)))
        or (text_hits and code)
    ):
        return None
    reasons = (
        structural + (["bounce subject"] if subject else []) + ([f"SMTP status {status.group(0)}"] if status else [])
    )
    if chosen := next((f for f in reported if f.permanent), None) or next(iter(reported), None):
        reasons.append(f"failed recipient from the {chosen.source}" + (f" ({chosen.status})" if chosen.status else ""))
        return RuleVerdict(Intent.bounce, reasons, chosen.address, permanent=chosen.permanent)
    failed = reply.header("x-failed-recipients").strip()
    if not failed and (match := re.search(r"Final-Recipient:\s*rfc822;\s*(\S+)", body, re.IGNORECASE)):
        failed = match.group(1)
    if not failed:
        failed = next(
            (
                a
                for a in _ADDRESS.findall(body)
                if not _DAEMON.match(a) and a.lower() not in ours and a.lower() != reply.from_address
            ),
            "",
        )
    transient = (status is not None and status.group(1) == "4") or bool(_TRANSIENT.search(body))
    policy = status is not None and status.group(1) == "5" and status.group(2) == "7"
    return RuleVerdict(
        Intent.bounce,
        reasons or ["delivery-failure text"],
        failed.strip("<>.,;").lower() or None,
        permanent=not (transient or policy),
    )


def list_notice(reply: Inbound, ours: frozenset[str] = frozenset()) -> RuleVerdict | None:
    """A mailing list refusing our message: about the list's address, for a person; never an opt-out."""
    machine = (
        _DAEMON.match(reply.from_address)
        or _LIST_SENDER.search(reply.from_address)
        or reply.header("list-id")
        or reply.header("auto-submitted").strip().lower() not in ("", "no")
        or reply.header("precedence").strip().lower() in ("list", "bulk", "junk")
    )
    phrase = list_refusal(reply.visible, reply.subject) if machine else None
    if phrase is None:
        return None
    address = next(
        (
            a.lower()
            for a in _ADDRESS.findall(reply.visible)
            if a.lower() not in ours and a.lower() != reply.from_address
        ),
        None,
    )
    return RuleVerdict(Intent.bounce, [f"a mailing list refused the message: {phrase!r}"], address, permanent=False)


def auto_reply(reply: Inbound) -> RuleVerdict | None:
    auto = reply.header("auto-submitted").strip().lower()
    headers = []
    if auto and auto != "no":
        headers.append(f"Auto-Submitted: {auto}")
    if reply.header("x-autoreply") or reply.header("x-autorespond"):
        headers.append("X-Autoreply")
    if reply.header("precedence").strip().lower() == "auto_reply":
        headers.append("Precedence: auto_reply")
    phrased = _AWAY.search(reply.visible)
    subject = _AUTO_SUBJECT.search(reply.subject)
    if headers:
        return RuleVerdict(Intent.out_of_office, headers)
    # Without a header, only a note that asks nothing: "I'm out next week, can we talk after?" is a person.
    if (phrased or subject) and "?" not in reply.visible:
        return RuleVerdict(Intent.out_of_office, [f"auto-reply phrasing: {(phrased or subject).group(0)!r}"])  # type: ignore[union-attr]
    return None


def opt_out(text: str) -> str | None:
    """The opt-out phrase found in the prospect's own words, if any."""
    for sentence in sentences(text):
        if _THEIR_FOOTER.search(sentence):
            continue
        flat = normalise(sentence)
        if not sentence.rstrip().endswith("?") and (law := _LAW_REQUEST.search(flat)):
            return law.group(0)
        for match in _OPT_OUT.finditer(flat):
            if not (_OTHERS_OPT_OUT.search(flat) and match.group(0).startswith(("un", "opt"))):
                return match.group(0)
        if _OPT_OUT_ALONE.match(sentence):
            return sentence.strip()
    return None


def injection(reply: Inbound) -> list[str]:
    """The sentences (anywhere: reply, quote, hidden HTML) that try to steer the agent."""
    found = [s.strip() for s in sentences(reply.full_text) if _INJECTION.search(s)]
    if re.search(r"[A-Za-z]{3,}", reply.hidden):
        found.append(reply.hidden.strip())
    return found


def decide(reply: Inbound, ours: frozenset[str] = frozenset()) -> RuleVerdict:
    """The rules' verdict: an intent when a rule settles it, and the injection check either way."""
    injected = injection(reply)
    verdict = bounce(reply, ours) or list_notice(reply, ours) or auto_reply(reply)
    if verdict is None and (phrase := opt_out(reply.visible)):
        verdict = RuleVerdict(Intent.unsubscribe, [f"opt-out phrase: {phrase!r}"])
    verdict = verdict or RuleVerdict()
    verdict.injection, verdict.injected = bool(injected), injected
    return verdict


def without_injections(text: str, injected: list[str]) -> str:
    """The text with the sentences that address the agent taken out (what the tiers may read)."""
    for sentence in injected:
        text = text.replace(sentence, " ")
    return re.sub(r"[ \t]{2,}", " ", text).strip()
