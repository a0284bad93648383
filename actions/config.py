"""Settings of the action server, read from ACTIONS_* environment variables (pydantic 1, which
Rasa 3.6 pins, has BaseSettings built in)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict

from pydantic import BaseSettings, Field, SecretStr, root_validator

PLACEHOLDER_TOKEN = "dev-desk-service-token"  # noqa: S105 - refused outside development
MIN_SECRET_BYTES = 32  # every secret, outside development (an empty optional one: feature off)


class ActionsSettings(BaseSettings):
    environment: str = "development"
    host: str = "127.0.0.1"  # containers set 0.0.0.0
    port: int = 5055
    kb_url: str = "http://127.0.0.1:8100"
    # The knowledge service's KB_SERVICE_TOKEN: questions customers confirm as answered are
    # sent as candidate examples for an editor to approve. Empty: none are sent.
    kb_service_token: SecretStr = SecretStr("")
    desk_url: str = "http://127.0.0.1:8000"
    desk_service_token: SecretStr = SecretStr(PLACEHOLDER_TOKEN)
    http_timeout_seconds: float = Field(5.0, gt=0)
    outbox_path: Path = Path("var/actions/outbox.sqlite3")
    # A postgresql:// URL: the outbox in PostgreSQL, shared by several action servers (empty:
    # SQLite at outbox_path).
    outbox_url: str = ""
    outbox_retry_seconds: float = Field(5.0, gt=0)

    # Escalation policy (actions/escalation.py)
    failures_before_handoff: int = Field(2, ge=1)
    abuse_warnings_before_handoff: int = Field(1, ge=0)
    sensitive_min_confidence: float = Field(0.2, ge=0, le=1)
    sensitive_runner_up_likelihood: float = Field(0.08, ge=0, le=1.01)
    sensitive_margin: float = Field(0.10, ge=0)
    sensitive_runner_up_below: float = Field(0.8, ge=0, le=1.01)

    # Answers
    follow_up_max_words: int = Field(6, ge=1)
    steps_shown: int = Field(4, ge=1)
    clarify_options: int = Field(3, ge=2, le=5)
    # A request for a person this long may name a sensitive topic ("someone is using my card,
    # I need a person"): its safety steps are shown before the handoff.
    topic_min_words: int = Field(5, ge=1)

    class Config:
        env_prefix = "ACTIONS_"

    @root_validator(skip_on_failure=True)
    def _refuse_placeholder_secrets(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        token = values.get("desk_service_token")
        if (
            values.get("environment") != "development"
            and token
            and token.get_secret_value() == PLACEHOLDER_TOKEN
        ):
            raise ValueError("ACTIONS_DESK_SERVICE_TOKEN must be a real secret outside development")
        if values.get("environment") != "development":
            for name in ("desk_service_token", "kb_service_token"):
                secret = values.get(name)
                value = secret.get_secret_value() if secret else ""
                if value and len(value.encode()) < MIN_SECRET_BYTES:
                    variable = f"ACTIONS_{name.upper()}"
                    raise ValueError(
                        f"{variable} must be at least {MIN_SECRET_BYTES} bytes outside development"
                    )
        return values


@functools.lru_cache(maxsize=1)
def settings() -> ActionsSettings:
    """Read once, on first use by an action (never at import)."""
    # mypy does not see pydantic 1 Field defaults without the v1 plugin; every field has one.
    return ActionsSettings()  # type: ignore[call-arg]
