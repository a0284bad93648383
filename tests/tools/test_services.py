"""Ports for services started by tests: free, distinct, and out of the kernel's ephemeral range."""

from __future__ import annotations

import socket

from tools.services import free_port


def test_free_ports_are_distinct_and_below_the_ephemeral_ranges() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(1024 < port < 32768 for port in ports)
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports[-1]))  # still free for its service
