"""The prospect's new words, as mail clients really write replies: one test per quote-header family,
per HTML quote container and per signature family. In each, our own quoted outreach carries our
unsubscribe footer, and nothing in it may decide anything: the reply is never read as an opt-out.
"""

from __future__ import annotations

import pytest

from agent.replies import rules
from agent.replies.ingest import from_fields
from agent.replies.model import Intent
from agent.replies.quoting import split_reply

FOOTER = (
    "--\nMaya Okafor, SDR, Lumen Dock\n1 Harbor Way, Oakland CA\nYou are receiving this one-to-one business "
    "email from Lumen Dock because your role matches the teams we work with. To stop hearing from us, reply "
    '"unsubscribe" or visit https://lumendock.example/u?t=abc'
)
OURS = f"Hi Dana,\n\nLumen Dock lets carriers book their own dock slots.\nWould Wednesday work?\n\n{FOOTER}"
QUOTED = "\n".join(f"> {line}" if line else ">" for line in OURS.splitlines())
NEW = "Gladly. Can we talk on Wednesday at 10?"


def _read(text: str | None = None, html: str | None = None) -> tuple[str, Intent | None]:
    reply = from_fields(text=text, html=html)
    return reply.visible, rules.decide(reply).intent


# Each family: the header our outreach is quoted under, as the client writes it.
WROTE_HEADERS = {
    "gmail-en": "On Thu, Nov 19, 2026 at 9:00 AM Maya Okafor <maya@lumendock.example> wrote:",
    "gmail-en-wrapped": "On Thu, Nov 19, 2026 at 9:00 AM Maya Okafor <\nmaya@lumendock.example> wrote:",
    "gmail-en-no-address": "On Thu, Nov 19, 2026 at 9:00 AM Maya Okafor wrote:",
    "gmail-es": "El jue, 19 nov 2026 a las 9:00, Maya Okafor (<maya@lumendock.example>) escribió:",
    "gmail-es-wrapped": "El jue, 19 nov 2026 a las 9:00, Maya Okafor (<maya@lumendock.example>)\nescribió:",
    "gmail-fr": "Le jeu. 19 nov. 2026 à 09:00, Maya Okafor <maya@lumendock.example> a écrit :",
    "gmail-fr-verb-on-its-own-line": "Le jeu. 19 nov. 2026 à 09:00, Maya Okafor <maya@lumendock.example>\na écrit :",
    "gmail-de": "Am Do., 19. Nov. 2026 um 09:00 Uhr schrieb Maya Okafor <maya@lumendock.example>:",
    "gmail-de-wrapped": "Am Do., 19. Nov. 2026 um 09:00 Uhr schrieb Maya Okafor <\nmaya@lumendock.example>:",
    "gmail-pt": "Em qui., 19 de nov. de 2026 às 09:00, Maya Okafor <maya@lumendock.example> escreveu:",
    "gmail-pt-wrapped": "Em qui., 19 de nov. de 2026 às 09:00, Maya Okafor <maya@lumendock.example>\nescreveu:",
    "gmail-old-non-english": "2026-11-19 9:00 GMT-03:00 Maya Okafor <maya@lumendock.example>:",
    "apple-en": "On Nov 19, 2026, at 9:00 AM, Maya Okafor <maya@lumendock.example> wrote:",
    "apple-fr": "Le 19 nov. 2026 à 09:00, Maya Okafor <maya@lumendock.example> a écrit :",
    "apple-pt": "Em 19 de nov. de 2026, à(s) 09:00, Maya Okafor <maya@lumendock.example> escreveu:",
    "thunderbird-en": "On 19/11/2026 09:00, Maya Okafor wrote:",
    "thunderbird-de": "Am 19.11.2026 um 09:00 schrieb Maya Okafor:",
    "thunderbird-es": "El 19/11/26 a las 9:00, Maya Okafor escribió:",
    "yahoo-en": "On Thursday, November 19, 2026, 09:00:00 AM CST, Maya Okafor <maya@lumendock.example> wrote:",
    "yahoo-de": "Am Donnerstag, 19. November 2026, 09:00:00 MEZ hat Maya Okafor <maya@lumendock.example> "
    "Folgendes geschrieben:",
    "typeapp": 'On Nov 19, 2026, at 09:00, "Maya Okafor" <maya@lumendock.example> wrote:',
    "name-and-address-only": "Maya Okafor <maya@lumendock.example> wrote:",
}


@pytest.mark.parametrize("family", WROTE_HEADERS)
def test_a_wrote_header_above_quoted_lines(family):
    visible, intent = _read(f"{NEW}\n\nDana\n\n{WROTE_HEADERS[family]}\n{QUOTED}")
    assert visible == f"{NEW}\n\nDana"
    assert intent is not Intent.unsubscribe


