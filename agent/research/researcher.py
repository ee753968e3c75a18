"""Research an account: gather sources with the tools, extract facts, write a cited brief.

Re-running is free when nothing changed: a brief is keyed by the account, the content of its
sources and who made it. The model is never called inside a database transaction.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.campaign import TriggerKind
from agent.errors import ModelError
from agent.research.brief import Brief, Cited, Trigger, rules_brief
from agent.research.facts import Fact, extract_facts
from agent.research.support import unsupported
from agent.store.db import add_missing, record_event
from agent.store.tables import Account, Source
from agent.store.tables import Brief as BriefRow
from agent.workspace import Workspace
from tools.research import SourceDoc, source_tools

MAX_FACTS_FOR_MODEL = 40
# An AccountSummary is at most 400 characters and four ids: about 150 tokens of JSON. Without a
# cap, SmolLM2 ran on to its 1,024-token limit in 11 of 13 summaries (55 s each, all invalid).
SUMMARY_TOKENS = 200


class AccountSummary(BaseModel):
    """What a small model is trusted with: a short summary that cites its facts."""

    summary: str = Field(max_length=400)
    fact_ids: list[str] = Field(min_length=1, max_length=4)


class ModelPain(BaseModel):
    text: str = Field(max_length=200)
    fact_ids: list[str] = Field(min_length=1, max_length=3)


class ModelTrigger(BaseModel):
    kind: TriggerKind
    fact_id: str


class ModelBrief(AccountSummary):
    """What a capable model writes: the whole brief, every item citing facts."""

    pains: list[ModelPain] = Field(max_length=3)
    triggers: list[ModelTrigger] = Field(max_length=6)
    hook_fact_ids: list[str] = Field(max_length=3)


def narrowed_schema(model: type[BaseModel], fact_ids: list[str]) -> dict[str, Any]:
    """The model's JSON schema with every fact-id field limited to the ids that exist."""
    schema = model.model_json_schema()

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            if key in ("fact_id",) and node.get("type") == "string":
                node["enum"] = fact_ids
            if key in ("fact_ids", "hook_fact_ids") and node.get("type") == "array":
                node["items"] = {"type": "string", "enum": fact_ids}
            for child_key, child in node.items():
                walk(child, child_key)
        elif isinstance(node, list):
            for child in node:
                walk(child, key)

    walk(schema)
    return schema


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _store_sources(session: Session, account_id: int, docs: list[SourceDoc]) -> list[Source]:
    """The account's sources as stored, in the order given; one row per content, whichever worker
    researching the account at the same moment wrote it."""
    digests = [_hash(f"{doc.kind}\n{doc.title}\n{doc.text}") for doc in docs]
    kept = select(Source).where(Source.account_id == account_id, Source.content_hash.in_(digests))
    by_digest = {row.content_hash: row for row in session.scalars(kept)}
    new = [
        {"account_id": account_id, "kind": doc.kind, "title": doc.title, "uri": doc.uri,
         "published_on": doc.published_on, "text": doc.text, "content_hash": digest}
        for doc, digest in zip(docs, digests, strict=True) if digest not in by_digest
    ]  # fmt: skip
    if new:  # most research finds what it found before: then it takes no write lock at all
        add_missing(session, Source, new, ("account_id", "content_hash"))
        by_digest = {row.content_hash: row for row in session.scalars(kept)}
    return [by_digest[digest] for digest in digests]


