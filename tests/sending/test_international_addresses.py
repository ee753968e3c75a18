"""An address with a non-ASCII local part (RFC 6531), which import accepts, is written as UTF-8
rather than crashing the send round; ASCII addresses keep the plain SMTP form."""

from __future__ import annotations

from datetime import datetime

from agent.sending.compose import _headed

SENDER = ("Maya Lindgren", "maya@lumendock.example")


def test_an_internationalised_address_is_written_as_utf8() -> None:
    message = _headed(SENDER, ('José "Pepe" Muñoz', "josé.muñoz@polder.example"), "Hi", "<1@x>", datetime(2026, 1, 5))
    message.set_content("Hello")
    assert message["To"].addresses[0].addr_spec == "josé.muñoz@polder.example"
    assert message["To"].addresses[0].display_name == 'José "Pepe" Muñoz'
    assert "josé.muñoz@polder.example".encode() in bytes(message)


def test_ascii_addresses_keep_the_plain_form() -> None:
    message = _headed(SENDER, ("José Muñoz", "jose@polder.example"), "Hi", "<1@x>", datetime(2026, 1, 5))
    message.set_content("Hello")
    assert bytes(message).isascii()
