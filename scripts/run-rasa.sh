#!/usr/bin/env bash
# Start the Rasa server (REST channel + HTTP API) on the trained model, with defaults for the
# variables endpoints.yml reads.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export RASA_TELEMETRY_ENABLED=false
: "${RASA_PORT:=5005}"
: "${ACTIONS_PORT:=5055}"
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:${ACTIONS_PORT}/webhook}"
export RASA_TRACKER_DIALECT="${RASA_TRACKER_DIALECT:-sqlite}"
export RASA_TRACKER_URL="${RASA_TRACKER_URL:-}"
export RASA_TRACKER_DB="${RASA_TRACKER_DB:-$root/var/rasa/tracker.db}"
mkdir -p "$root/var/rasa"
endpoints=endpoints.yml
# Replicas share Rasa's Redis lock store (make run-scaled): its endpoints file takes the
# redis://[user:password@]host[:port][/db] URL in parts.
if [ -n "${RASA_LOCK_STORE_URL:-}" ]; then
  pattern='^redis://(([^:@/]*)(:([^@/]*))?@)?([^:@/]+)(:([0-9]+))?(/([0-9]+))?/?$'
  if [[ ! "$RASA_LOCK_STORE_URL" =~ $pattern ]]; then
    echo "error: RASA_LOCK_STORE_URL must look like redis://host:port/db (got ...${RASA_LOCK_STORE_URL##*@})" >&2
    exit 2
  fi
  export RASA_LOCK_STORE_USERNAME="${BASH_REMATCH[2]}" RASA_LOCK_STORE_PASSWORD="${BASH_REMATCH[4]}"
  export RASA_LOCK_STORE_HOST="${BASH_REMATCH[5]}" RASA_LOCK_STORE_PORT="${BASH_REMATCH[7]:-6379}"
  export RASA_LOCK_STORE_DB="${BASH_REMATCH[9]:-1}"
  endpoints=endpoints.scaled.yml
fi
auth=()
if [ -n "${RASA_AUTH_TOKEN:-}" ]; then auth=(--auth-token "$RASA_AUTH_TOKEN"); fi
cd bot
# Loopback only unless RASA_HOST says otherwise: its HTTP API can rewrite any conversation.
exec ../.venv/rasa/bin/rasa run --enable-api "${auth[@]}" --interface "${RASA_HOST:-127.0.0.1}" --port "$RASA_PORT" \
  --model models/kestrel.tar.gz --credentials credentials.yml --endpoints "$endpoints"
