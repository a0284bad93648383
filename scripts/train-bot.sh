#!/usr/bin/env bash
# Train the Rasa model when bot/ changed (by content hash); reuse it otherwise. A model trained
# from the same bot/ by another clone on this machine is copied from the per-user cache
# (KESTREL_CACHE_DIR, else $XDG_CACHE_HOME/kestrel-support, else ~/.cache/kestrel-support).
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
model=bot/models/kestrel.tar.gz
stamp=bot/models/kestrel.sha256
# The Rasa pins are part of the key: clones sharing the per-user cache may pin other versions.
hash=$(find bot/config.yml bot/domain.yml bot/data bot/addons requirements/rasa.txt -type f -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -f "$model" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  echo "==> Rasa model is up to date ($model)"
  exit 0
fi
cache="${KESTREL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kestrel-support}/rasa"
mkdir -p bot/models
# A cached model is used only if it is a whole archive; anything else is trained again.
if [ -f "$cache/$hash.tar.gz" ] && cp "$cache/$hash.tar.gz" "$model.partial" && tar -tzf "$model.partial" >/dev/null 2>&1; then
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
rm -f "$model.partial"
# Keep a copy for other clones: written under a name of its own, then renamed, so two clones
# storing at once never publish a half-written file. A cache we cannot write costs nothing.
{
  mkdir -p "$cache" &&
    tmp=$(mktemp "$cache/.$hash.XXXXXX") &&
    cp "$model" "$tmp" &&
    mv -f "$tmp" "$cache/$hash.tar.gz" &&
    { ls -1t "$cache"/*.tar.gz | tail -n +4 | xargs -r rm -f; }
} 2>/dev/null || { rm -f "${tmp:-}" 2>/dev/null; true; }
echo "==> trained bot/models/kestrel.tar.gz"
