"""Every email to a prospect, whatever put it in the outbox, carries the same compliance footer
(postal address, unsubscribe link) and RFC 8058 one-click unsubscribe headers; emails to the AE and
to the team carry neither. Read from what the SMTP server on 127.0.0.1 received."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from agent.drafting.compliance import footer
from agent.sending.sender import send_due
from agent.states import Audience, Origin
from agent.store.tables import OutboxMessage
from tests.conftest import SuiteClock
from tests.helpers import smtp_server
from tests.sending import world

pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (pip install -e '.[dev]')")


def test_prospects_get_the_footer_and_one_click_unsubscribe_colleagues_get_neither(
    tmp_path: Path, suite_clock: SuiteClock
) -> None:
    with smtp_server() as (mailbox, port):
        ws = world.copy(tmp_path, suite_clock, mail_transport="smtp", smtp_port=port, smtp_starttls=False)
        send_due(ws)
    with ws.store.transaction() as session:
        rows = {r.id: (r.origin, r.audience) for r in session.scalars(select(OutboxMessage))}
    seen = set()
    for message in mailbox.received:
        origin, audience = rows[int(message["X-SDR-Outbox"])]
        seen.add((origin, audience))
        text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")  # as sent: CRLF
        if audience == Audience.prospect:
            https, mailto = message["List-Unsubscribe"].split(", ")
            assert https.startswith("<https://") and mailto.startswith("<mailto:"), origin
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", origin
            assert text.endswith(footer(world.SENDER, https.strip("<>")) + "\n"), origin
        else:
            assert "List-Unsubscribe" not in message and "List-Unsubscribe-Post" not in message, origin
            assert world.SENDER.postal_address not in text and "unsubscribe" not in text.lower(), origin
    assert seen == {
        (Origin.sequence_step, Audience.prospect),
        (Origin.reply_answer, Audience.prospect),
        (Origin.meeting_letter, Audience.prospect),
        (Origin.meeting_letter, Audience.ae),
        (Origin.inbound_answer, Audience.prospect),
        (Origin.notification, Audience.team),
    }
