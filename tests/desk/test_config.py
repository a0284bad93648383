"""Settings refuse what cannot work, at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from desk.config import Settings


def test_production_refuses_placeholder_secrets_and_the_demo_agent():
    with pytest.raises(ValidationError, match="DESK_SERVICE_TOKEN"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="demo agent"):
        Settings(environment="production", service_token="s" * 20, secret_key="k" * 20)
    ok = Settings(
        environment="production", service_token="s" * 20, secret_key="k" * 20, agents="a@b.c:A:pw123456"
    )
    assert ok.agents == ["a@b.c:A:pw123456"]


def test_settings_refuse_bad_hours_and_timezones_at_start():
    with pytest.raises(ValidationError, match="mon-fri"):
        Settings(business_hours="weekdays")
    with pytest.raises(ValidationError, match="timezone"):
        Settings(timezone="Mars/Olympus")