@pytest.mark.parametrize("family", [f for f in WROTE_HEADERS if f != "name-and-address-only"])
def test_a_wrote_header_above_unmarked_quoted_text(family):
    visible, intent = _read(f"{NEW}\n\n{WROTE_HEADERS[family]}\n\n{OURS}")
    assert visible == NEW and intent is not Intent.unsubscribe


HEADER_BLOCKS = {
    "outlook-en": "________________________________\nFrom: Maya Okafor <maya@lumendock.example>\n"
    "Sent: Thursday, November 19, 2026 9:00 AM\nTo: Dana Doe <dana@acme-freight.example>\nSubject: Dock slots",
    "outlook-en-original-message": "-----Original Message-----\nFrom: Maya Okafor [mailto:maya@lumendock.example]\n"
    "Sent: Thursday, November 19, 2026 9:00 AM\nTo: Dana Doe\nSubject: Dock slots",
    "outlook-es": "De: Maya Okafor <maya@lumendock.example>\nEnviado el: jueves, 19 de noviembre de 2026 9:00\n"
    "Para: Dana Doe\nAsunto: Lumen Dock",
    "outlook-fr": "De : Maya Okafor <maya@lumendock.example>\nEnvoyé : jeudi 19 novembre 2026 09:00\nÀ : Dana Doe\n"
    "Objet : Lumen Dock",
    "outlook-de": "Von: Maya Okafor <maya@lumendock.example>\nGesendet: Donnerstag, 19. November 2026 09:00\n"
    "An: Dana Doe\nBetreff: Lumen Dock",
    "outlook-pt": "De: Maya Okafor <maya@lumendock.example>\nEnviado: quinta-feira, 19 de novembro de 2026 09:00\n"
    "Para: Dana Doe\nAssunto: Lumen Dock",
    "outlook-mac": "From: Maya Okafor <maya@lumendock.example>\nDate: Thursday, 19 November 2026 at 09:00\n"
    "To: Dana Doe <dana@acme-freight.example>\nSubject: Dock slots",
    "outlook-bold-markup": "*From:* Maya Okafor <maya@lumendock.example>\n*Sent:* Thursday, November 19, 2026\n"
    "*To:* Dana Doe\n*Subject:* Dock slots",
    "webmail-de-sent-first": 'Gesendet: Donnerstag, 19. November 2026 um 09:00 Uhr\nVon: "Maya Okafor" '
    "<maya@lumendock.example>\nAn: dana@acme-freight.example\nBetreff: Lumen Dock",
    "android": "-------- Original message --------\nFrom: Maya Okafor <maya@lumendock.example>\n"
    "Date: 11/19/26 09:00 (GMT-06:00)\nTo: Dana Doe\nSubject: Dock slots",
    "android-fr": "-------- Message d'origine --------\nDe : Maya Okafor <maya@lumendock.example>\n"
    "Date : 19/11/2026 09:00 (GMT+01:00)\nÀ : Dana Doe\nObjet : Lumen Dock",
    "blackberry": "Sent from my BlackBerry 10 smartphone.\n  Original Message  \nFrom: Maya Okafor\n"
    "Sent: Thursday, November 19, 2026 09:00\nTo: Dana Doe\nSubject: Dock slots",
    "gmail-forward": "---------- Forwarded message ---------\nFrom: Maya Okafor <maya@lumendock.example>\n"
    "Date: Thu, Nov 19, 2026 at 9:00 AM\nSubject: Dock slots\nTo: <dana@acme-freight.example>",
    "apple-forward-de": "Anfang der weitergeleiteten Nachricht:\n\nVon: Maya Okafor <maya@lumendock.example>\n"
    "Betreff: Lumen Dock\nDatum: 19. November 2026 um 09:00:00 MEZ\nAn: Dana Doe",
}


@pytest.mark.parametrize("family", HEADER_BLOCKS)
def test_a_header_block_starts_the_quote(family):
    visible, intent = _read(f"{NEW}\n\n{HEADER_BLOCKS[family]}\n\n{OURS}")
    assert visible == NEW and intent is not Intent.unsubscribe


def test_bottom_posting_answer_below_the_quote():
    header = WROTE_HEADERS["gmail-en"]
    visible, intent = _read(f"{header}\n{QUOTED}\n\n{NEW}\n\nDana")
    assert visible == f"{NEW}\n\nDana" and intent is not Intent.unsubscribe


