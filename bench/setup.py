"""`make bench-setup`: how long a new user waits, measured in fresh clones.

Clones the committed HEAD into a temporary folder with empty per-user caches (pip's and ours,
`KESTREL_CACHE_DIR`), then times, in that clone:
  1. `make prepare-test`, fresh: every setup step (two environments, tuning, Rasa training, system
     packages), side by side as `make test` runs them; each step's own time from
     var/setup/steps.jsonl;
  2. the test suite itself (`make test`, setup now done), unless --no-tests;
  3. `make prepare-test` again with nothing changed;
  4. `make run` until the widget's assistant answers a question, twice: in a second fresh clone
     (its own empty caches) and again in that clone with nothing changed.
Writes var/bench/setup.json. Wall-clock times on a shared machine are noisy: read them as
minutes, compare runs made on the same machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tools.services import ROOT, free_port

QUESTION = "how long does it take for my new card to arrive?"


def fresh_clone(workdir: Path, name: str) -> tuple[Path, dict[str, str]]:
    """A clone of HEAD with shared/ beside it (as CI lays it out) and empty caches of its own."""
    clone = workdir / name
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    shared = ROOT.parent / "shared"
    if shared.exists() and not (workdir / "shared").exists():
        (workdir / "shared").symlink_to(shared)
    caches = workdir / f"{name}-caches"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KB_", "DESK_", "ACTIONS_", "RASA_"))},
        "KESTREL_CACHE_DIR": str(caches / "kestrel"),
        "PIP_CACHE_DIR": str(caches / "pip"),
    }
    env.pop("VIRTUAL_ENV", None)
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    env.pop("MAKELEVEL", None)
    return clone, env


def timed_make(clone: Path, env: dict[str, str], target: str, log: Path) -> dict[str, Any]:
    started = time.perf_counter()
    with log.open("ab") as out:
        code = subprocess.run(
            ["make", target], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        ).returncode
    seconds = time.perf_counter() - started
    print(f"  make {target}: {seconds:.0f}s (exit {code})", flush=True)
    return {"target": target, "seconds": round(seconds, 1), "exit": code}


def step_times(clone: Path) -> dict[str, float]:
    path = clone / "var" / "setup" / "steps.jsonl"
    steps: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            steps[row["step"]] = steps.get(row["step"], 0.0) + row["seconds"]
        path.unlink()
    return steps


def first_answer(clone: Path, env: dict[str, str], log: Path, timeout: float = 1800) -> dict[str, Any]:
    """`make run` until the URLs are printed and the assistant answers a question over Rasa's
    REST channel (what the widget's gateway calls); then Ctrl-C."""
    ports = {name: str(free_port()) for name in ("DESK_PORT", "KB_PORT", "RASA_PORT", "ACTIONS_PORT")}
    run_env = {**env, **ports}
    offset = log.stat().st_size if log.exists() else 0  # the log is shared with earlier runs
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["make", "run"],
            cwd=clone,
            env=run_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    result: dict[str, Any] = {"answered": False}
    try:
        deadline = started + timeout
        while time.perf_counter() < deadline and process.poll() is None:
            if b"is ready" in log.read_bytes()[offset:]:
                result["urls_printed_seconds"] = round(time.perf_counter() - started, 1)
                break
            time.sleep(1)
        while "urls_printed_seconds" in result and time.perf_counter() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                reply = httpx.post(
                    f"http://127.0.0.1:{ports['RASA_PORT']}/webhooks/rest/webhook",
                    json={"sender": f"bench-{time.time_ns()}", "message": QUESTION},
                    timeout=30,
                ).json()
                if any(isinstance(m.get("custom"), dict) and m["custom"].get("kind") for m in reply):
                    result["answered"] = True
                    result["answered_seconds"] = round(time.perf_counter() - started, 1)
                    break
            time.sleep(1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    print(f"  make run: {result}", flush=True)
    return result


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-tests", action="store_true", help="time setup and make run only")
    parser.add_argument("--no-run", action="store_true", help="skip the make run measurements")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "setup.json")
    args = parser.parse_args()
    if git("status", "--porcelain"):
        print("note: uncommitted changes are not measured (the clone is of HEAD)", file=sys.stderr)
    report: dict[str, Any] = {
        "commit": git("rev-parse", "HEAD"),
        "machine": {"cores": os.cpu_count(), "processor": platform.processor() or platform.machine()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-setup-") as tmp:
        workdir = Path(tmp)
        clone, env = fresh_clone(workdir, "test")
        log = workdir / "test.log"
        print(f"fresh clone in {clone} (log {log})", flush=True)
        report["fresh_setup"] = {**timed_make(clone, env, "prepare-test", log), "steps": step_times(clone)}
        if not args.no_tests:
            report["tests_after_setup"] = timed_make(clone, env, "test", log)
            step_times(clone)
            report["fresh_make_test_seconds"] = round(
                report["fresh_setup"]["seconds"] + report["tests_after_setup"]["seconds"], 1
            )
        report["second_setup"] = {**timed_make(clone, env, "prepare-test", log), "steps": step_times(clone)}
        if not args.no_run:
            run_clone, run_env = fresh_clone(workdir, "run")
            run_log = workdir / "run.log"
            report["fresh_make_run"] = first_answer(run_clone, run_env, run_log)
            report["fresh_make_run"]["steps"] = step_times(run_clone)
            report["second_make_run"] = first_answer(run_clone, run_env, run_log)
        report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
        failed = [
            k
            for k, v in report.items()
            if isinstance(v, dict) and (v.get("exit", 0) != 0 or v.get("answered") is False)
        ]
        print(json.dumps(report, indent=2))
        if failed:
            print(f"failed: {failed}; logs were in {workdir}", file=sys.stderr)
            raise SystemExit(1)


if __name__ == "__main__":
    main()
