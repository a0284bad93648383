#!/usr/bin/env bash
# Train the Rasa model when bot/ changed (by content hash); reuse it otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
model=bot/models/kestrel.tar.gz
stamp=bot/models/kestrel.sha256
hash=$(find bot/config.yml bot/domain.yml bot/data -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -f "$model" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  echo "==> Rasa model is up to date ($model)"
  exit 0
fi
echo "==> training the Rasa model (bot/ changed; a few minutes on 2 cores)"
cd bot
../.venv/rasa/bin/rasa data validate --fail-on-warnings --quiet >/dev/null
../.venv/rasa/bin/rasa train --fixed-model-name kestrel --out models --quiet
echo "$hash" > models/kestrel.sha256
echo "==> trained bot/models/kestrel.tar.gz"
