"""Bounces: the failed address and status come from the report (its delivery-status part, else the
bounce library's detectors) before any guess from the wording; a mailing list's refusal is a
bounce-like notice for a person, never an opt-out."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from agent.replies import rules
from agent.replies.bounces import failed_recipients
from agent.replies.ingest import from_fields, parse_bytes, parse_message
from agent.replies.model import Intent

OURS = frozenset({"maya@lumendock.example"})
FOOTER = 'To stop hearing from us, reply "unsubscribe" or visit https://lumendock.example/u?t=abc'


def _dsn(*recipients: str, text: str = "Delivery to one or more recipients failed.") -> bytes:
    blocks = "\n".join(f"\n{block}" for block in recipients)
    return (
        "From: MAILER-DAEMON@mx.acme-freight.example (Mail Delivery System)\nTo: maya@lumendock.example\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain\n\n{text}\n\n"
        f"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.acme-freight.example\n{blocks}\n\n"
        "--B\nContent-Type: message/rfc822\n\nFrom: maya@lumendock.example\nTo: j.doe@acme-freight.example\n"
        f"Subject: Dock slots\n\nHi Jo,\n{FOOTER}\n--B--\n"
    ).encode()


FAILED = (
    "Final-Recipient: rfc822; jdoe@mail.acme-freight.example\nOriginal-Recipient: rfc822; J.Doe@acme-freight.example"
)


def test_the_delivery_status_part_names_the_address_we_sent_to_and_its_status():
    # The text names nobody, and the forwarded-to mailbox differs from the address we wrote to.
    reply = parse_bytes(_dsn(f"{FAILED}\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown"))
    verdict = rules.decide(reply, OURS)
    assert verdict.intent is Intent.bounce and verdict.permanent
    assert verdict.bounced_address == "j.doe@acme-freight.example"
    assert "delivery-status part" in verdict.reasons
    assert "failed recipient from the delivery-status (5.1.1)" in verdict.reasons


@pytest.mark.parametrize(
    ("block", "permanent"),
    [
        ("Action: delayed\nStatus: 4.4.1", False),
        ("Action: failed\nStatus: 5.7.1", False),  # rejected by policy: the mailbox may exist
        ("Action: failed\nStatus: 5.2.2", True),
    ],
)
def test_the_status_code_decides_whether_the_address_is_bad(block, permanent):
    verdict = rules.decide(parse_bytes(_dsn(f"{FAILED}\n{block}")), OURS)
    assert verdict.intent is Intent.bounce and verdict.permanent is permanent


def test_delivered_recipients_in_the_report_are_not_failures():
    reply = parse_bytes(
        _dsn(
            "Final-Recipient: rfc822; ok@acme-freight.example\nAction: delivered\nStatus: 2.0.0",
            "Final-Recipient: rfc822; gone@acme-freight.example\nAction: failed\nStatus: 5.1.1",
        )
    )
    assert [f.address for f in reply.failed_recipients] == ["gone@acme-freight.example"]


def _plain(sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "maya@lumendock.example", subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


QMAIL = (
    "Hi. This is the qmail-send program at mx.acme-freight.example.\nI'm afraid I wasn't able to deliver your "
    "message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n"
    "<j.doe@acme-freight.example>:\nSorry, no mailbox here by that name.\n\n"
    f"--- Below this line is a copy of the message.\n\nFrom: maya@lumendock.example\nTo: k.roe@acme-freight.example\n\n"
    f"{FOOTER}\n"
)


def test_a_report_without_a_delivery_status_part_is_read_by_the_bounce_library():
    message = _plain("MAILER-DAEMON@mx.acme-freight.example", "failure notice", QMAIL)
    assert [(f.address, f.permanent, f.source) for f in failed_recipients(message)] == [
        ("j.doe@acme-freight.example", True, "bounce library")
    ]
    verdict = rules.decide(parse_message(message), OURS)
    assert verdict.intent is Intent.bounce and verdict.bounced_address == "j.doe@acme-freight.example"


def test_a_bounce_given_as_fields_is_read_by_the_bounce_library_too():
    reply = from_fields(text=QMAIL, subject="failure notice", sender="MAILER-DAEMON@mx.acme-freight.example")
    assert rules.decide(reply, OURS).bounced_address == "j.doe@acme-freight.example"


LIST_NOTICES = [
    (
        "Google Groups <noreply@googlegroups.com>",
        "Address not found",
        "Hello maya@lumendock.example,\n\nWe're writing to let you know that the group you tried to contact (sales) "
        "may not exist, or you may not have permission to post messages to the group.\n\nTo unsubscribe from this "
        "group and stop receiving emails from it, send an email to sales+unsubscribe@acme-freight.example.",
    ),
    (
        "sales-owner@lists.acme-freight.example",
        "Your message to Sales awaits moderator approval",
        "Your mail to 'Sales' with the subject Dock slots is being held until the list moderator can review it. "
        "The reason it is being held: Post by non-member to a members-only list.\n\nUnsubscribe: "
        "https://lists.acme-freight.example/unsubscribe",
    ),
    (
        "ventas-bounces@listas.nortecarga.example",
        "Mensaje rechazado",
        "Su mensaje a la lista ventas@listas.nortecarga.example fue rechazado: usted no es miembro de esta lista. "
        "Para darse de baja, haga clic aquí.",
    ),
]


@pytest.mark.parametrize(("sender", "subject", "body"), LIST_NOTICES)
def test_a_mailing_list_refusal_is_a_bounce_like_notice_never_an_opt_out(sender, subject, body):
    reply = parse_message(_plain(sender, subject, body, Auto_Submitted="auto-replied"))
    verdict = rules.decide(reply, OURS)
    assert verdict.intent is Intent.bounce and not verdict.permanent
    assert any("mailing list" in reason for reason in verdict.reasons)


def test_a_person_who_is_not_a_member_of_a_group_is_a_person():
    reply = parse_message(_plain("dana@acme-freight.example", "Re: Dock slots", "I'm not a member of that group."))
    assert rules.decide(reply, OURS).intent is None
