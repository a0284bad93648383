"""Start a project service as a real subprocess on a free port and wait until it is ready."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class RunningService:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def run_service(
    module: str,
    *,
    env: Mapping[str, str],
    port_variable: str,
    log_path: Path,
    python: str = sys.executable,
    ready_path: str = "/readyz",
    timeout: float = 180.0,
) -> contextlib.AbstractContextManager[RunningService]:
    """Run `python -m module` with `env` on a free port; yield once `ready_path` answers 200."""
    return run_command(
        [python, "-m", module],
        env=env,
        port_variable=port_variable,
        log_path=log_path,
        ready_path=ready_path,
        timeout=timeout,
    )


@contextlib.contextmanager
def run_command(
    command: list[str],
    *,
    env: Mapping[str, str],
    port_variable: str,
    log_path: Path,
    ready_path: str,
    timeout: float = 180.0,
    port: int | None = None,
    wait: bool = True,
) -> Iterator[RunningService]:
    """Run a service command with `env` and its port in `port_variable`; yield once
    `ready_path` answers 200 (at once with `wait=False`: the caller then calls `wait_ready`, so
    several services can start side by side); stop it (and its children) afterwards."""
    port = port or free_port()
    full_env = {**os.environ, **env, port_variable: str(port), "PYTHONPATH": str(ROOT)}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    service = RunningService(f"http://127.0.0.1:{port}", process, log_path)
    try:
        if wait:
            wait_ready(service, ready_path, timeout)
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(service: RunningService, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"service exited with {service.process.returncode}:\n{service.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(service.url + path, timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise TimeoutError(f"{service.url}{path} not ready after {timeout}s:\n{service.log_tail()}")
