"""`python -m tools.soak`: start the whole stack (restartable), run the soak, print its summary,
save its figures (var/soak/report.json) and exit 1 if anything was lost, duplicated or out of
order. `--replicas 2` soaks a scaled stack (tools.scaled: HAProxy, two replicas of each service,
PostgreSQL and Redis), killing one replica of each service in turn (`make soak-scaled`)."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from pathlib import Path

from tools.services import ROOT
from tools.soak.report import figures, summary
from tools.soak.run import SoakConfig, run_soak

log = logging.getLogger("tools.soak")


def parse(argv: list[str] | None) -> tuple[SoakConfig, Path]:
    defaults = SoakConfig()
    parser = argparse.ArgumentParser(prog="python -m tools.soak", description=__doc__)
    parser.add_argument("--conversations", type=int, default=defaults.conversations)
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="of customer traffic")
    parser.add_argument(
        "--rate", type=float, default=defaults.rate, help="customer messages per second, all told"
    )
    parser.add_argument("--agents", type=int, default=defaults.agents)
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="times each service is killed")
    parser.add_argument(
        "--replicas",
        type=int,
        default=defaults.replicas,
        help="of each service (1: one process each; more: a scaled stack, one replica killed at a time)",
    )
    parser.add_argument("--drop-rate", type=float, default=defaults.drop_rate)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "soak", help="logs, databases, report")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas: at least 1")
    config = SoakConfig(
        conversations=args.conversations,
        seconds=args.seconds,
        rate=args.rate,
        agents=args.agents,
        rounds=args.rounds,
        replicas=args.replicas,
        drop_rate=args.drop_rate,
        seed=args.seed,
    )
    return config, args.workdir


def main(argv: list[str] | None = None) -> int:
    config, workdir = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per agent poll otherwise
    shutil.rmtree(workdir, ignore_errors=True)  # each run starts from empty databases
    log.info("starting the stack in %s", workdir)
    result = run_soak(workdir, config)
    (workdir / "report.json").write_text(json.dumps(figures(result), indent=2) + "\n")
    sys.stdout.write(summary(result) + f"\n(logs and databases: {workdir})\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
