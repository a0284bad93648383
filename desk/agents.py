"""Agent accounts: created from settings at start-up or with `python -m desk add-agent`."""

from __future__ import annotations

import logging

from desk.security import hash_password, verify_password
from desk.store import Agent, Store

log = logging.getLogger(__name__)


def parse_agent_spec(spec: str) -> tuple[str, str, str]:
    """`email:Full Name:password` (the password may contain colons)."""
    email, sep, rest = spec.partition(":")
    name, sep2, password = rest.partition(":")
    if not (sep and sep2 and "@" in email and name.strip() and password):
        raise ValueError(f"agent {email or spec[:20]!r} must look like 'email:Full Name:password'")
    return email.strip().lower(), name.strip(), password


def create_or_update_agent(store: Store, email: str, name: str, password: str) -> Agent:
    if len(password) < 8:
        raise ValueError("agent passwords need at least 8 characters")
    return store.add_agent(email, name, hash_password(password))


def ensure_configured_agents(store: Store, specs: list[str]) -> None:
    """Create the agents the settings name; re-hash only when a password changed."""
    for spec in specs:
        email, name, password = parse_agent_spec(spec)
        existing = store.agent_by_email(email)
        if existing and existing.name == name and verify_password(password, existing.password_hash):
            continue
        create_or_update_agent(store, email, name, password)
        log.info("agent %s ready", email)
