"""Settings refuse what cannot work, at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from desk.config import Settings


def test_production_refuses_placeholder_secrets_and_the_demo_agent():
    with pytest.raises(ValidationError, match="DESK_SERVICE_TOKEN"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="demo agent"):
        Settings(environment="production", service_token="s" * 32, secret_key="k" * 32)
    with pytest.raises(ValidationError, match="DESK_SECRET_KEY must be at least 32 bytes"):
        Settings(environment="production", service_token="s" * 32, secret_key="k" * 31, agents="a@b.c:A:p")
    with pytest.raises(ValidationError, match="DESK_IDENTITY_SECRET"):
        Settings(
            environment="production",
            service_token="s" * 32,
            secret_key="k" * 32,
            identity_secret="short",
            agents="a@b.c:A:p",
        )
    with pytest.raises(ValidationError, match="DESK_KB_EDITOR_TOKEN must be set"):
        Settings(
            environment="production", service_token="s" * 32, secret_key="k" * 32, agents="a@b.c:A:pw123456"
        )
    with pytest.raises(ValidationError, match="DESK_KB_EDITOR_TOKEN must be at least 32 bytes"):
        Settings(
            environment="production",
            service_token="s" * 32,
            secret_key="k" * 32,
            agents="a@b.c:A:pw123456",
            kb_editor_token="short",
        )
    ok = Settings(
        environment="production",
        service_token="s" * 32,
        secret_key="k" * 32,
        agents="a@b.c:A:pw123456",
        kb_editor_token="e" * 32,
    )
    assert ok.agents == ["a@b.c:A:pw123456"]


def test_settings_refuse_bad_hours_and_timezones_at_start():
    with pytest.raises(ValidationError, match="mon-fri"):
        Settings(business_hours="weekdays")
    with pytest.raises(ValidationError, match="timezone"):
        Settings(timezone="Mars/Olympus")


def test_the_database_url_is_postgresql_or_empty():
    assert Settings(database_url="").database_url == ""
    assert Settings(database_url="postgresql://kestrel@db/kestrel_desk").database_url.endswith("kestrel_desk")
    with pytest.raises(ValidationError, match="DESK_DATABASE_URL must be a postgresql:// URL"):
        Settings(database_url="mysql://kestrel@db/desk")


def test_the_redis_url_is_redis_or_empty_and_never_echoed():
    assert Settings(redis_url="").redis_url == ""
    assert Settings(redis_url="redis://127.0.0.1:6379/0").redis_url.startswith("redis://")
    with pytest.raises(ValidationError, match="DESK_REDIS_URL must be") as refused:
        Settings(redis_url="http://:hunter2@cache:6379/0")
    assert "hunter2" not in str(refused.value)
