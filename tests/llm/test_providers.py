from __future__ import annotations

import pytest

from agent.errors import ConfigError
from agent.llm import build_model
from agent.llm.modes import OutputMode, grammar_safe, request_kwargs
from agent.settings import load_settings


def test_local_is_the_default_without_an_endpoint() -> None:
    settings = load_settings()
    assert settings.model_spec == "local:smollm2"
    handle = build_model(settings)
    assert handle.name == "local:smollm2" and handle.concurrency == 1 and not handle.capable_writer


def test_an_endpoint_setting_selects_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_MODEL", "qwen2.5-7b-instruct")
    settings = load_settings()
    handle = build_model(settings)
    assert handle.name == "openai:qwen2.5-7b-instruct" and handle.capable_writer
    assert handle.endpoint == "http://127.0.0.1:9/v1"
    assert handle.modes == (OutputMode.json_schema, OutputMode.json_object, OutputMode.tools, OutputMode.text)


def test_an_output_mode_can_be_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    handle = build_model(load_settings(llm_output_mode="json_object"))
    assert handle.modes == (OutputMode.json_object,)


def test_the_embedded_model_is_held_to_a_grammar_safe_json_object() -> None:
    handle = build_model(load_settings())
    assert handle.modes == (OutputMode.json_object,) and handle.endpoint == ""
    kwargs = request_kwargs(OutputMode.json_object, "Answer", {"type": "string", "maxLength": 9})
    assert kwargs == {"response_format": {"type": "json_object", "schema": {"type": "string"}}}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nonsense", "expected provider:model"),
        ("acme:big", "unknown provider 'acme'"),
        ("openai:gpt-4o-mini", "set OPENAI_API_KEY"),
        ("local:/no/such/model.gguf", "nor a GGUF file"),
    ],
)
def test_bad_model_settings_say_what_to_fix(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_model(load_settings(model=spec))


def test_schemas_for_llama_cpp_drop_string_constraints_it_cannot_compile() -> None:
    schema = {
        "type": "object",
        "properties": {
            "body": {"type": "string", "maxLength": 1800, "minLength": 1},
            "id": {"type": "string", "enum": ["F1", "F2"], "pattern": "^F"},
            "steps": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string", "format": "email"}},
        },
    }
    assert grammar_safe(schema) == {
        "type": "object",
        "properties": {
            "body": {"type": "string"},
            "id": {"type": "string", "enum": ["F1", "F2"]},
            "steps": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string"}},
        },
    }
