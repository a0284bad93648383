"""A scaled deployment on one machine: several replicas of each service behind HAProxy, on
PostgreSQL and Redis (docs/contracts/scale-out.md). `python -m tools.scaled run` is
`make run-scaled`; `scaled_stack` starts one for tests."""

from tools.scaled.haproxy import render_haproxy, server_states
from tools.scaled.plan import KINDS, SERVICES, Plan, Ports, Process, Stores, plan, shared_tokens, tracker_env
from tools.scaled.stack import ScaledStack, scaled_stack

__all__ = [
    "KINDS",
    "SERVICES",
    "Plan",
    "Ports",
    "Process",
    "ScaledStack",
    "Stores",
    "plan",
    "render_haproxy",
    "scaled_stack",
    "server_states",
    "shared_tokens",
    "tracker_env",
]