def _model_brief(ws: Workspace, base: Brief, account: Account) -> Brief:
    """Ask the model; keep only what cites real facts and invents no specifics."""
    facts = [f for f in base.facts][:MAX_FACTS_FOR_MODEL]
    ids = [f.id for f in facts]
    capable = ws.llm.handle.capable_writer
    output: type[AccountSummary] = ModelBrief if capable else AccountSummary
    llm = ws.llm if capable else ws.llm.bounded(SUMMARY_TOKENS, repair=True)
    answer = llm.ask(
        "research_brief" if capable else "account_summary",
        output,
        schema=narrowed_schema(output, ids),
        subject={"account_id": account.id},
        account={"name": account.name, "domain": account.domain, "industry": account.industry},
        facts=[{"id": f.id, "source": f.source_title, "date": f.published_on, "text": f.text} for f in facts],
    )
    brief = base.model_copy(update={"made_by": f"rules+{llm.name}"})
    flags = list(base.flags)

    def backed(text: str, fact_ids: list[str]) -> bool:
        evidence = [f.text for f in facts if f.id in fact_ids]
        if not evidence:
            return False
        missing = unsupported(text, evidence, [account.name])
        if missing:
            flags.append(f"model text dropped, not in its cited facts: {', '.join(missing)}")
        return not missing

    if backed(answer.summary, answer.fact_ids):
        brief.summary = Cited(text=answer.summary, fact_ids=answer.fact_ids)
    if isinstance(answer, ModelBrief):
        brief.pains = [
            Cited(text=p.text, fact_ids=p.fact_ids) for p in answer.pains if backed(p.text, p.fact_ids)
        ] or base.pains
        by_id = {f.id: f for f in facts}
        model_triggers = [
            Trigger(kind=t.kind, fact_id=t.fact_id, published_on=by_id[t.fact_id].published_on)
            for t in answer.triggers
            if t.fact_id in by_id
        ]
        seen = {(t.kind, t.fact_id) for t in base.triggers}
        brief.triggers = base.triggers + [t for t in model_triggers if (t.kind, t.fact_id) not in seen]
        brief.hook_fact_ids = [i for i in answer.hook_fact_ids if by_id.get(i) and by_id[i].source_kind != "crm"]
    brief.flags = sorted(set(flags))
    return brief


def research_account(
    ws: Workspace, account_id: int, *, force: bool = False, account: Account | None = None
) -> tuple[Brief, bool]:
    """The account's brief, and whether it was made now (False: an up-to-date one existed).
    `account`: the account's row as the caller just read it (detached), else it is read here."""
    if account is None:
        with ws.store.transaction() as session:
            account = session.get_one(Account, account_id)
            session.expunge(account)
    docs = [doc for tool in source_tools().values() for doc in tool(account, ws.settings)]
    use_model = ws.settings.research_with_model
    if use_model is None:
        use_model = ws.llm.handle.capable_writer
    made_by = f"rules+{ws.llm.name}" if use_model else "rules"
    with ws.store.transaction(durable=False) as session:
        sources = _store_sources(session, account_id, docs)
        sources_hash = _hash("\n".join(sorted(s.content_hash for s in sources)))
        if not force:
            existing = session.scalar(
                select(BriefRow).where(
                    BriefRow.account_id == account_id,
                    BriefRow.sources_hash == sources_hash,
                    BriefRow.made_by == made_by,
                )
            )
            if existing is not None:
                return Brief.model_validate(existing.content), False
    facts, flags = extract_facts([(s.id, s.title, s.kind, s.published_on, s.text) for s in sources])
    brief = rules_brief(account.domain, account.name, facts, flags)
    outcome: Literal["rules", "model", "model_failed"] = "rules"
    if use_model and facts:
        try:
            brief = _model_brief(ws, brief, account)
            outcome = "model"
        except ModelError as exc:
            brief.flags.append(f"model brief failed, rules brief kept: {exc}")
            outcome = "model_failed"
    brief.made_by = made_by
    with ws.store.transaction(durable=False) as session:
        key = {"account_id": account_id, "sources_hash": sources_hash, "made_by": made_by}
        content = brief.model_dump(mode="json")
        if not add_missing(session, BriefRow, [{**key, "content": content}], tuple(key)):
            # another worker wrote it a moment ago, from the same sources: this one stands as well
            session.execute(update(BriefRow).filter_by(**key).values(content=content))
        record_event(
            session,
            "researched",
            account_id=account_id,
            data={
                "sources": len(sources),
                "facts": len(facts),
                "triggers": len(brief.triggers),
                "flags": brief.flags,
                "outcome": outcome,
            },
        )
    return brief, True


def latest_brief(ws: Workspace, account_id: int) -> Brief | None:
    with ws.store.transaction() as session:
        row = session.scalar(
            select(BriefRow)
            .where(BriefRow.account_id == account_id)
            .order_by(BriefRow.created_at.desc(), BriefRow.id.desc())
        )
        return Brief.model_validate(row.content) if row else None


__all__ = ["Fact", "latest_brief", "research_account"]
