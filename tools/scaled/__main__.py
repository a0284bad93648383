"""python -m tools.scaled run | config [--replicas N] [--services kb,desk,...] [--host ADDRESS]

`run` (make run-scaled) starts HAProxy and every replica and stops them on Ctrl-C; `config`
prints the HAProxy configuration it would use. Front ports from DESK_PORT, KB_PORT, RASA_PORT,
ACTIONS_PORT (the contract's by default), replicas on the ports just above; stores from
DESK_DATABASE_URL, KB_DATABASE_URL, ACTIONS_OUTBOX_URL, RASA_TRACKER_*, DESK_REDIS_URL,
RASA_LOCK_STORE_URL (the contract's by default).
"""

from __future__ import annotations

import argparse
import sys

from tools.scaled.haproxy import render_haproxy
from tools.scaled.plan import (
    KINDS,
    SERVICES,
    SMTP_PORT,
    STATS_PORT,
    WORKDIR,
    Ports,
    Stores,
    plan,
    shared_tokens,
)
from tools.scaled.runner import environment, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.scaled", description=__doc__)
    parser.add_argument("command", choices=("run", "config"))
    parser.add_argument("--replicas", type=int, default=2, help="replicas of each service (default 2)")
    parser.add_argument(
        "--services", default=",".join(SERVICES), help=f"which services (default {','.join(SERVICES)})"
    )
    parser.add_argument("--host", default="127.0.0.1", help="where the proxy listens (default 127.0.0.1)")
    args = parser.parse_args(argv)
    environ = environment()
    fronts = {
        name: int(environ[kind.port_variable])
        for name, kind in KINDS.items()
        if environ.get(kind.port_variable)
    }
    try:
        ports = Ports.contract(
            args.replicas,
            fronts,
            stats=int(environ.get("HAPROXY_STATS_PORT") or STATS_PORT),
            smtp=int(environ.get("DESK_SMTP_PORT") or SMTP_PORT),
        )
        the_plan = plan(
            replicas=args.replicas,
            ports=ports,
            stores=Stores.from_environment(environ),
            tokens=shared_tokens(environ),
            workdir=WORKDIR,
            services=[s.strip() for s in args.services.split(",") if s.strip()],
            host=args.host,
            public_url=environ.get("DESK_PUBLIC_URL"),
        )
        if args.command == "config":
            sys.stdout.write(render_haproxy(the_plan))
            return 0
        return run(the_plan, workdir=WORKDIR, environ=environ)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
