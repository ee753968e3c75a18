from __future__ import annotations

from pathlib import Path

import pytest

from agent.campaign import load_campaign
from agent.errors import InputError
from agent.pipeline import register_campaign
from agent.workspace import Workspace
from tests.conftest import EXAMPLES


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (EXAMPLES / "campaign.yaml").read_text()
    assert old in text
    path = tmp_path / "campaign.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_demo_campaign_is_valid() -> None:
    spec = load_campaign(EXAMPLES / "campaign.yaml")
    assert spec.name == "q4-dock-ops" and len(spec.sequence) == 4
    assert spec.review.policy == "auto_above_score"


def test_typo_in_a_key_names_the_line(tmp_path: Path) -> None:
    path = variant(tmp_path, "  min_fit:", "  min_fitt:")
    with pytest.raises(InputError) as error:
        load_campaign(path)
    assert error.value.line == line_of(path, "min_fitt")
    assert "unknown key" in str(error.value) and "icp.min_fitt" in str(error.value)


def test_wrong_value_names_the_field(tmp_path: Path) -> None:
    path = variant(tmp_path, "default_timezone: America/Chicago", "default_timezone: America/Chicagoo")
    with pytest.raises(InputError) as error:
        load_campaign(path)
    assert error.value.field == "sending.default_timezone" and "unknown time zone" in error.value.message
    assert error.value.line == line_of(path, "America/Chicagoo")


def test_broken_yaml(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: x\nsender: [unclosed\n")
    with pytest.raises(InputError) as error:
        load_campaign(path)
    assert error.value.line is not None and "not valid YAML" in error.value.message


def test_undefined_template_variable_is_caught_before_anything_runs(ws: Workspace, tmp_path: Path) -> None:
    path = variant(tmp_path, "{{ contact.first_name }}", "{{ contact.frist_name }}")
    with pytest.raises(InputError) as error:
        register_campaign(ws, path)
    assert "frist_name" in str(error.value)
    assert error.value.line is not None and error.value.line > 1
