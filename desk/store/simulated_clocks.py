"""Development only: the offsets of simulated conversations' clocks (desk/simulated_time.py),
shared by every replica of the desk through its database."""

from __future__ import annotations

from typing import Protocol

from desk.store.database import Database


class SimulatedClockRecords(Protocol):
    def simulated_offset(self, key: str) -> float | None: ...
    def set_simulated_offset(self, key: str, delta_seconds: float) -> None: ...
    def simulated_offsets(self) -> int: ...


class SqlSimulatedClocks(Database):
    def simulated_offset(self, key: str) -> float | None:
        """Seconds to add to the real time for `key` (a grant or a conversation id), if simulated."""
        rows = self._rows("SELECT delta_seconds FROM simulated_clocks WHERE key = ?", (key,))
        return float(rows[0]["delta_seconds"]) if rows else None

    def set_simulated_offset(self, key: str, delta_seconds: float) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO simulated_clocks (key, delta_seconds) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET delta_seconds = excluded.delta_seconds",
                (key, delta_seconds),
            )

    def simulated_offsets(self) -> int:
        return int(self._rows("SELECT COUNT(*) AS n FROM simulated_clocks")[0]["n"])
