"""Settings of the desk, read from DESK_* environment variables."""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from desk.hours import parse_hours
from desk.security import strong_enough

PLACEHOLDER_SERVICE_TOKEN = "dev-desk-service-token"  # noqa: S105 - refused outside development
PLACEHOLDER_SECRET = "dev-desk-secret-key"  # noqa: S105 - refused outside development
PLACEHOLDER_KB_EDITOR_TOKEN = "dev-editor-token"  # noqa: S105 - kb_service's own placeholder
DEMO_AGENT = "ana@kestrel.example:Ana Torres:kestrel-demo"


class Settings(BaseSettings):
    """Every knob of the desk; the README lists each with its default."""

    # Refusals name the variable, never its value: URLs and tokens may carry passwords.
    model_config = SettingsConfigDict(env_prefix="DESK_", extra="ignore", hide_input_in_errors=True)

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = "INFO"
    public_url: str = "http://localhost:8000"

    database_path: Path = Path("var/desk/desk.sqlite3")
    # Several replicas share one PostgreSQL (postgresql://kestrel@127.0.0.1:5432/kestrel_desk);
    # empty: SQLite at database_path.
    database_url: str = ""
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_auth_token: SecretStr = SecretStr("")
    kb_url: str = "http://127.0.0.1:8100"
    http_timeout_seconds: float = Field(10.0, gt=0)
    # The knowledge service's KB_SERVICE_TOKEN: a conversation an agent resolves by sending an
    # article is sent there as a candidate example. Empty: none are sent.
    kb_service_token: SecretStr = SecretStr("")
    # The knowledge service's KB_EDITOR_TOKEN: the editor pages call its editing API with it, naming
    # the signed-in editor (X-Editor-Id, X-Editor-Name; docs/contracts/kb-editing.md).
    kb_editor_token: SecretStr = SecretStr(PLACEHOLDER_KB_EDITOR_TOKEN)
    # A new Rasa session after this many customer messages in one (desk/bot_sessions.py).
    bot_session_turns: int = Field(30, ge=2)

    # The action server's token for POST /api/handoffs (ACTIONS_DESK_SERVICE_TOKEN there).
    service_token: SecretStr = SecretStr(PLACEHOLDER_SERVICE_TOKEN)
    # Signs widget conversation tokens and agent sessions.
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    # A widget's conversation token is refused this long after it was issued; every connection
    # gets a fresh one, so only a conversation left alone this long starts afresh.
    conversation_token_days: float = Field(30.0, gt=0)
    # Shared with the host site, whose server signs each signed-in customer's id with it (hex
    # HMAC-SHA256) for the widget's data-customer-signature. Empty: ids are shown as unverified.
    identity_secret: SecretStr = SecretStr("")
    # Agents created at start-up: "email:Full Name:password", comma-separated. Passwords are
    # stored hashed (scrypt); `python -m desk add-staff` and the admin page manage all staff.
    agents: Annotated[list[str], NoDecode] = Field(default_factory=lambda: [DEMO_AGENT])
    session_hours: float = Field(12.0, gt=0)
    # Open console sockets re-check their session this often (a person disabled from the CLI).
    session_check_seconds: float = Field(5.0, gt=0)
    # Development only: a demo editor, manager and admin (editor@, manager@, admin@kestrel.example,
    # password kestrel-demo) beside DESK_AGENTS. Ignored in production.
    demo_staff: bool = True
    # Page origins allowed to open the widget's WebSocket; "*" allows any.
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://localhost:8000", "http://127.0.0.1:8000"]
    )

    # When a person can answer: outside these hours (or with nobody online) a handoff is a ticket.
    business_hours: str = "mon-sun 00:00-24:00"
    timezone: str = "Europe/London"
    ticket_reply_hours: int = Field(24, ge=1)
    # Estimated wait per conversation ahead in the queue until there is history to learn from.
    default_handle_seconds: int = Field(180, ge=10)

    # At start, customer messages this recent that the assistant never answered (a turn cut off
    # by a stop) are sent to it again.
    redrive_within_hours: float = Field(24.0, gt=0)
    # A conversation counts as abandoned after this long without a customer message following
    # the last reply (an `abandoned` event; desk/sweeps.py), checked every `sweep_seconds`.
    abandon_after_minutes: float = Field(30.0, gt=0)
    sweep_seconds: float = Field(60.0, gt=0)
    # Queued customers become tickets once no agent has been online (or the desk closed) this long.
    unstaffed_grace_seconds: float = Field(60.0, ge=0)

    # Closed conversations idle this many days lose their messages, contact details and handoff
    # context (their events stay, for reports); checked hourly and by `python -m desk purge`.
    # 0 keeps everything.
    retention_days: int = Field(365, ge=0)

    # The managers' KPIs (README "Managers: KPIs"): a resolved conversation counts as resolved
    # at the first contact unless the same customer comes back on its topic within this window.
    fcr_window_days: float = Field(7.0, gt=0)
    # First-reply targets for a handoff answered live, by its priority (SLA compliance and the
    # live floor); tickets are measured against DESK_TICKET_REPLY_HOURS.
    sla_first_response_seconds_high: int = Field(60, ge=1)
    sla_first_response_seconds_normal: int = Field(120, ge=1)
    sla_first_response_seconds_low: int = Field(300, ge=1)
    # The live floor flags a waiting customer once this share of their target has passed.
    sla_at_risk_share: float = Field(0.8, gt=0, le=1)
    # An unanswered rating request is shown again when the customer comes back within this long.
    csat_offer_hours: float = Field(24.0, gt=0)

    # Messages a widget is sent at once: the latest on connecting, then a page per scroll up.
    history_page: int = Field(50, ge=5, le=200)

    max_message_chars: int = Field(2000, ge=10)
    max_frame_bytes: int = Field(16_000, ge=1024)
    max_body_bytes: int = Field(512_000, ge=1024)
    messages_per_minute: int = Field(30, ge=1)
    # Per client address, across all its widget connections (desk/flood.py).
    address_messages_per_minute: int = Field(120, ge=1)
    address_frames_per_minute: int = Field(600, ge=1)
    new_conversations_per_hour: int = Field(30, ge=1)

    # Replies to tickets go to the customer by email (desk/mail/). The defaults point at the
    # development mail catcher that `make run` starts (python -m desk.mail.catcher).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(8025, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: float = Field(10.0, gt=0)
    mail_from: str = "Kestrel Support <support@kestrel.example>"
    # The page (with the widget) an email's link continues the conversation on; empty: the
    # desk's own demo page, DESK_PUBLIC_URL/.
    mail_link_url: str = ""
    # Earlier customer and agent messages quoted under the reply.
    mail_thread_messages: int = Field(6, ge=0, le=50)
    # Delivery retries back off from the first delay, doubling, up to the longest; never given
    # up while the server is unreachable (a refusal of the address is not retried).
    mail_retry_seconds: float = Field(5.0, gt=0)
    mail_retry_max_seconds: float = Field(300.0, gt=0)
    # Development: where the mail catcher keeps what it receives, read by GET /dev/mail.
    mail_capture_dir: Path = Path("var/mail")

    # Several replicas (docs/contracts/scale-out.md): the hub's fan-out and presence, the rate
    # limits and sign-in throttles, and the assistant's turn locks shared through Redis, e.g.
    # redis://127.0.0.1:6379/0. Empty: all in-process (one desk).
    redis_url: str = ""
    # This replica's name in what it publishes; empty: <hostname>:<pid>.
    replica_id: str = ""
    # Addresses of the reverse proxies whose X-Forwarded-For is believed (uvicorn's
    # forwarded_allow_ips, comma-separated; "*" any): the per-address limits then count each
    # customer's own address, not the proxy's. Connections from elsewhere keep their own.
    forwarded_allow_ips: str = "127.0.0.1"
    # Every Redis key and channel starts with it: deployments sharing one Redis server (whose
    # pub/sub channels ignore database numbers) each need their own.
    redis_prefix: str = Field("kestrel:desk:", min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, values: dict[str, object]) -> dict[str, object]:
        for key in ("agents", "allowed_origins"):
            raw = values.get(key)
            if isinstance(raw, str):
                values[key] = [part.strip() for part in raw.split(",") if part.strip()]
        return values

    @field_validator("business_hours")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("mail_from")
    @classmethod
    def _valid_sender(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "@" not in address or any(ch in value for ch in "\r\n"):
            raise ValueError(f"DESK_MAIL_FROM {value!r} is not an address like 'Name <a@b.example>'")
        return value

    @field_validator("redis_url")
    @classmethod
    def _valid_redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            # Not echoed: the URL may carry a password.
            raise ValueError("DESK_REDIS_URL must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("DESK_DATABASE_URL must be a postgresql:// URL (empty: SQLite)")
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown timezone {value!r}; use a name like Europe/London") from e
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "development":
            return self
        if self.service_token.get_secret_value() == PLACEHOLDER_SERVICE_TOKEN:
            raise ValueError("DESK_SERVICE_TOKEN must be set to a real secret outside development")
        if self.secret_key.get_secret_value() == PLACEHOLDER_SECRET:
            raise ValueError("DESK_SECRET_KEY must be set to a real secret outside development")
        strong_enough("DESK_SERVICE_TOKEN", self.service_token.get_secret_value())
        strong_enough("DESK_SECRET_KEY", self.secret_key.get_secret_value())
        strong_enough("DESK_IDENTITY_SECRET", self.identity_secret.get_secret_value(), optional=True)
        strong_enough("DESK_RASA_AUTH_TOKEN", self.rasa_auth_token.get_secret_value(), optional=True)
        strong_enough("DESK_KB_SERVICE_TOKEN", self.kb_service_token.get_secret_value(), optional=True)
        if DEMO_AGENT in self.agents:
            raise ValueError("the demo agent is for development only; set DESK_AGENTS")
        if self.kb_editor_token.get_secret_value() == PLACEHOLDER_KB_EDITOR_TOKEN:
            raise ValueError("DESK_KB_EDITOR_TOKEN must be set to the knowledge service's KB_EDITOR_TOKEN")
        strong_enough("DESK_KB_EDITOR_TOKEN", self.kb_editor_token.get_secret_value())
        return self
