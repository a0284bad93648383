"""`python -m desk` serves the desk; `python -m desk add-agent EMAIL "Full Name"` creates or
updates an agent account (the password is asked for, or read from DESK_NEW_AGENT_PASSWORD)."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

import uvicorn

from desk.agents import create_or_update_agent
from desk.app import create_app
from desk.config import Settings
from desk.store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desk")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the desk (the default)")
    add = commands.add_parser("add-agent", help="create or update an agent account")
    add.add_argument("email")
    add.add_argument("name")
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "add-agent":
        password = os.environ.get("DESK_NEW_AGENT_PASSWORD") or getpass.getpass("Password: ")
        try:
            agent = create_or_update_agent(Store(settings.database_path), args.email, args.name, password)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"agent {agent.email} ({agent.name}) can sign in at {settings.public_url}/console")
        return 0
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        ws_max_size=settings.max_frame_bytes,
        ws_per_message_deflate=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
