"""`make run-scaled`: HAProxy and every replica as child processes, their output prefixed with
their names (as honcho does for `make run`); the URLs once all answer; Ctrl-C stops them all."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from tools import wait_ready
from tools.scaled.haproxy import check_config, render_haproxy
from tools.scaled.plan import Plan, copy_index
from tools.services import ROOT


def environment(root: Path = ROOT) -> dict[str, str]:
    """The process environment with `.env` read over it, as scripts/run.sh sources it."""
    from dotenv import dotenv_values

    env = dict(os.environ)
    dotfile = root / ".env"
    if dotfile.exists():
        env.update({k: v for k, v in dotenv_values(dotfile).items() if v is not None})
    return env


def banner(plan: Plan) -> str:
    lines = ["", "  Kestrel support assistant, scaled, is ready (Ctrl-C stops everything)"]
    for public in {p.env["DESK_PUBLIC_URL"] for p in plan.replicas_of("desk")}:
        lines += [
            f"  demo page + widget  {public}/",
            f"  agent console       {public}/console",
            f"  article editor      {public}/editor",
            f"  sent mail (dev)     {public}/dev/mail",
        ]
    where = {
        "desk": "desk (HTTP, WebSocket)",
        "kb": "knowledge service",
        "rasa": "Rasa assistant",
        "actions": "action server",
    }
    for service in plan.services:
        ports = ", ".join(f":{p.port}" for p in plan.replicas_of(service))
        lines.append(f"  {where[service]:<22} {plan.front_url(service)}   replicas {ports}")
    lines.append(f"  proxy statistics       {plan.stats_url}")
    return "\n".join(lines) + "\n"


class _Output:
    """Child output, one line at a time, prefixed with the time and the process name."""

    def __init__(self, out: IO[str], width: int) -> None:
        self._out = out
        self._width = width
        self._lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        with self._lock:
            self._out.write(f"{time.strftime('%H:%M:%S')} {name:<{self._width}} | {text}\n")
            self._out.flush()

    def block(self, text: str) -> None:
        with self._lock:
            self._out.write(text)
            self._out.flush()

    def pump(self, name: str, stream: IO[bytes], skip: re.Pattern[str] | None = None) -> None:
        for raw in iter(stream.readline, b""):
            text = raw.decode(errors="replace").rstrip()
            if skip is None or not skip.search(text):
                self.line(name, text)


def _noise(check_path: str | None) -> re.Pattern[str] | None:
    """What the proxy's checks make a replica log every second: their access lines (HAProxy
    checks with HTTP/1.0; clients use 1.1) and the desk's readiness call to Rasa, whose URL
    carries Rasa's token."""
    if check_path is None:
        return None
    return re.compile(f'"GET {re.escape(check_path)} HTTP/1.0"|HTTP Request: GET \\S+/status\\?token=')


def _announce(plan: Plan, output: _Output, stop: threading.Event) -> None:
    """Say what is still awaited every ten seconds; the URLs once everything answers."""
    if wait_ready.wait(plan.readiness(), say=lambda line: output.line("scaled", line)) and not stop.is_set():
        output.block(banner(plan))


def _stop(processes: Mapping[str, subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    """SIGTERM to each process group (a shell's exec'd server included), SIGKILL after `grace`."""
    for process in processes.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(plan: Plan, *, workdir: Path, environ: Mapping[str, str], out: IO[str] = sys.stdout) -> int:
    """Start HAProxy and every process of `plan`; print the URLs once all answer; stop them all
    on SIGINT or SIGTERM (exit 0) or when HAProxy exits (exit 1). A replica that exits is
    reported and routed around; nothing restarts it."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "haproxy.cfg"
    config.write_text(render_haproxy(plan))
    check_config(config)
    output = _Output(out, max(len(name) for name in ("haproxy", *(p.name for p in plan.processes))))
    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    base = {**environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    children: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(name: str, argv: Sequence[str], env: Mapping[str, str], check_path: str | None = None) -> None:
        # A session of its own: the terminal's Ctrl-C reaches only this runner, which then stops
        # every child in order (a shell's exec'd server with it).
        children[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**base, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stdout = children[name].stdout
        assert stdout is not None
        threading.Thread(target=output.pump, args=(name, stdout, _noise(check_path)), daemon=True).start()

    # The first knowledge replica builds or loads the index; the others start from a copy of it
    # once it answers, rather than each embedding every passage at once on a first run.
    first_kb, *later = plan.replicas_of("kb") or (None,)
    try:
        spawn("haproxy", ("haproxy", "-db", "-f", str(config)), {})
        for process in plan.processes:
            if process not in later:
                spawn(process.name, process.command, process.env, process.check_path)
        threading.Thread(target=_announce, args=(plan, output, stop), daemon=True).start()
        reported: set[str] = set()
        while not stop.wait(0.5):
            if later and first_kb and wait_ready.answers(f"http://127.0.0.1:{first_kb.port}/readyz"):
                for process in later:
                    copy_index(Path(first_kb.env["KB_DATA_DIR"]), Path(process.env["KB_DATA_DIR"]))
                    spawn(process.name, process.command, process.env, process.check_path)
                later = []
            if children["haproxy"].poll() is not None:
                output.line("scaled", f"HAProxy exited ({children['haproxy'].returncode}); stopping")
                return 1
            for name, child in children.items():
                if name not in reported and child.poll() is not None:
                    reported.add(name)
                    output.line("scaled", f"{name} exited ({child.returncode}); nothing restarts it")
        output.line("scaled", "stopping every process")
        return 0
    finally:
        _stop(children)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
