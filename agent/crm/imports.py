"""`sdr crm import`: a CRM's list imported by the very rules of `sdr import` (one account per
registered domain, free-mail and throwaway addresses, role mailboxes named, all or nothing).

Each record is numbered by its place in the list, and a problem names the CRM's id of it, so that
whoever owns the list can fix it there. The CRM's id of each imported contact is kept in the
ledger: writing back to that CRM needs no lookup.
"""

from __future__ import annotations

from sqlalchemy import select

from agent.accounts.importer import ImportSummary, RowBatch, import_rows
from agent.accounts.reading import validated_rows
from agent.crm import ledger
from agent.crm.model import Selection
from agent.crm.providers import Crm
from agent.crm.sync import finish_run, start_run
from agent.errors import InputError, InputRejected, SdrError
from agent.store.tables import Contact
from agent.workspace import Workspace


def import_from_crm(ws: Workspace, crm: Crm, selection: Selection) -> ImportSummary:
    source = f"{crm.name} {selection}"
    run_id = start_run(ws, crm.name, "import")
    try:
        records = list(crm.members(selection))
        if not records:
            raise InputError(f"no contacts in {selection}: nothing was imported", file=crm.name)
        ids = {place: record.remote_id for place, record in enumerate(records, 1)}
        try:
            rows = validated_rows(source, ((place, record.fields) for place, record in enumerate(records, 1)))
        except InputRejected as exc:
            raise InputRejected([_naming(p, crm.name, ids) for p in exc.problems]) from exc
        summary = import_rows(ws.store, [RowBatch(source, rows)])[0]
    except SdrError as exc:
        finish_run(ws, run_id, written=0, failed=0, error=str(exc))
        raise
    with ws.store.transaction() as session:
        by_email = {row.email: ids[place] for place, row in rows if row.email}
        for contact_id, email in session.execute(select(Contact.id, Contact.email).where(Contact.email.in_(by_email))):
            ledger.record_written(session, crm.name, ledger.CONTACT, contact_id, by_email[email])
    finish_run(ws, run_id, written=summary.contacts_created + summary.contacts_updated, failed=0)
    return summary


def _naming(problem: InputError, provider: str, ids: dict[int, str]) -> InputError:
    """The problem with the CRM's id of the record it is in."""
    remote = ids.get(problem.line or 0, "?")
    return InputError(
        f"{problem.message} ({provider} id {remote})", file=problem.file, line=problem.line, field=problem.field
    )
