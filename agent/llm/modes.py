"""The ways an endpoint can be asked for an answer in a JSON schema, and how each answer reads.

OpenAI-compatible servers differ: OpenAI, vLLM and Ollama take `response_format` of type
`json_schema`; llama-cpp-python's server refuses it (a 500) and takes `json_object` with a
`schema`; some servers only do tool calling; any server can be asked in plain words, with the
answer validated and repaired. `LLM.ask` tries them in order and keeps the first that works.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage


class OutputMode(StrEnum):
    json_schema = "json_schema"  # response_format {"type": "json_schema", ...}
    json_object = "json_object"  # response_format {"type": "json_object", "schema": ...}
    tools = "tools"  # one function, forced; its arguments are the answer
    text = "text"  # the schema in the instructions; the answer validated and repaired


ALL_MODES = tuple(OutputMode)


# `json_object` with a schema is llama.cpp's way (its server, and the in-process model): the schema
# becomes a grammar, and string constraints become one grammar rule per character. A maxLength of
# a few hundred makes its grammar parser fail, and the process dies with it (a segfault, not an
# exception). The answer is still validated against the full schema, with a repair on failure.
_UNSAFE_FOR_GRAMMAR = frozenset({"maxLength", "minLength", "pattern", "format"})


def grammar_safe(schema: Any) -> Any:
    """The schema without the string constraints llama.cpp's grammar cannot take."""
    if isinstance(schema, dict):
        return {k: grammar_safe(v) for k, v in schema.items() if k not in _UNSAFE_FOR_GRAMMAR}
    if isinstance(schema, list):
        return [grammar_safe(v) for v in schema]
    return schema


def request_kwargs(mode: OutputMode, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Invoke kwargs that ask for an answer in `schema` in this mode."""
    match mode:
        case OutputMode.json_schema:
            described = {"name": name, "schema": schema, "strict": False}
            return {"response_format": {"type": "json_schema", "json_schema": described}}
        case OutputMode.json_object:
            return {"response_format": {"type": "json_object", "schema": grammar_safe(schema)}}
        case OutputMode.tools:
            function = {"name": name, "description": f"Give the answer as a {name}.", "parameters": schema}
            return {
                "tools": [{"type": "function", "function": function}],
                "tool_choice": {"type": "function", "function": {"name": name}},
            }
        case OutputMode.text:
            return {}


def instructed(mode: OutputMode, messages: list[BaseMessage], schema: dict[str, Any]) -> list[BaseMessage]:
    """The messages, with the schema spelled out where nothing else holds the model to it."""
    if mode is not OutputMode.text:
        return messages
    rule = f"Answer with only a JSON object that follows this JSON schema:\n{json.dumps(schema)}"
    if messages and isinstance(messages[0], SystemMessage):
        return [SystemMessage(f"{messages[0].text}\n\n{rule}"), *messages[1:]]
    return [SystemMessage(rule), *messages]


def answer_text(answer: AIMessage) -> str:
    """The JSON text of an answer: a tool call's arguments (even unparseable ones), else its content."""
    if answer.tool_calls:
        return json.dumps(answer.tool_calls[0]["args"])
    if answer.invalid_tool_calls:
        return answer.invalid_tool_calls[0].get("args") or ""
    return answer.text
