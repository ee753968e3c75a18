"""No chat model at all (`SDR_MODEL=none`, the default when the embedded one is not installed).

The default path needs none: research and drafting are rules and templates, replies are read by
rules and the classifiers. A task that does need a model (model-written research, drafts or
answers on request, a judge in evals) stops with one line saying how to get one, never with a
silent fallback.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult

from agent.errors import EndpointUnusable

NEEDS_A_MODEL = (
    "this needs a chat model and none is set (SDR_MODEL=none): install the embedded one with "
    "pip install 'sdr-agent[local]', or point OPENAI_BASE_URL (and OPENAI_API_KEY) or SDR_MODEL at an endpoint"
)


class NoChatModel(BaseChatModel):
    @property
    def _llm_type(self) -> str:
        return "none"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        del messages, stop, run_manager, kwargs  # LangChain's signature: there is no model to ask
        raise EndpointUnusable(NEEDS_A_MODEL)
