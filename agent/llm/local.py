"""An in-process chat model: a GGUF file run by llama.cpp, as a LangChain chat model.

Structured output uses llama.cpp's JSON-schema grammar, so even a 135M model always answers
with JSON of the right shape. One llama.cpp context is not safe to share between threads, so
calls to one loaded model take turns.
"""

from __future__ import annotations

import atexit
import threading
from functools import cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agent.errors import ConfigError

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


@cache
def _load(path: str, n_ctx: int, n_threads: int, chat_format: str | None) -> tuple[Any, threading.Lock]:
    from llama_cpp import Llama

    if not Path(path).is_file():
        raise ConfigError(f"SDR_LOCAL_MODEL_PATH: no GGUF file at {path}")
    llama = Llama(
        model_path=path,
        n_ctx=n_ctx,
        n_threads=n_threads,
        chat_format=chat_format,
        verbose=False,
        seed=0,
    )
    # Freed before interpreter teardown: llama.cpp's own finaliser runs too late and prints a
    # traceback at exit.
    atexit.register(llama.close)
    return llama, threading.Lock()


class LlamaCppChat(BaseChatModel):
    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    chat_format: str | None = None
    temperature: float = 0.0
    seed: int = 7
    max_tokens: int = 1024

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "temperature": self.temperature}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama, lock = _load(self.model_path, self.n_ctx, self.n_threads, self.chat_format)
        payload = [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]
        with lock:
            out = llama.create_chat_completion(
                messages=payload,
                stop=stop or [],
                temperature=self.temperature,
                seed=self.seed,
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                response_format=kwargs.get("response_format"),
            )
        choice, usage = out["choices"][0], out["usage"]
        message = AIMessage(
            content=choice["message"]["content"] or "",
            usage_metadata={
                "input_tokens": usage["prompt_tokens"],
                "output_tokens": usage["completion_tokens"],
                "total_tokens": usage["total_tokens"],
            },
            response_metadata={"finish_reason": choice.get("finish_reason")},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
