"""`make run`'s watcher: says which services it is waiting for (at once, then every ten
seconds), and prints the banner (the URLs to open) only once every service answers its
readiness check.

usage: python -m tools.wait_ready BANNER_FILE NAME=URL [NAME=URL ...]
"""

from __future__ import annotations

import http.client
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

HINTS = {
    "kb": "loading the embedding model and index",
    "rasa": "loading the trained model, usually 20-60 s",
    "actions": "starting the action server",
    "desk": "starting the desk",
}


# Our services are on loopback: never through an http_proxy the environment may set.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def answers(url: str) -> bool:
    try:
        with _direct.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
        return False


def wait(
    checks: dict[str, str],
    *,
    say: Callable[[str], None],
    probe: Callable[[str], bool] = answers,
    every: float = 10.0,
    poll: float = 1.0,
    timeout: float = 600.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Poll until every check answers; every `every` seconds say which are still pending."""
    started = clock()
    last_said: float | None = None
    pending = dict(checks)
    while pending:
        for name, url in list(pending.items()):
            if probe(url):
                del pending[name]
        if not pending:
            break
        now = clock()
        if now - started > timeout:
            say(f"==> gave up after {timeout:.0f}s waiting for: {describe(pending)}")
            return False
        if last_said is None:
            say(f"==> waiting for {describe(pending)}")
            last_said = now
        elif now - last_said >= every:
            say(f"==> {now - started:.0f}s: still waiting for {describe(pending)}")
            last_said = now
        sleep(poll)
    say(f"==> every service answers ({clock() - started:.0f}s)")
    return True


def describe(pending: dict[str, str]) -> str:
    return ", ".join(f"{name} ({HINTS[name]})" if name in HINTS else name for name in pending)


def main(argv: list[str]) -> int:
    banner, *pairs = argv
    checks = dict(pair.split("=", 1) for pair in pairs)

    def say(line: str) -> None:
        print(line, flush=True)

    if not wait(checks, say=say):
        return 1
    print(Path(banner).read_text(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
