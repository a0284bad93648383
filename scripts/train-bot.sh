#!/usr/bin/env bash
# Train the Rasa model when bot/ changed (by content hash); reuse it otherwise. A model trained
# from the same bot/ by another clone on this machine is copied from the per-user cache
# (KESTREL_CACHE_DIR, else $XDG_CACHE_HOME/kestrel-support, else ~/.cache/kestrel-support).
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
model=bot/models/kestrel.tar.gz
stamp=bot/models/kestrel.sha256
hash=$(find bot/config.yml bot/domain.yml bot/data bot/addons -type f -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -f "$model" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  echo "==> Rasa model is up to date ($model)"
  exit 0
fi
cache="${KESTREL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kestrel-support}/rasa"
mkdir -p bot/models
if [ -f "$cache/$hash.tar.gz" ] && cp "$cache/$hash.tar.gz" "$model.partial"; then
  mv "$model.partial" "$model"
  echo "$hash" > "$stamp"
  echo "==> copied the Rasa model trained from this bot/ from $cache"
  exit 0
fi

log=var/setup/rasa-train.log
mkdir -p var/setup
: > "$log"
# `rasa train` validates the data itself; the tests also run `rasa data validate --fail-on-warnings`.
echo "==> training the Rasa model (each component below; log: $log)"
# Rasa's own log says when each pipeline component starts training: shown as the progress.
status=0
(cd bot && ../.venv/rasa/bin/rasa train --fixed-model-name kestrel --out models) 2>&1 \
  | tee -a "$log" \
  | sed -un "s/.*Starting to train component '\([A-Za-z]*\)'.*/    training \1/p" || status=$?
if [ "$status" -ne 0 ] || [ ! -f "$model" ]; then
  tail -n 40 "$log" >&2
  echo "error: Rasa training failed (full log: $log)" >&2
  exit 1
fi
echo "$hash" > "$stamp"
if mkdir -p "$cache" 2>/dev/null && cp "$model" "$cache/.$hash.partial" 2>/dev/null; then
  mv "$cache/.$hash.partial" "$cache/$hash.tar.gz"
  # Keep the three newest models.
  ls -1t "$cache"/*.tar.gz 2>/dev/null | tail -n +4 | xargs -r rm -f
fi
echo "==> trained bot/models/kestrel.tar.gz"
