"""The setup scripts find interpreters portably and explain what to install when they can't."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIND = ROOT / "scripts" / "find-python.sh"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FIND), *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_finds_a_working_python_311() -> None:
    found = run("3.11")
    assert found.returncode == 0, found.stderr
    version = subprocess.run(
        [found.stdout.strip(), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "3.11"


def test_finds_python_310_even_when_pyenv_has_it_inactive() -> None:
    found = run("3.10")
    assert found.returncode == 0, found.stderr
    assert "3.10" in found.stdout


def test_a_missing_version_says_what_to_install() -> None:
    # PATH without pyenv or uv: only the system directories.
    missing = run("3.10", env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    if missing.returncode == 0:  # this machine has a system python3.10; nothing to explain
        assert missing.stdout.strip()
        return
    assert "Python 3.10 was not found" in missing.stderr
    assert "Rasa Open Source 3.6 runs only on Python 3.10" in missing.stderr
    for hint in ("apt-get install python3.10", "pyenv install 3.10", "uv python install 3.10"):
        assert hint in missing.stderr
