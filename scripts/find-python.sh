#!/usr/bin/env bash
# Print the path of a Python interpreter of the given minor version (e.g. 3.10).
# Looks, in order: pythonX.Y on the PATH, pyenv's installed versions, then uv.
set -u
want="${1:?usage: find-python.sh 3.10}"

is_wanted() {
  "$1" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" >/dev/null 2>&1
}

# 1. On the PATH (a pyenv shim for a version that is not active fails this check).
if candidate=$(command -v "python$want" 2>/dev/null) && is_wanted "$candidate"; then
  echo "$candidate"; exit 0
fi

# 2. pyenv, whether or not that version is the active one.
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  version=$(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}(\.[0-9]+)?$" | sort -V | tail -n 1)
  if [ -n "$version" ] && is_wanted "$root/versions/$version/bin/python$want"; then
    echo "$root/versions/$version/bin/python$want"; exit 0
  fi
fi

# 3. uv: a Python it already manages, else one it installs.
if command -v uv >/dev/null 2>&1; then
  if candidate=$(uv python find "$want" 2>/dev/null) && is_wanted "$candidate"; then
    echo "$candidate"; exit 0
  fi
  if uv python install "$want" >&2 && candidate=$(uv python find "$want" 2>/dev/null) && is_wanted "$candidate"; then
    echo "$candidate"; exit 0
  fi
fi

cat >&2 <<MSG
error: Python $want was not found (looked for python$want on the PATH, in pyenv, and with uv).
$( [ "$want" = "3.10" ] && echo "Rasa Open Source 3.6 runs only on Python 3.10." )
Install it with one of:
  Debian/Ubuntu:  sudo apt-get install python$want python$want-venv   (deadsnakes PPA on Ubuntu)
  pyenv:          pyenv install $want
  uv:             uv python install $want
then run the command again.
MSG
exit 1
