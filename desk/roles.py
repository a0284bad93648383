"""Staff roles. A person may hold several; every staff page and API route declares the one it
needs (desk/routes/deps.py), and the test in tests/desk/test_roles.py enumerates them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"  # answers handed-over conversations in the console
    EDITOR = "editor"  # writes and publishes help-centre articles
    MANAGER = "manager"  # reads the operation's figures and event log
    ADMIN = "admin"  # manages staff accounts


def parse_roles(values: list[str] | tuple[str, ...]) -> frozenset[Role]:
    """Roles named by the CLI or the admin page; an unknown name is an error naming it."""
    roles = set()
    for value in values:
        try:
            roles.add(Role(value.strip().lower()))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {value!r}; roles are {known}") from None
    return frozenset(roles)
