"""The soak's agents: accounts made for it (DESK_AGENTS), each a console agent from the desk's
traffic simulator (desk/simulate/agents.py) that claims, replies and resolves at once."""

from __future__ import annotations

from desk.simulate.agents import AgentLogin, DeskAgent

__all__ = ["AgentLogin", "DeskAgent", "soak_agents"]


def soak_agents(count: int) -> list[AgentLogin]:
    return [
        AgentLogin(f"soak-agent-{i}@kestrel.example", f"Soak Agent {i}", f"soak-password-{i}")
        for i in range(1, count + 1)
    ]
