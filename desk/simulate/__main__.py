"""`python -m desk.simulate --conversations N [--desk URL] [--agents K] [--backfill-weeks W] [--seed S]`:
play simulated conversations through the running desk, assistant and knowledge service and
print a JSON summary of what was played (desk/simulate/summary.py). Exit 1 when something went
wrong on the way (a reply that never came, an agent who could not finish)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

import httpx

from desk.simulate.agents import AgentLogin
from desk.simulate.desk_api import SimulationRefused
from desk.simulate.run import DEMO_ADMIN, SimulationConfig, simulate

log = logging.getLogger("desk.simulate")


def parse(argv: list[str] | None) -> SimulationConfig:
    defaults = SimulationConfig()
    parser = argparse.ArgumentParser(prog="python -m desk.simulate", description=__doc__)
    parser.add_argument("--conversations", type=int, default=defaults.conversations)
    parser.add_argument(
        "--desk", default=os.environ.get("DESK_PUBLIC_URL", defaults.desk_url), help="desk URL"
    )
    parser.add_argument(
        "--kb", default=os.environ.get("DESK_KB_URL", defaults.kb_url), help="knowledge service URL"
    )
    parser.add_argument(
        "--agents", type=int, default=defaults.agents, help="simulated agents (made by the admin)"
    )
    parser.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="EMAIL:PASSWORD",
        help="an existing agent account to work as instead (repeatable)",
    )
    parser.add_argument("--admin", default=":".join(DEMO_ADMIN), metavar="EMAIL:PASSWORD")
    parser.add_argument("--backfill-weeks", type=int, default=0, help="play the past W weeks instead of now")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--pace",
        type=float,
        default=defaults.pace,
        help="live: the script's delays times this (0.1: ten times faster)",
    )
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, help="conversations at once")
    parser.add_argument("--spread-seconds", type=float, help="live: conversations start over this long")
    args = parser.parse_args(argv)
    if args.conversations < 1 or args.agents < 1 or args.backfill_weeks < 0 or args.pace < 0:
        parser.error("--conversations and --agents need at least 1; --backfill-weeks and --pace 0 or more")
    admin_email, _, admin_password = args.admin.partition(":")
    logins = []
    for spec in args.agent:
        email, _, password = spec.partition(":")
        logins.append(AgentLogin(email, email.split("@")[0], password))
    return SimulationConfig(
        desk_url=args.desk.rstrip("/"),
        kb_url=args.kb.rstrip("/"),
        conversations=args.conversations,
        agents=args.agents,
        backfill_weeks=args.backfill_weeks,
        seed=args.seed,
        pace=args.pace,
        spread_seconds=args.spread_seconds,
        concurrency=args.concurrency,
        admin=(admin_email, admin_password),
        agent_logins=tuple(logins),
    )


def main(argv: list[str] | None = None) -> int:
    config = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        summary = asyncio.run(simulate(config))
    except (SimulationRefused, httpx.HTTPError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