def test_inline_answers_between_quoted_lines():
    text = (
        f"{WROTE_HEADERS['gmail-fr']}\n> Would Wednesday work?\n\nOui, mercredi 10h.\n\n"
        f"> {FOOTER.splitlines()[-1]}\n\nEt envoyez-moi la grille tarifaire."
    )
    visible, intent = _read(text)
    assert visible == "Oui, mercredi 10h.\n\nEt envoyez-moi la grille tarifaire."
    assert intent is not Intent.unsubscribe


@pytest.mark.parametrize(
    "opt_out",
    [
        "Please take me off your list.",
        "Por favor, denme de baja.",
        "Merci de ne plus me contacter.",
        "Bitte tragen Sie mich aus Ihrem Verteiler aus.",
        "Por favor, não me enviem mais e-mails.",
    ],
)
def test_an_opt_out_in_the_new_words_still_decides(opt_out):
    for text in (
        f"{opt_out}\n\n{WROTE_HEADERS['gmail-pt-wrapped']}\n{QUOTED}",
        f"{WROTE_HEADERS['apple-fr']}\n{QUOTED}\n\n{opt_out}",
        f"{opt_out}\n\nSent from my iPhone\n\n{HEADER_BLOCKS['outlook-de']}\n\n{OURS}",
    ):
        assert _read(text)[1] is Intent.unsubscribe


# Signatures and footers: split off the new words, never deciding.
SIGNATURES = {
    "rfc3676-delimiter": "-- \nDana Doe | VP Operations\nAcme Freight\nTo unsubscribe from our newsletter, click here",
    "iphone-en": "Sent from my iPhone",
    "iphone-es": "Enviado desde mi iPhone",
    "iphone-fr": "Envoyé de mon iPhone",
    "iphone-de": "Von meinem iPhone gesendet",
    "iphone-pt": "Enviado do meu iPhone",
    "android-samsung": "Sent from my Verizon, Samsung Galaxy smartphone",
    "outlook-mobile": "Get Outlook for Android<https://aka.ms/ghei36>",
    "outlook-mobile-fr": "Obtenir Outlook pour iOS",
    "typeapp": "Sent from TypeApp",
    "blackberry": "Sent from my BlackBerry® wireless device",
    "webmail-de": "Gesendet mit der WEB.DE Mail App",
    "disclaimer-en": "CONFIDENTIALITY NOTICE: This email and any attachments are confidential and intended "
    "solely for the named recipient. If you received this email in error, please notify the sender and "
    "delete it. Do not copy or forward it.",
    "disclaimer-es": "Este mensaje y sus anexos son confidenciales. Si usted ha recibido este mensaje por error, "
    "bórrelo y no lo reenvíe; no contacte a terceros.",
    "disclaimer-fr": "Ce message et ses pièces jointes sont confidentiels. Si vous avez reçu ce message par "
    "erreur, merci de le supprimer et de ne pas le diffuser.",
    "disclaimer-de": "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der richtige Adressat "
    "sind, löschen Sie diese E-Mail bitte und informieren Sie uns; keine weitere Verwendung.",
    "disclaimer-pt": "Esta mensagem é confidencial. Se você recebeu esta mensagem por engano, apague-a e não "
    "a encaminhe.",
}


@pytest.mark.parametrize("family", SIGNATURES)
def test_a_signature_is_split_off_and_decides_nothing(family):
    text = f"{NEW}\n\n{SIGNATURES[family]}\n\n{WROTE_HEADERS['gmail-en']}\n{QUOTED}"
    parts = split_reply(text)
    assert parts.new == NEW
    assert parts.signature == SIGNATURES[family].replace("-- \n", "--\n")
    assert _read(text)[1] is None


@pytest.mark.parametrize(
    "text",
    [
        "Sent from my iPhone please remove me",
        "Enviado desde mi móvil, no me escriban más",
        "Thanks,\nDana\nPlease take me off your list.",
        "Please remove me from your list. This email is confidential.",
    ],
)
def test_words_that_only_look_like_a_footer_are_the_prospects(text):
    assert _read(text)[1] is Intent.unsubscribe


