#!/usr/bin/env bash
# Start every service in the foreground with honcho (Procfile); Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a
: "${KB_PORT:=8100}"
export KB_PORT
mkdir -p var
cat <<MSG

  Kestrel support assistant is starting (Ctrl-C stops everything)
  knowledge service   http://localhost:${KB_PORT}        (ready when /readyz answers 200)
  search API docs     http://localhost:${KB_PORT}/docs
  embedding model     ${KB_MODEL_PATH:-all-MiniLM-L6-v2 as bundled (untuned)}

MSG
# Ctrl-C is how this is meant to end: honcho stops every service and reports 130, which is success.
status=0
.venv/svc/bin/honcho start -f Procfile || status=$?
if [ "$status" -eq 130 ]; then
  echo "all services stopped"
  exit 0
fi
exit "$status"
