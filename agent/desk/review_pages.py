"""The reviewer's pages: the queue, one item beside its evidence, and the decisions on it.

Every decision is `agent.review`'s (the same functions `sdr review` calls), attributed to the
signed-in person. A form carries the version of the text the reviewer saw: if someone changed or
decided the message since, nothing is done and the reviewer is told (of two reviewers, one wins).
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from agent import review
from agent.desk import evidence
from agent.desk.auth import PREFIX, Keys, Visit
from agent.desk.pages import render
from agent.desk.queue import QueueFilter, queue_ids, queue_page
from agent.errors import NotFound, UserError
from agent.outbox import REJECT_REASONS
from agent.states import OutboxState

DRAFTS = (OutboxState.pending_review, OutboxState.flagged)  # what a reviewer approves, edits, regenerates
REJECTABLE = (*DRAFTS, OutboxState.failed)


def waited(seconds: int) -> str:
    """A speed-to-lead clock as a person reads it: 42 s, 7 min 5 s, 3 h 12 min."""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class ReviewPages:
    def __init__(self, keys: Keys) -> None:
        self.keys, self.ws = keys, keys.ws

    def _to_item(self, visit: Visit, outbox_id: int, note: str, f: QueueFilter) -> Response:
        response = RedirectResponse(f"{PREFIX}/items/{outbox_id}?{f.query_string()}", status_code=303)
        self.keys.note(visit.request, response, note)
        return response

    def _after(self, visit: Visit, ids: list[int], outbox_id: int, note: str, f: QueueFilter) -> Response:
        """The next item of the queue the reviewer was working through, else the queue."""
        later = ids[ids.index(outbox_id) + 1 :] if outbox_id in ids else ids
        target = f"{PREFIX}/items/{later[0]}?{f.query_string()}" if later else f"{PREFIX}/queue?{f.query_string()}"
        response = RedirectResponse(target, status_code=303)
        self.keys.note(visit.request, response, note)
        return response

    def _stale(self, outbox_id: int, form: FormData, states: tuple[OutboxState, ...] = DRAFTS) -> str | None:
        """Why the reviewer's view is out of date (someone else edited or decided it), or None."""
        item = review.item(self.ws, outbox_id)
        seen = str(form.get("version") or "")
        if seen == str(item.version) and item.state in states:
            return None
        last = review.history(self.ws, outbox_id)[-1:] or [{"action": "changed", "reviewer": "someone"}]
        return (
            f"Message {outbox_id} changed meanwhile (last: {last[0]['action']} by {last[0]['reviewer']}; it is "
            f"{item.state}, version {item.version}): your change was not made. Review it again."
        )

    def queue(self, visit: Visit) -> Response:
        params = visit.request.query_params
        f = QueueFilter.of(params)
        page = str(params.get("page") or "1")
        found = queue_page(self.ws, f, int(page) if page.isdigit() else 1)
        return render(
            "queue.html",
            visit=visit,
            note=self.keys.take_note(visit.request),
            page=found,
            f=f,
            waited=waited,
            filters=f.query_string(),
        )

    def item(self, visit: Visit) -> Response:
        outbox_id = int(visit.request.path_params["outbox_id"])
        f = QueueFilter.of(visit.request.query_params)
        try:
            item = review.item(self.ws, outbox_id)
        except NotFound:
            return render("missing.html", visit=visit, what=f"message {outbox_id}", status=404)
        ids = queue_ids(self.ws, f)
        at = ids.index(outbox_id) if outbox_id in ids else None
        return render(
            "item.html",
            visit=visit,
            note=self.keys.take_note(visit.request),
            item=item,
            body=evidence.marked(item.body, item.claims),
            score=evidence.score_reasons(self.ws, outbox_id),
            links=evidence.source_links(self.ws, outbox_id, item),
            history=review.history(self.ws, outbox_id),
            reasons=REJECT_REASONS,
            previous=ids[at - 1] if at else None,
            following=ids[at + 1] if at is not None and at + 1 < len(ids) else None,
            filters=f.query_string(),
            filters_dict=f.chosen(),
            waited=waited,
            decidable=item.state in DRAFTS,
            rejectable=item.state in REJECTABLE,
        )

    def approve(self, visit: Visit) -> Response:
        outbox_id, form = int(visit.request.path_params["outbox_id"]), visit.form
        assert form is not None
        f = QueueFilter.of(form)
        ids = queue_ids(self.ws, f)
        if stale := self._stale(outbox_id, form):
            return self._to_item(visit, outbox_id, stale, f)
        item = review.item(self.ws, outbox_id)
        if item.state == OutboxState.flagged:
            failed = "; ".join(item.failed_checks) or "a check failed"
            return self._to_item(visit, outbox_id, f"Not approved: it fails its checks ({failed}). Edit it first.", f)
        try:
            review.approve(self.ws, [outbox_id], visit.user.name)
        except UserError as exc:
            return self._to_item(visit, outbox_id, f"Not approved: {exc}", f)
        return self._after(visit, ids, outbox_id, f"Approved message {outbox_id}.", f)

    def reject(self, visit: Visit) -> Response:
        outbox_id, form = int(visit.request.path_params["outbox_id"]), visit.form
        assert form is not None
        f = QueueFilter.of(form)
        ids = queue_ids(self.ws, f)
        choice, words = str(form.get("reason") or ""), str(form.get("detail") or "").strip()
        if choice not in REJECT_REASONS or (choice == "other" and not words):
            return self._to_item(visit, outbox_id, "Not rejected: pick a reason (and say what, for 'other').", f)
        if stale := self._stale(outbox_id, form, REJECTABLE):
            return self._to_item(visit, outbox_id, stale, f)
        reason = f"{choice}: {words}" if words else choice
        try:
            review.reject(self.ws, outbox_id, reason[:2000], visit.user.name)
        except UserError as exc:
            return self._to_item(visit, outbox_id, f"Not rejected: {exc}", f)
        return self._after(visit, ids, outbox_id, f"Rejected message {outbox_id} ({choice}).", f)

    def edit(self, visit: Visit) -> Response:
        outbox_id, form = int(visit.request.path_params["outbox_id"]), visit.form
        assert form is not None
        f = QueueFilter.of(form)
        if stale := self._stale(outbox_id, form):
            return self._to_item(visit, outbox_id, stale, f)
        body = str(form.get("body") or "").replace("\r\n", "\n")
        subject = form.get("subject")
        try:
            failures = review.edit(
                self.ws,
                outbox_id,
                body=body,
                subject=str(subject) if subject is not None else None,
                reviewer=visit.user.name,
            )
        except UserError as exc:
            return self._to_item(visit, outbox_id, f"Not saved: {exc}", f)
        if failures:
            return self._to_item(
                visit, outbox_id, "Saved, but it fails its checks and cannot be approved: " + "; ".join(failures), f
            )
        return self._to_item(visit, outbox_id, "Saved; the checks pass.", f)

    def regenerate(self, visit: Visit) -> Response:
        outbox_id, form = int(visit.request.path_params["outbox_id"]), visit.form
        assert form is not None
        f = QueueFilter.of(form)
        if stale := self._stale(outbox_id, form):
            return self._to_item(visit, outbox_id, stale, f)
        try:
            review.regenerate(self.ws, outbox_id, visit.user.name)
        except UserError as exc:
            return self._to_item(visit, outbox_id, f"Not regenerated: {exc}", f)
        return self._to_item(visit, outbox_id, "Written again; the checks ran.", f)

    def retry(self, visit: Visit) -> Response:
        """A message the transport refused goes out again (after the reviewer fixed what was wrong)."""
        outbox_id, form = int(visit.request.path_params["outbox_id"]), visit.form
        assert form is not None
        f = QueueFilter.of(form)
        ids = queue_ids(self.ws, f)
        if stale := self._stale(outbox_id, form, (OutboxState.failed,)):
            return self._to_item(visit, outbox_id, stale, f)
        try:
            review.retry(self.ws, outbox_id, visit.user.name)
        except UserError as exc:
            return self._to_item(visit, outbox_id, f"Not retried: {exc}", f)
        return self._after(visit, ids, outbox_id, f"Message {outbox_id} will be sent again.", f)

    def bulk_approve(self, visit: Visit) -> Response:
        form = visit.form
        assert form is not None
        campaign = str(form.get("campaign") or "")
        floor = str(form.get("min_priority") or "").strip()
        try:
            min_priority = float(floor) if floor else None
            approved = review.bulk_approve(
                self.ws, campaign=campaign, reviewer=visit.user.name, min_priority=min_priority
            )
            note = f"Approved {len(approved)} messages of {campaign}."
        except ValueError:
            note = f"Nothing approved: the minimum priority {floor!r} is not a number."
        except UserError as exc:
            note = f"Nothing approved: {exc}"
        response = RedirectResponse(f"{PREFIX}/queue", status_code=303)
        self.keys.note(visit.request, response, note)
        return response
