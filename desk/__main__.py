"""`python -m desk` serves the desk. Staff accounts from the command line:

    python -m desk add-staff EMAIL "Full Name" --role agent --role editor [--password-stdin]
    python -m desk set-password EMAIL [--password-stdin]
    python -m desk disable EMAIL        (ends their sessions; open consoles close within seconds)
    python -m desk enable EMAIL
    python -m desk set-roles EMAIL --role manager
    python -m desk list-staff
    python -m desk purge [--days N]     (closed conversations past the retention period)

Without --password-stdin the password is asked for at a prompt. `add-agent EMAIL NAME` is kept
as `add-staff ... --role agent`."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

import uvicorn

from desk import staff
from desk.app import create_app
from desk.config import Settings
from desk.errors import DeskError
from desk.retention import Retention
from desk.roles import Role, parse_roles
from desk.store import StaffMember, Store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m desk")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the desk (the default)")
    roles_help = f"a role to hold, repeatable ({', '.join(r.value for r in Role)})"
    add = commands.add_parser("add-staff", help="create a staff account")
    add.add_argument("email")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, help=roles_help)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    legacy = commands.add_parser("add-agent", help="create an agent account (add-staff --role agent)")
    legacy.add_argument("email")
    legacy.add_argument("name")
    legacy.add_argument("--password-stdin", action="store_true")
    password = commands.add_parser("set-password", help="a new password; ends the person's sessions")
    password.add_argument("email")
    password.add_argument("--password-stdin", action="store_true")
    for name, text in (
        ("disable", "stop a person signing in; ends their sessions"),
        ("enable", "undo disable"),
    ):
        commands.add_parser(name, help=text).add_argument("email")
    roles = commands.add_parser("set-roles", help="replace a person's roles")
    roles.add_argument("email")
    roles.add_argument("--role", action="append", required=True, help=roles_help)
    commands.add_parser("list-staff", help="everyone who can sign in, with roles")
    purge = commands.add_parser("purge", help="purge closed conversations past the retention period")
    purge.add_argument("--days", type=int, help="instead of DESK_RETENTION_DAYS")
    return parser


def purge(args: argparse.Namespace, settings: Settings) -> str:
    store = Store(settings.database_url or settings.database_path)
    try:
        days = settings.retention_days if args.days is None else args.days
        if days <= 0:
            return "retention is off (DESK_RETENTION_DAYS=0): nothing purged"
        conversations, messages = Retention(store=store, days=days, clock=store.clock).purge()
        return f"purged {conversations} conversation(s) idle over {days} days ({messages} message(s))"
    finally:
        store.close()


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the passwords differ")
    return first


def _describe(member: StaffMember) -> str:
    state = " (disabled)" if member.disabled else ""
    return f"{member.email}  {member.name}  [{', '.join(sorted(member.roles))}]{state}"


def manage_staff(args: argparse.Namespace, settings: Settings) -> str:
    store = Store(settings.database_url or settings.database_path)
    try:
        if args.command in ("add-staff", "add-agent"):
            chosen = parse_roles(args.role) if args.command == "add-staff" else frozenset({Role.AGENT})
            member = staff.add_staff(store, args.email, args.name, _password(args), chosen)
            return f"added {_describe(member)}; sign in at {settings.public_url}/console/login"
        if args.command == "set-password":
            member = staff.set_password(store, args.email, _password(args))
            return f"new password for {member.email}; their sessions ended"
        if args.command in ("disable", "enable"):
            member = staff.set_disabled(store, args.email, args.command == "disable")
            return f"{args.command}d {_describe(member)}"
        if args.command == "set-roles":
            return f"roles set: {_describe(staff.set_roles(store, args.email, parse_roles(args.role)))}"
        return "\n".join(_describe(m) for m in store.all_staff()) or "no staff yet"
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request's whole URL at INFO, and Rasa's /status takes its token in the
    # query string: keep the desk's logs free of it (and of the readiness checks' noise).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command not in (None, "serve"):
        try:
            print(purge(args, settings) if args.command == "purge" else manage_staff(args, settings))
        except (DeskError, ValueError) as e:
            print(f"error: {getattr(e, 'message', e)}", file=sys.stderr)
            return 2
        return 0
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        ws_max_size=settings.max_frame_bytes,
        ws_per_message_deflate=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
