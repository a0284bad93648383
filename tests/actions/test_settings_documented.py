from __future__ import annotations

from pathlib import Path

from actions.config import ActionsSettings

ROOT = Path(__file__).resolve().parents[2]


def documented() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.strip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.split("#")[0].strip()
    return pairs


def test_every_action_setting_is_in_env_example_with_its_default() -> None:
    env = documented()
    defaults = ActionsSettings()
    for name in ActionsSettings.__fields__:
        key = f"ACTIONS_{name.upper()}"
        assert key in env, f"{key} missing from .env.example"
        value = getattr(defaults, name)
        value = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        assert env[key] == str(value), f"{key}: .env.example has {env[key]!r}, default {value!r}"
