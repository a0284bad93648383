"""When a long conversation starts a new Rasa session.

Rasa's reply time grows with the events of the current session (shared/NOTES.md: about 3 times
slower at message 200 than at message 10), so the desk starts a new session (`/session_start`;
the bot's slots carry over) once one holds `turns` customer messages. It waits for a moment when
the assistant is not expecting an answer (its last message offered no buttons: no "Did that
answer your question?", no "Did you mean ...?"), since a new session forgets what was asked;
past twice the limit it starts one anyway. The desk keeps the whole transcript itself, so agents
still see every message. Counts live in memory and are dropped when a conversation is resolved:
after a restart a session can run to twice the limit once, which costs a little speed and nothing
else.
"""

from __future__ import annotations

SESSION_START = "/session_start"


class BotSessions:
    def __init__(self, turns: int) -> None:
        self.turns = turns
        self._held: dict[str, int] = {}

    def due(self, conversation_id: str, *, awaiting_answer: bool) -> bool:
        """Whether to start a new session before this customer message."""
        held = self._held.get(conversation_id, 0)
        if held >= 2 * self.turns:
            return True
        return held >= self.turns and not awaiting_answer

    def started(self, conversation_id: str) -> None:
        self._held[conversation_id] = 0

    def counted(self, conversation_id: str) -> None:
        """One more customer message went to the assistant."""
        self._held[conversation_id] = self._held.get(conversation_id, 0) + 1

    def forget(self, conversation_id: str) -> None:
        self._held.pop(conversation_id, None)
