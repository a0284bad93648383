"""Start a project service as a real subprocess on a free port and wait until it is ready."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

# Below the ephemeral ranges (Linux from 32768, BSD and macOS from 49152): a port picked here is
# not taken by some outgoing connection in the seconds before its service binds it, as a port
# the kernel hands out with bind(0) can be.
PORTS = range(20000, 32768)
_handed_out: set[int] = set()


def free_port() -> int:
    """A port free now, never handed out before by this process."""
    for _ in range(200):
        port = random.choice(PORTS)  # noqa: S311 - not a secret
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


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


class RestartableService:
    """A service process that can die as a crash kills it (SIGKILL, to its whole process group)
    and come back as a supervisor would bring it back: the same command, environment and port,
    its log appended to. `running` is the current process."""

    def __init__(
        self,
        command: list[str],
        *,
        env: Mapping[str, str],
        port_variable: str,
        log_path: Path,
        ready_path: str,
        port: int | None = None,
    ) -> None:
        self.command = command
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        self.log_path = log_path
        self.restarts = 0
        self._env = {**os.environ, **env, port_variable: str(self.port), "PYTHONPATH": str(ROOT)}
        self._running: RunningService | None = None

    @property
    def running(self) -> RunningService:
        assert self._running is not None, "not started"
        return self._running

    def start(self) -> RunningService:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab" if self._running else "wb") as log:
            if self._running:
                log.write(f"\n==> restarted after SIGKILL ({self.restarts})\n".encode())
                log.flush()
            # A session of its own, so that a kill reaches its children (a shell's exec'd server).
            process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._running = RunningService(self.url, process, self.log_path)
        return self._running

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a crash or an OOM kill."""
        process = self.running.process
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def restart(self) -> RunningService:
        """Kill, then start again at once on the same port (the caller waits for it)."""
        self.kill()
        self.restarts += 1
        return self.start()

    def wait_ready(self, timeout: float = 180.0) -> None:
        wait_ready(self.running, self.ready_path, timeout)

    def stop(self) -> None:
        process = self.running.process
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@contextlib.contextmanager
def run_restartable(
    command: list[str],
    *,
    env: Mapping[str, str],
    port_variable: str,
    log_path: Path,
    ready_path: str,
    port: int | None = None,
) -> Iterator[RestartableService]:
    """Like `run_command(..., wait=False)`, for a service a test kills and restarts; stopped
    (its whole process group) afterwards."""
    service = RestartableService(
        command, env=env, port_variable=port_variable, log_path=log_path, ready_path=ready_path, port=port
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()
