"""The repository keeps its promises: documented settings, CI calling the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kb_service.config import Settings as KBSettings
from tests.env_example import documented_settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_kb_setting_is_in_env_example_with_its_default() -> None:
    """Against the declared defaults, not Settings(): that reads the environment, which
    `make` sets (KB_MODEL_PATH)."""
    documented = documented_settings()
    for name, field in KBSettings.model_fields.items():
        key = f"KB_{name.upper()}"
        assert key in documented, f"{key} missing from .env.example"
        value = field.default
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        expected = "" if value is None else str(value)
        if isinstance(value, float):
            expected, documented[key] = str(value), str(float(documented[key]))
        assert documented[key] == expected, (
            f"{key}: .env.example has {documented[key]!r}, default {expected!r}"
        )


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for key in documented_settings():
        assert f"`{key}`" in readme, f"{key} is not described in README.md"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^make test\b", readme, re.M)
    assert re.search(r"^make run\b", readme, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_compose_file_parses_and_has_healthchecks() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        assert "healthcheck" in service, name
