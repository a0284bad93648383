#!/usr/bin/env bash
# Start every service in the foreground with honcho (Procfile); Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a
: "${KB_PORT:=8100}" "${RASA_PORT:=5005}" "${ACTIONS_PORT:=5055}"
export KB_PORT RASA_PORT ACTIONS_PORT
export ACTIONS_KB_URL="${ACTIONS_KB_URL:-http://127.0.0.1:${KB_PORT}}"
mkdir -p var
cat <<MSG

  Kestrel support assistant is starting (Ctrl-C stops everything)
  knowledge service   http://localhost:${KB_PORT}        (ready when /readyz answers 200)
  search API docs     http://localhost:${KB_PORT}/docs
  Rasa assistant      http://localhost:${RASA_PORT}/webhooks/rest/webhook   (ready when /status answers; ~30 s)
  action server       http://localhost:${ACTIONS_PORT}/health
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
