"""The Rasa project: valid data, every action implemented, conversation tests passing."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
RASA = ROOT / ".venv" / "rasa" / "bin" / "rasa"
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


def domain() -> dict:
    return yaml.safe_load((BOT / "domain.yml").read_text())


def test_every_custom_action_is_implemented() -> None:
    implemented = set()
    for path in (ROOT / "actions").glob("*.py"):
        implemented |= set(re.findall(r'return "(action_[a-z_]+)"', path.read_text()))
    assert set(domain()["actions"]) == implemented


def test_every_rule_uses_declared_intents_and_actions() -> None:
    intents = set(domain()["intents"]) | {"nlu_fallback"}
    actions = set(domain()["actions"]) | set(domain()["responses"])
    for path in (BOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            for step in rule["steps"]:
                assert step.get("intent", "nlu_fallback") in intents, (path.name, step)
                assert step.get("action", "utter_greet") in actions, (path.name, step)


def test_button_payloads_name_declared_intents() -> None:
    from_code = re.findall(r'"/([a-z_]+)', (ROOT / "actions" / "replies.py").read_text())
    from_domain = re.findall(r'payload: "/([a-z_]+)', (BOT / "domain.yml").read_text())
    assert set(from_code + from_domain) <= set(domain()["intents"])


def rasa(*args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    """The Rasa CLI in bot/, its output captured for the assertion message."""
    return subprocess.run(
        [str(RASA), *args], cwd=BOT, env=ENV, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.slow
def test_rasa_data_validate_is_clean() -> None:
    result = rasa("data", "validate", "--fail-on-warnings", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.slow
def test_conversation_tests_pass_without_a_single_prediction_error(tmp_path: Path) -> None:
    """End to end (`--e2e`): each written message goes through the trained NLU pipeline (typo
    handling, the person-request detector, the fallback), and a wrong intent fails the test as
    a wrong action does."""
    subprocess.run([str(ROOT / "scripts" / "train-bot.sh")], env=ENV, check=True, timeout=900)
    result = rasa(
        "test",
        "core",
        "--e2e",
        "--model",
        "models/kestrel.tar.gz",
        "--stories",
        "tests/test_conversations.yml",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path / "results"),
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def test_the_held_out_person_requests_are_never_trained_on() -> None:
    """eval/data/person_requests.yml measures the assistant; no sentence of it may train it."""
    held_out = yaml.safe_load((ROOT / "eval" / "data" / "person_requests.yml").read_text())["messages"]
    assert len(held_out) >= 300
    assert {m["kind"] for m in held_out} == {"person", "complaint"}
    trained = set()
    for path in (BOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            trained |= {
                _normalised(line.lstrip("- ")) for line in str(block.get("examples", "")).splitlines()
            }
    overlap = sorted(m["text"] for m in held_out if _normalised(m["text"]) in trained)
    assert not overlap, overlap
