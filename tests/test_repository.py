"""The repository keeps its promises: documented settings, CI calling the README's test command."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

from desk.config import Settings as DeskSettings
from kb_service.config import Settings as KBSettings
from tests.env_example import documented_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("prefix", "settings"), [("KB_", KBSettings), ("DESK_", DeskSettings)])
def test_every_setting_is_in_env_example_with_its_default(prefix: str, settings: type[BaseSettings]) -> None:
    """Against the declared defaults, not Settings(): that reads the environment, which
    `make` sets (KB_MODEL_PATH)."""
    documented = documented_settings()
    for name, field in settings.model_fields.items():
        key = f"{prefix}{name.upper()}"
        assert key in documented, f"{key} missing from .env.example"
        value = field.get_default(call_default_factory=True)
        if isinstance(value, list):
            value = ",".join(value)
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


REQUIRED_COMPOSE_VARIABLES = [
    "KB_EDITOR_TOKEN",
    "DESK_SERVICE_TOKEN",
    "DESK_SECRET_KEY",
    "DESK_AGENTS",
    "RASA_AUTH_TOKEN",
]


def test_compose_file_passes_a_real_compose_parser_and_has_healthchecks() -> None:
    """docker-compose (installed by `make test`) parses, interpolates and validates the file
    against the compose schema; no Docker engine is needed for that."""
    secrets = dict.fromkeys(REQUIRED_COMPOSE_VARIABLES, "test-secret")
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env={**os.environ, **secrets},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    compose = yaml.safe_load(result.stdout)
    assert {"kb", "actions", "bot", "desk"} <= set(compose["services"])
    assert compose["services"]["bot"]["image"] == "rasa/rasa:3.6.21-full"
    for name, service in compose["services"].items():
        assert "healthcheck" in service, name
    missing = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in secrets},
        check=False,
    )
    assert missing.returncode != 0  # secrets are required, never defaulted


def test_actions_image_builds_on_the_official_sdk_image() -> None:
    assert "FROM rasa/rasa-sdk:3.6.2" in (ROOT / "docker/actions.Dockerfile").read_text()


def test_the_desk_image_pins_match_the_development_environment() -> None:
    def pins(path: Path) -> dict[str, str]:
        lines = [line for line in path.read_text().splitlines() if "==" in line and not line.startswith("#")]
        return {name.lower(): version for name, version in (line.split("==") for line in lines)}

    desk, svc = pins(ROOT / "requirements/desk.txt"), pins(ROOT / "requirements/svc.txt")
    assert {name: svc.get(name) for name in desk} == desk
