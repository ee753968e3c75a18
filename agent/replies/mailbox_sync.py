"""Replies from an IMAP mailbox, each handled once: `sdr replies fetch` (one pass) and `watch` (a loop).

Where a message was read is kept by (mailbox, UIDVALIDITY, UID): a pass asks only for UIDs above
the highest one recorded, so a restart reads nothing twice. Should the server renumber the folder
(a new UIDVALIDITY), every message is offered again and recognised by its Message-ID, or, without
one, by a digest of its bytes. A message is recorded after the reply it became is stored; a crash
between the two offers it once more, and `handling.handle` then finds it by its Message-ID.

A dropped or refused connection is tried again after a pause that doubles up to a limit; a login
the server refuses is a setting to fix, said in one line, never retried.
"""

from __future__ import annotations

import hashlib
import imaplib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from sqlalchemy import func, or_, select

from agent.replies.classify import ReplyReader
from agent.replies.handling import Handled, handle, reader_for
from agent.replies.imap_inbox import CONNECTION_ERRORS, ImapAccount, ImapInbox
from agent.replies.ingest import parse_message
from agent.replies.tables import MailboxMessage
from agent.workspace import Workspace
from tools.mail import TransportUnavailable

RETRYABLE = (TransportUnavailable, imaplib.IMAP4.error, *CONNECTION_ERRORS)


@dataclass(frozen=True)
class Backoff:
    """Pauses between tries after a failure: first, doubled each time, never above most."""

    first: float = 1.0
    most: float = 60.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.most)


@dataclass
class MailboxPass:
    """What one pass over the mailbox did."""

    read: int = 0
    handled: list[Handled] = field(default_factory=list)
    already_seen: int = 0  # the same message again (a renumbered folder, a crash before it was recorded)
    filed: int = 0


def _last_uid(ws: Workspace, mailbox: str, validity: int) -> int:
    with ws.store.transaction() as session:
        return int(
            session.scalar(
                select(func.max(MailboxMessage.uid)).where(
                    MailboxMessage.mailbox == mailbox, MailboxMessage.uidvalidity == validity
                )
            )
            or 0
        )


def _seen_before(ws: Workspace, message_id: str | None, digest: str) -> MailboxMessage | None:
    with ws.store.transaction() as session:
        match = MailboxMessage.digest == digest
        if message_id:
            match = or_(match, MailboxMessage.message_id == message_id)
        seen = session.scalars(select(MailboxMessage).where(match).limit(1)).first()
        if seen is not None:
            session.expunge(seen)
        return seen


def _record(ws: Workspace, row: MailboxMessage) -> None:
    with ws.store.transaction() as session:
        session.add(row)


def _file_handled(ws: Workspace, inbox: ImapInbox, mailbox: str, validity: int, folder: str) -> int:
    with ws.store.transaction() as session:
        uids = list(
            session.scalars(
                select(MailboxMessage.uid).where(
                    MailboxMessage.mailbox == mailbox,
                    MailboxMessage.uidvalidity == validity,
                    MailboxMessage.filed.is_(False),
                )
            )
        )
    inbox.file(uids, folder)
    with ws.store.transaction() as session:
        for row in session.scalars(
            select(MailboxMessage).where(
                MailboxMessage.mailbox == mailbox, MailboxMessage.uidvalidity == validity, MailboxMessage.uid.in_(uids)
            )
        ):
            row.filed = True
    return len(uids)


def fetch_once(ws: Workspace, account: ImapAccount, *, reader: ReplyReader | None = None) -> MailboxPass:
    """Read the messages not read before, hand each to reply handling, file them if asked."""
    done = MailboxPass()
    with ImapInbox(account) as inbox:
        validity = inbox.uidvalidity()
        for fetched in inbox.messages_after(_last_uid(ws, account.name, validity)):
            done.read += 1
            inbound = parse_message(
                message_from_bytes(fetched.raw, policy=policy.default),
                source=f"imap:{account.name};uidvalidity={validity};uid={fetched.uid}",
            )
            digest = hashlib.sha256(fetched.raw).hexdigest()
            row = MailboxMessage(
                mailbox=account.name,
                uidvalidity=validity,
                uid=fetched.uid,
                message_id=inbound.message_id,
                digest=digest,
                filed=False,
            )
            if (seen := _seen_before(ws, inbound.message_id, digest)) is not None:
                row.reply_id = seen.reply_id
                done.already_seen += 1
            else:
                # Loaded for the first new message only (seconds; a first run trains it): a refused
                # login or a mailbox with nothing new is said at once.
                reader = reader or reader_for(ws)
                handled = handle(ws, inbound, reader=reader)
                row.reply_id = handled.reply_id
                if handled.duplicate:
                    done.already_seen += 1
                else:
                    done.handled.append(handled)
            _record(ws, row)
        if account.file_into:
            done.filed = _file_handled(ws, inbox, account.name, validity, account.file_into)
    return done


def watch(
    ws: Workspace,
    account: ImapAccount,
    *,
    poll_seconds: float,
    stop: threading.Event,
    backoff: Backoff = Backoff(),
    reader: ReplyReader | None = None,
    on_pass: Callable[[MailboxPass], None] | None = None,
    on_retry: Callable[[Exception, float], None] | None = None,
) -> None:
    """Pass after pass until `stop` is set; a lost connection waits, then tries again."""
    reader = reader or reader_for(ws)
    delays: Iterator[float] | None = None
    while not stop.is_set():
        try:
            done = fetch_once(ws, account, reader=reader)
        except RETRYABLE as exc:
            delays = delays or backoff.delays()
            pause = next(delays)
            if on_retry:
                on_retry(exc, pause)
            stop.wait(pause)
            continue
        delays = None
        if on_pass:
            on_pass(done)
        stop.wait(poll_seconds)
