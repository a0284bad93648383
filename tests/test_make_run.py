"""`make run`'s script starts all four services, prints where they are, and stops cleanly on
Ctrl-C (SIGINT to the whole process group, as a terminal sends it)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tools.services import ROOT, free_port
from tools.stack import train_bot

pytestmark = pytest.mark.slow


def test_run_starts_every_service_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    train_bot()
    ports = {name: free_port() for name in ("DESK_PORT", "KB_PORT", "RASA_PORT", "ACTIONS_PORT")}
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "KB_DATA_DIR": str(tmp_path / "kb"),
        "DESK_DATABASE_PATH": str(tmp_path / "desk.sqlite3"),
        "RASA_TRACKER_DB": str(tmp_path / "tracker.db"),
        "ACTIONS_OUTBOX_PATH": str(tmp_path / "outbox.sqlite3"),
    }
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        desk = f"http://127.0.0.1:{ports['DESK_PORT']}"
        checks = {
            "desk": f"{desk}/readyz",
            "kb": f"http://127.0.0.1:{ports['KB_PORT']}/readyz",
            "rasa": f"http://127.0.0.1:{ports['RASA_PORT']}/status",
            "actions": f"http://127.0.0.1:{ports['ACTIONS_PORT']}/health",
        }
        deadline = time.monotonic() + 300
        waiting = dict(checks)
        while waiting and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            for name, url in list(waiting.items()):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url, timeout=2).status_code == 200:
                        del waiting[name]
            time.sleep(1)
        assert not waiting, f"not up: {sorted(waiting)}\n{log.read_text()[-3000:]}"
        assert httpx.get(f"{desk}/").status_code == 200
        banner = log.read_text()
        for path in ("/console", "/docs", "/help/"):
            assert f"localhost:{ports['DESK_PORT']}{path}" in banner
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert code == 0, log.read_text()[-3000:]
    assert "all services stopped" in log.read_text()
