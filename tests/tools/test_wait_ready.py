"""`make run`'s watcher: names what it is waiting for, and prints the URLs only when all answer."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tools.services import ROOT
from tools.wait_ready import wait


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_says_which_services_are_still_pending_until_all_answer() -> None:
    clock = FakeClock()
    ready_at = {"kb": 5.0, "rasa": 25.0}
    lines: list[str] = []
    done = wait(
        {"kb": "kb-url", "rasa": "rasa-url"},
        say=lines.append,
        probe=lambda url: clock.now >= ready_at[url.removesuffix("-url")],
        every=10,
        clock=clock,
        sleep=clock.sleep,
    )
    assert done
    assert lines[0].startswith("==> waiting for kb (")
    assert "rasa" in lines[0]
    pending = [line for line in lines if "still waiting" in line]
    assert pending, lines
    assert "kb" not in pending[-1].split("for", 1)[1]
    assert "rasa (loading the trained model" in pending[-1]
    assert lines[-1].startswith("==> every service answers")


def test_gives_up_after_the_timeout_naming_what_never_answered() -> None:
    clock = FakeClock()
    lines: list[str] = []
    done = wait(
        {"desk": "x"}, say=lines.append, probe=lambda _: False, timeout=30, clock=clock, sleep=clock.sleep
    )
    assert not done
    assert "gave up" in lines[-1]
    assert "desk" in lines[-1]


@pytest.fixture
def ready_server() -> Iterator[str]:
    class Ok(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/readyz" else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_prints_the_banner_once_a_real_http_check_answers(tmp_path: Path, ready_server: str) -> None:
    banner = tmp_path / "banner.txt"
    banner.write_text("  demo page  http://localhost:8000/\n")
    done = subprocess.run(
        [sys.executable, "-m", "tools.wait_ready", str(banner), f"desk={ready_server}/readyz"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("demo page  http://localhost:8000/")
