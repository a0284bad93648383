"""scripts/step.sh: every setup step says what it does, how long it took, and leaves its time
for `make bench-setup`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_step(tmp_path: Path, *command: str) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    scripts = tmp_path / "scripts"
    scripts.mkdir(exist_ok=True)
    shutil.copy(ROOT / "scripts" / "step.sh", scripts / "step.sh")
    done = subprocess.run(
        [str(scripts / "step.sh"), "demo", "a demo step (about a second)", *command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    log = tmp_path / "var" / "setup" / "steps.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, rows


def test_a_step_says_what_it_does_and_records_its_time(tmp_path: Path) -> None:
    done, rows = run_step(tmp_path, "true")
    assert done.returncode == 0
    assert "==> [demo] a demo step (about a second)" in done.stdout
    assert "==> [demo] done in" in done.stdout
    assert rows[0]["step"] == "demo"
    assert rows[0]["status"] == 0
    assert rows[0]["seconds"] >= 0


def test_a_failing_step_fails_and_says_so(tmp_path: Path) -> None:
    done, rows = run_step(tmp_path, "sh", "-c", "exit 3")
    assert done.returncode == 3
    assert "FAILED" in done.stderr
    assert rows[0]["status"] == 3
