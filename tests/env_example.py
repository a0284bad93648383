"""Reading .env.example, shared by the settings tests of both Python environments."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def documented_settings() -> dict[str, str]:
    """Each variable in .env.example with its value (comments and blank lines skipped)."""
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.strip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.split("#")[0].strip()
    return pairs
