"""Benchmark: does a reply slow down as one conversation grows?

Against the real assistant (kb_service, the action server, Rasa trained from bot/), one
conversation sends --turns messages on Rasa's REST channel, cycling through a question, "yes"
and "thanks" so it never hands over. Two conversations run interleaved, turn by turn, so noise
hits both alike:

- `one session`: every message in the same Rasa session, as before;
- `rotated`: the desk's policy (desk/bot_sessions.py): a new Rasa session (`/session_start`,
  slots carried over) once a session holds DESK_BOT_SESSION_TURNS customer messages, at a
  turn where the assistant is not waiting for an answer.

Reports the median reply time over turns 1-20 and over the last 20, and their ratio (the
issue's aim: turn 200 within 1.2 times turn 10).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from tools.services import ROOT
from tools.stack import assistant_stack

CYCLE = [
    "my new card still hasn't arrived, it's been over a week",
    "yes, that answered it",
    "thanks",
    "how long does a bank transfer to another UK bank take?",
    "yes, that answered it",
    "cheers",
]
WINDOW = 20


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=210)
    parser.add_argument("--session-turns", type=int, default=30, help="DESK_BOT_SESSION_TURNS")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "turns.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, assistant_stack(Path(tmp)) as stack:
        client = httpx.Client(timeout=60)
        senders = {"one session": f"bench-{uuid.uuid4().hex[:8]}", "rotated": f"bench-{uuid.uuid4().hex[:8]}"}
        times: dict[str, list[float]] = {name: [] for name in senders}
        in_session = 0
        for turn in range(args.turns):
            text = CYCLE[turn % len(CYCLE)]
            # Rotate where the assistant waits for nothing: before a new question.
            rotate = in_session >= args.session_turns and turn % 3 == 0
            for name, sender in senders.items():
                if name == "rotated" and rotate:
                    send(client, stack.rasa, sender, "/session_start")
                started = time.perf_counter()
                replies = send(client, stack.rasa, sender, text)
                times[name].append(time.perf_counter() - started)
                if not replies:
                    raise SystemExit(f"turn {turn + 1} of {name!r} got no reply: the conversation ended")
            in_session = 1 if rotate else in_session + 1
        client.close()

    result = {}
    for name, samples in times.items():
        first, last = median_ms(samples[:WINDOW]), median_ms(samples[-WINDOW:])
        result[name] = {"first_20_ms": first, "last_20_ms": last, "ratio": round(last / first, 2)}
    result["turns"] = args.turns
    result["session_turns"] = args.session_turns
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"Reply time as one conversation grows ({args.turns} turns, medians)")
    for name in senders:
        r = result[name]
        print(
            f"  {name:12s} turns 1-{WINDOW}: {r['first_20_ms']:7.1f} ms   "
            f"last {WINDOW}: {r['last_20_ms']:7.1f} ms   x{r['ratio']}"
        )
    print(f"full report: {args.out}")


def send(client: httpx.Client, rasa: str, sender: str, text: str) -> list[dict[str, object]]:
    response = client.post(f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text})
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


if __name__ == "__main__":
    main()
