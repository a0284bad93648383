"""Staff accounts: adding people with roles, passwords, disabling and enabling. Used by the CLI
(`python -m desk add-staff ...`), the admin page's API and start-up (DESK_AGENTS and, in
development, the demo staff). Taking access away (disable, a new password) ends the person's
sessions in the store at once; the caller closes their live sockets (`Hub.close_console`)."""

from __future__ import annotations

import logging

from desk.errors import Conflict, InvalidInput, StaffNotFound
from desk.roles import Role
from desk.security import hash_password, verify_password
from desk.store import StaffExists, StaffMember, StaffRecords

log = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 8
DEMO_PASSWORD = "kestrel-demo"  # noqa: S105 - development only (Settings refuses it elsewhere)
DEMO_STAFF = (
    ("editor@kestrel.example", "Eli Editor", frozenset({Role.EDITOR})),
    ("manager@kestrel.example", "Mia Manager", frozenset({Role.MANAGER})),
    ("admin@kestrel.example", "Ada Admin", frozenset({Role.ADMIN})),
)


def parse_agent_spec(spec: str) -> tuple[str, str, str]:
    """`email:Full Name:password` (the password may contain colons)."""
    email, sep, rest = spec.partition(":")
    name, sep2, password = rest.partition(":")
    if not (sep and sep2 and "@" in email and name.strip() and password):
        raise ValueError(f"agent {email or spec[:20]!r} must look like 'email:Full Name:password'")
    return email.strip().lower(), name.strip(), password


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_CHARS} characters")
    return password


def checked_identity(email: str, name: str) -> tuple[str, str]:
    email, name = email.strip().lower(), name.strip()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise InvalidInput("email: not an email address")
    if not name or len(name) > 200:
        raise InvalidInput("name: between 1 and 200 characters")
    return email, name


def add_staff(
    store: StaffRecords, email: str, name: str, password: str, roles: frozenset[Role]
) -> StaffMember:
    email, name = checked_identity(email, name)
    if not roles:
        raise InvalidInput("roles: give at least one role")
    try:
        return store.add_staff(email, name, hash_password(checked_password(password)), roles)
    except StaffExists as e:
        raise Conflict(str(e)) from None


def member(store: StaffRecords, email_or_id: str | int) -> StaffMember:
    found = store.staff(email_or_id) if isinstance(email_or_id, int) else store.staff_by_email(email_or_id)
    if found is None:
        raise StaffNotFound(f"no staff member {email_or_id!r}")
    return found


def set_password(store: StaffRecords, who: str | int, password: str) -> StaffMember:
    return store.update_staff(member(store, who).id, password_hash=hash_password(checked_password(password)))


def set_disabled(store: StaffRecords, who: str | int, disabled: bool) -> StaffMember:
    return store.update_staff(member(store, who).id, disabled=disabled)


def set_roles(store: StaffRecords, who: str | int, roles: frozenset[Role]) -> StaffMember:
    if not roles:
        raise InvalidInput("roles: give at least one role (disable the account to remove all access)")
    return store.update_staff(member(store, who).id, roles=roles)


def ensure_staff(store: StaffRecords, email: str, name: str, password: str, roles: frozenset[Role]) -> None:
    """Create the account, or bring its name and password up to date and add the roles (a role
    an admin granted since is kept). Re-hashes only when the password changed."""
    existing = store.staff_by_email(email)
    if existing is None:
        try:
            add_staff(store, email, name, password, roles)
        except Conflict:
            # Another replica starting at the same moment created it first: bring that one up to date.
            existing = store.staff_by_email(email)
            if existing is None:
                raise
        else:
            log.info("staff %s ready (%s)", email, ", ".join(sorted(roles)))
            return
    same_password = verify_password(password, existing.password_hash)
    if existing.name == name and same_password and roles <= existing.roles:
        return
    store.update_staff(
        existing.id,
        name=name,
        password_hash=None if same_password else hash_password(checked_password(password)),
        roles=existing.roles | roles,
    )


def ensure_configured_staff(store: StaffRecords, agent_specs: list[str], *, demo_staff: bool) -> None:
    """DESK_AGENTS as agents; in development also a demo editor, manager and admin."""
    for spec in agent_specs:
        email, name, password = parse_agent_spec(spec)
        ensure_staff(store, email, name, password, frozenset({Role.AGENT}))
    if demo_staff:
        for email, name, roles in DEMO_STAFF:
            ensure_staff(store, email, name, DEMO_PASSWORD, roles)
