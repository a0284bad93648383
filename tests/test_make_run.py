"""`make run`'s script starts all four services, says which it is still waiting for, prints
where they are once all answer, and stops cleanly on Ctrl-C (SIGINT to the whole process
group, as a terminal sends it)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tools.services import ROOT, free_port
from tools.stack import seed_kb_data, train_bot

pytestmark = pytest.mark.slow


def test_run_starts_every_service_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    train_bot()
    seed_kb_data(tmp_path / "kb")  # the index an earlier test's stack built, when there is one
    names = ("DESK_PORT", "KB_PORT", "RASA_PORT", "ACTIONS_PORT", "DESK_SMTP_PORT")
    ports = {name: free_port() for name in names}
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "KB_DATA_DIR": str(tmp_path / "kb"),
        "DESK_DATABASE_PATH": str(tmp_path / "desk.sqlite3"),
        "RASA_TRACKER_DB": str(tmp_path / "tracker.db"),
        "ACTIONS_OUTBOX_PATH": str(tmp_path / "outbox.sqlite3"),
        "DESK_MAIL_CAPTURE_DIR": str(tmp_path / "mail"),
        "RASA_AUTH_TOKEN": "",  # make run makes one up
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
            "actions": f"http://127.0.0.1:{ports['ACTIONS_PORT']}/health",
        }
        # The URLs are printed only once every service answers; until then it says what it waits for.
        deadline = time.monotonic() + 300
        while "is ready" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.5)
        banner = log.read_text()
        assert "is ready" in banner, banner[-3000:]
        for name, url in checks.items():
            assert httpx.get(url, timeout=5).status_code == 200, name
        rasa_status = f"http://127.0.0.1:{ports['RASA_PORT']}/status"
        assert httpx.get(rasa_status, timeout=5).status_code == 401  # Rasa's API has a token
        assert "==> waiting for" in banner
        assert "rasa (loading the trained model" in banner
        assert banner.index("==> waiting for") < banner.index("is ready")
        assert httpx.get(f"{desk}/").status_code == 200
        with socket.create_connection(("127.0.0.1", ports["DESK_SMTP_PORT"]), timeout=5):
            pass  # the development mail catcher listens
        for path in ("/console", "/docs", "/help/", "/dev/mail"):
            assert f"localhost:{ports['DESK_PORT']}{path}" in banner
        assert "make simulate-backfill" in banner  # a new desk: how to get weeks of history
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert code == 0, log.read_text()[-3000:]
    assert "all services stopped" in log.read_text()
