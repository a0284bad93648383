#!/usr/bin/env bash
# Run one setup step: say what it does and roughly how long it takes, then how long it took.
# Each finished step is appended to var/setup/steps.jsonl, which `make bench-setup` reads.
# usage: step.sh NAME "what it does (about how long)" command [args...]
set -uo pipefail
name="$1"; what="$2"; shift 2
cd "$(dirname "$0")/.."
started=$(date +%s.%N)
echo "==> [$name] $what"
"$@"
status=$?
seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
mkdir -p var/setup
printf '{"step": "%s", "seconds": %s, "status": %d, "finished": "%s"}\n' \
  "$name" "$seconds" "$status" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> var/setup/steps.jsonl
if [ "$status" -eq 0 ]; then
  echo "==> [$name] done in ${seconds}s"
else
  echo "==> [$name] FAILED after ${seconds}s (exit $status)" >&2
fi
exit "$status"
