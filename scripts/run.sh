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

MSG
exec .venv/svc/bin/honcho start -f Procfile
