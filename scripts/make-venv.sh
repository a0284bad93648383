#!/usr/bin/env bash
# Create (or reuse) a virtual environment of a given Python version and install pinned requirements.
# usage: make-venv.sh 3.11 .venv/svc requirements/svc.txt [more requirement files...]
set -euo pipefail
want="$1"; venv="$2"; shift 2
here="$(cd "$(dirname "$0")" && pwd)"

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)"; then
  echo "==> reusing $venv (Python $want)"
else
  python=$("$here/find-python.sh" "$want")
  echo "==> creating $venv with $python"
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.3.1"
args=()
for f in "$@"; do args+=(-r "$f"); done
echo "==> installing ${*} into $venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off --quiet "${args[@]}"
