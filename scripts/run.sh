#!/usr/bin/env bash
# Start every service in the foreground with honcho (Procfile); Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a
: "${KB_PORT:=8100}" "${RASA_PORT:=5005}" "${ACTIONS_PORT:=5055}" "${DESK_PORT:=8000}"
export KB_PORT RASA_PORT ACTIONS_PORT DESK_PORT
export ACTIONS_KB_URL="${ACTIONS_KB_URL:-http://127.0.0.1:${KB_PORT}}"
export ACTIONS_DESK_URL="${ACTIONS_DESK_URL:-http://127.0.0.1:${DESK_PORT}}"
export DESK_RASA_URL="${DESK_RASA_URL:-http://127.0.0.1:${RASA_PORT}}"
export DESK_KB_URL="${DESK_KB_URL:-http://127.0.0.1:${KB_PORT}}"
export DESK_PUBLIC_URL="${DESK_PUBLIC_URL:-http://localhost:${DESK_PORT}}"
export KB_PUBLIC_URL="${KB_PUBLIC_URL:-${DESK_PUBLIC_URL}/help}"
# The action server sends confirmed answers to the knowledge service as candidate examples:
# one shared token, made up for this run unless both sides were given one.
if [ -z "${KB_SERVICE_TOKEN:-}" ] && [ -z "${ACTIONS_KB_SERVICE_TOKEN:-}" ]; then
  KB_SERVICE_TOKEN=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
fi
export KB_SERVICE_TOKEN="${KB_SERVICE_TOKEN:-${ACTIONS_KB_SERVICE_TOKEN:-}}"
export ACTIONS_KB_SERVICE_TOKEN="${ACTIONS_KB_SERVICE_TOKEN:-${KB_SERVICE_TOKEN}}"
export DESK_KB_SERVICE_TOKEN="${DESK_KB_SERVICE_TOKEN:-${KB_SERVICE_TOKEN}}"
# The editor pages call the knowledge service's editing API with its editor token.
export DESK_KB_EDITOR_TOKEN="${DESK_KB_EDITOR_TOKEN:-${KB_EDITOR_TOKEN:-dev-editor-token}}"
# Rasa's HTTP API (trackers, injected events) always has a token: made up for this run unless given.
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  RASA_AUTH_TOKEN="${DESK_RASA_AUTH_TOKEN:-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')}"
fi
export RASA_AUTH_TOKEN DESK_RASA_AUTH_TOKEN="${DESK_RASA_AUTH_TOKEN:-${RASA_AUTH_TOKEN}}"
demo_agent=""
if [ -z "${DESK_AGENTS:-}" ]; then
  demo_agent="  demo agent          ana@kestrel.example / kestrel-demo   (set DESK_AGENTS for real accounts)"
fi
mkdir -p var
banner=$(mktemp "${TMPDIR:-/tmp}/kestrel-run-banner.XXXXXX")
cat > "$banner" <<MSG

  Kestrel support assistant is ready (Ctrl-C stops everything)
  demo page + widget  ${DESK_PUBLIC_URL}/
  agent console       ${DESK_PUBLIC_URL}/console
${demo_agent}
  article editor      ${DESK_PUBLIC_URL}/editor   (demo editor editor@kestrel.example / kestrel-demo)
  help centre         ${DESK_PUBLIC_URL}/help/
  desk API docs       ${DESK_PUBLIC_URL}/docs
  sent mail (dev)     ${DESK_PUBLIC_URL}/dev/mail   (replies to tickets, caught on 127.0.0.1:${DESK_SMTP_PORT:-8025})
  knowledge service   http://localhost:${KB_PORT}
  search API docs     http://localhost:${KB_PORT}/docs
  Rasa assistant      http://localhost:${RASA_PORT}/webhooks/rest/webhook
  action server       http://localhost:${ACTIONS_PORT}/health
  embedding model     ${KB_MODEL_PATH:-all-MiniLM-L6-v2 as bundled (untuned)}
MSG
# A desk with no conversations yet (a first run): say how to fill the manager's pages with
# weeks of simulated history. Only a hint: nothing waits for an answer.
if ! .venv/svc/bin/python -m desk.simulate.history "${DESK_DATABASE_URL:-${DESK_DATABASE_PATH:-var/desk/desk.sqlite3}}"; then
  cat >> "$banner" <<MSG
  no history yet      run \`make simulate-backfill\` in another terminal for four weeks of simulated
                      traffic on the manager's pages (\`make simulate\` plays some now)
MSG
fi
echo "==> starting the knowledge service, action server, Rasa, the desk and its mail catcher (the URLs follow once all answer)"
# The watcher runs beside honcho and prints the URLs only when every service answers.
.venv/svc/bin/python -m tools.wait_ready "$banner" \
  "kb=http://127.0.0.1:${KB_PORT}/readyz" \
  "actions=http://127.0.0.1:${ACTIONS_PORT}/health" \
  "rasa=http://127.0.0.1:${RASA_PORT}/status?token=${RASA_AUTH_TOKEN}" \
  "desk=http://127.0.0.1:${DESK_PORT}/readyz" &
watcher=$!
trap 'kill "$watcher" 2>/dev/null || true; rm -f "$banner"' EXIT
# Ctrl-C is how this is meant to end: honcho stops every service and reports 130, which is success.
status=0
.venv/svc/bin/honcho start -f Procfile || status=$?
if [ "$status" -eq 130 ]; then
  echo "all services stopped"
  exit 0
fi
exit "$status"