# HTML: each client's quote container; the text after or between quotes is the new words.
HTML = {
    "gmail": f'<div dir="ltr">{NEW}<br><br>Dana</div><br><div class="gmail_quote"><div dir="ltr" '
    f'class="gmail_attr">{WROTE_HEADERS["gmail-en"]}<br></div><blockquote class="gmail_quote">'
    f"{OURS.replace(chr(10), '<br>')}</blockquote></div>",
    "gmail-bottom-posted": f'<div dir="ltr"><div class="gmail_quote"><div class="gmail_attr">'
    f'{WROTE_HEADERS["gmail-es"]}</div><blockquote class="gmail_quote">{OURS.replace(chr(10), "<br>")}'
    f"</blockquote></div><div>{NEW}</div><div><br></div><div>Dana</div></div>",
    "apple": f'<html><body><div>{NEW}</div><div><br></div><div>Dana</div><div><br><blockquote type="cite">'
    f"<div>{WROTE_HEADERS['apple-fr']}</div><div>{OURS.replace(chr(10), '<br>')}</div></blockquote></div>"
    '<div id="AppleMailSignature">Envoyé de mon iPhone</div></body></html>',
    "apple-bottom-posted": f'<div>{WROTE_HEADERS["apple-en"]}<br><blockquote type="cite">'
    f"{OURS.replace(chr(10), '<br>')}</blockquote></div><div>{NEW}</div><div>Dana</div>",
    "outlook-desktop-top-border": f'<html><head><style>p {{margin:0}}</style></head><body><div class="WordSection1">'
    f'<p class="MsoNormal">{NEW}<o:p></o:p></p><p class="MsoNormal">Dana<o:p></o:p></p>'
    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal">'
    "<b>De&nbsp;:</b> Maya Okafor &lt;maya@lumendock.example&gt;<br><b>Envoyé&nbsp;:</b> jeudi 19 novembre 2026 "
    "09:00<br><b>À&nbsp;:</b> Dana Doe<br><b>Objet&nbsp;:</b> Lumen Dock</p></div>"
    f'<p class="MsoNormal">{OURS.replace(chr(10), "<br>")}</p></div></body></html>',
    "outlook-web": f'<div>{NEW}</div><div>Dana</div><div id="appendonsend"></div><hr style="display:inline-block;'
    'width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Maya Okafor'
    "<br><b>Sent:</b> Thursday, November 19, 2026 9:00 AM<br><b>To:</b> Dana Doe<br><b>Subject:</b> Dock slots"
    f"</font></div><div>{OURS.replace(chr(10), '<br>')}</div>",
    "thunderbird": f'<p>{NEW}</p><p>Dana</p><div class="moz-cite-prefix">{WROTE_HEADERS["thunderbird-de"]}<br>'
    f'</div><blockquote type="cite" cite="mid:x@lumendock.example">{OURS.replace(chr(10), "<br>")}'
    '</blockquote><pre class="moz-signature" cols="72">-- \nDana Doe</pre>',
    "yahoo": f'<div>{NEW}</div><div>Dana</div><div id="ymail_android_signature">Sent from Yahoo Mail on Android'
    '</div><div class="yahoo_quoted" id="yahoo_quoted_7713"><div>'
    f"{WROTE_HEADERS['yahoo-en']}</div><blockquote>{OURS.replace(chr(10), '<br>')}</blockquote></div>",
    "protonmail": f'<div>{NEW}</div><div>Dana</div><div class="protonmail_quote">-------- Original Message --------'
    f"<br><blockquote>{OURS.replace(chr(10), '<br>')}</blockquote></div>",
}


@pytest.mark.parametrize("family", HTML)
def test_an_html_quote_container(family):
    visible, intent = _read(html=HTML[family])
    assert visible == f"{NEW}\n\nDana" or visible == f"{NEW}\nDana"
    assert intent is not Intent.unsubscribe


def test_html_rendering_keeps_lists_and_entities_readable():
    visible, _ = _read(html="<p>Two things:</p><ul><li>price &amp; terms</li><li>a &lt;demo&gt;</li></ul>")
    assert visible.splitlines() == ["Two things:", "", "  * price & terms", "  * a <demo>"]


def test_our_footer_decides_nothing_even_when_its_quote_goes_unrecognised():
    # A client nobody has seen yet: no header, no '>' marks; our footer sits in the new words.
    text = f"{NEW}\n\n~~~ Maya Okafor on 19.11. ~~~\nHi Dana,\nWould Wednesday work?\n\n{FOOTER.splitlines()[-1]}"
    assert "unsubscribe" in _read(text)[0]
    assert _read(text)[1] is None
    assert _read(f"Unsubscribe me.\n\n{FOOTER.splitlines()[-1]}")[1] is Intent.unsubscribe


def test_a_delivery_failure_in_the_quoted_history_is_not_a_bounce():
    text = (
        f"{NEW}\n\n{WROTE_HEADERS['gmail-en']}\n> Delivery to the following recipient failed permanently:\n"
        "> dana@acme-freight.example\n> 550 5.1.1 The email account that you tried to reach does not exist."
    )
    assert _read(text)[1] is None
