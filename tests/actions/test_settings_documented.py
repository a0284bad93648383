from __future__ import annotations

from actions.config import ActionsSettings

from tests.env_example import documented_settings


def test_every_action_setting_is_in_env_example_with_its_default() -> None:
    env = documented_settings()
    # The declared defaults, not ActionsSettings(): that would read the environment.
    for name, field in ActionsSettings.__fields__.items():
        key = f"ACTIONS_{name.upper()}"
        assert key in env, f"{key} missing from .env.example"
        value = field.default
        value = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        assert env[key] == str(value), f"{key}: .env.example has {env[key]!r}, default {value!r}"
