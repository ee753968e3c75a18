"""The model layer: providers build chat models; `LLM.ask` turns prompts into validated answers."""

from agent.llm.providers import ModelHandle, build_model, provider, scripted_handle
from agent.llm.structured import LLM, CallRecord

__all__ = ["LLM", "CallRecord", "ModelHandle", "build_model", "provider", "scripted_handle"]
