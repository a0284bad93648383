"""The frames sent to browsers: their JSON as the widget and console read it, and the protocol
schema in docs/ generated from the models."""

from __future__ import annotations

import json
from pathlib import Path

from desk.frames import ConversationState, MessageView, StateChanged, protocol_schema
from desk.state import Mode
from desk.store import Message

ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_protocol_is_generated_from_the_models():
    written = json.loads((ROOT / "docs/contracts/frames.schema.json").read_text())
    assert written == json.loads(json.dumps(protocol_schema())), (
        "run: python -m desk.frames > docs/contracts/frames.schema.json"
    )


def test_a_message_view_names_the_assistant_and_agents_but_never_customers():
    bot = MessageView.of(Message(1, "c1", "bot", None, "hi", "t"))
    agent = MessageView.of(Message(2, "c1", "agent", "Ana", "hello", "t"))
    customer = MessageView.of(Message(3, "c1", "customer", "Sam", "yo", "t", client_id="k"))
    assert bot.frame()["author"] == {"name": "Kestrel assistant", "avatar": None}
    assert agent.frame()["author"] == {"name": "Ana", "avatar": None}
    assert customer.frame()["author"] is None
    assert customer.frame()["client_id"] == "k"


def test_a_state_frame_keeps_the_widgets_shape():
    frame = StateChanged(state=ConversationState(mode=Mode.QUEUED, queue_position=2)).frame()
    assert frame == {
        "type": "state",
        "state": {
            "mode": "queued",
            "queue_position": 2,
            "estimated_wait_seconds": None,
            "agent": None,
            "email_needed": False,
            "reply_expected": None,
        },
    }
