"""The workspace: settings, the store, the model and the transports, opened once per command.

Commands, tests and the inbound server all go through one `Workspace`, so they share one
way of recording model calls and one store.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import cached_property
from typing import TYPE_CHECKING

from agent.erasure import SESSION_KEY, erasure_key
from agent.errors import ConfigError
from agent.settings import Settings, load_settings
from agent.store import Store, open_store
from agent.store.tables import LlmCall

if TYPE_CHECKING:  # the model layer pulls in LangChain: loaded when a command first needs it
    from agent.llm import LLM, CallRecord, ModelHandle
    from tools.mail.base import Transport


class Workspace:
    def __init__(self, settings: Settings | None = None, *, model: ModelHandle | None = None) -> None:
        self.settings = settings or load_settings()
        self.settings.ensure_workspace()
        self.store: Store = open_store(self.settings.db_url, info={SESSION_KEY: erasure_key(self.settings)})
        self._model = model

    @cached_property
    def llm(self) -> LLM:
        from agent.llm import LLM, build_model
        from agent.llm.endpoints import EndpointMemory

        handle = self._model or build_model(self.settings)
        return LLM(
            handle,
            recorder=self.record_call,
            repair_attempts=self.settings.llm_repair_attempts,
            max_attempts=self.settings.llm_max_attempts,
            max_wait_seconds=self.settings.llm_max_wait_seconds,
            backoff_seconds=self.settings.llm_backoff_seconds,
            memory=EndpointMemory(self.settings.workspace / "model-endpoints.json"),
        )

    @cached_property
    def judge(self) -> LLM | None:
        """The model that grades drafts in evals (`SDR_JUDGE_MODEL`); never used on the product path."""
        if not self.settings.judge_model:
            return None
        from agent.llm import LLM, build_model

        return LLM(build_model(self.settings, self.settings.judge_model), recorder=self.record_call)

    def record_call(self, record: CallRecord) -> None:
        # Its own transaction: a call is on record even when the work that asked for it fails.
        with self.store.transaction() as session:
            session.add(
                LlmCall(
                    task=record.task,
                    model=record.model,
                    prompt_version=record.prompt_version,
                    tokens_in=record.tokens_in,
                    tokens_out=record.tokens_out,
                    latency_ms=record.latency_ms,
                    attempts=record.attempts,
                    outcome=record.outcome,
                    error=record.error,
                    **record.subject,
                )
            )

    @cached_property
    def transports(self) -> dict[str, Transport]:
        from tools.mail import build_transports

        if self.settings.mail_transport != "outbox":
            self.require_unsubscribe_secret("sending through SMTP")
        return build_transports(self.settings)

    @cached_property
    def unsubscribe_secret(self) -> str:
        """The key that signs one-click unsubscribe links: the setting, else a random one this
        workspace made for its own outbox (never a default anyone could know)."""
        if self.settings.unsubscribe_secret is not None:
            return self.settings.unsubscribe_secret.get_secret_value()
        path = self.settings.workspace / ".unsubscribe-secret"
        if not path.exists():
            with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as out:
                    out.write(secrets.token_urlsafe(32))
        return path.read_text().strip()

    def require_unsubscribe_secret(self, purpose: str) -> None:
        """Links that reach real inboxes, and the server that honours them, need a secret the
        operator set (the same on every machine that sends or serves)."""
        if self.settings.unsubscribe_secret is None:
            raise ConfigError(
                f"SDR_UNSUBSCRIBE_SECRET is not set: it is needed for {purpose} (a long random value, the same "
                "wherever the agent sends or serves; make one: "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
