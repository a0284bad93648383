"""Staff accounts, their roles and their sign-in sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import sqlkit
from desk.roles import Role
from desk.store.database import Database, iso, marks
from desk.store.records import StaffMember


class StaffExists(Exception):
    pass


class StaffRecords(Protocol):
    def add_staff(self, email: str, name: str, password_hash: str, roles: frozenset[Role]) -> StaffMember: ...
    def staff_by_email(self, email: str) -> StaffMember | None: ...
    def staff(self, staff_id: int) -> StaffMember | None: ...
    def all_staff(self) -> list[StaffMember]: ...
    def update_staff(
        self,
        staff_id: int,
        *,
        name: str | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
        roles: frozenset[Role] | None = None,
    ) -> StaffMember: ...
    def add_session(self, token_hash: str, staff_id: int, expires_at: datetime) -> None: ...
    def session_staff(self, token_hash: str) -> StaffMember | None: ...
    def delete_session(self, token_hash: str) -> None: ...


class SqlStaff(Database):
    def add_staff(self, email: str, name: str, password_hash: str, roles: frozenset[Role]) -> StaffMember:
        """A new account; StaffExists when the email is taken."""
        with self._transaction() as db:
            try:
                cursor = db.execute(
                    "INSERT INTO staff (email, name, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    (email.lower(), name, password_hash, self._stamp()),
                )
            except sqlkit.IntegrityError:  # the transaction is over: raised out of it
                raise StaffExists(f"{email.lower()} already has an account") from None
            db.executemany(
                "INSERT INTO staff_roles (staff_id, role) VALUES (?, ?)",
                [(cursor.lastrowid, role.value) for role in sorted(roles)],
            )
            staff_id = int(cursor.lastrowid or 0)
        member = self.staff(staff_id)
        assert member is not None
        return member

    def staff_by_email(self, email: str) -> StaffMember | None:
        return self._one("SELECT * FROM staff WHERE email = ?", (email.lower(),))

    def staff(self, staff_id: int) -> StaffMember | None:
        return self._one("SELECT * FROM staff WHERE id = ?", (staff_id,))

    def all_staff(self) -> list[StaffMember]:
        return self._members(self._rows("SELECT * FROM staff ORDER BY name, id"))

    def update_staff(
        self,
        staff_id: int,
        *,
        name: str | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
        roles: frozenset[Role] | None = None,
    ) -> StaffMember:
        """Change what is given; a new password or disabling also ends every session (same
        transaction), so nobody keeps signing in with what was just taken away."""
        fields: dict[str, object] = {}
        if name is not None:
            fields["name"] = name
        if password_hash is not None:
            fields["password_hash"] = password_hash
        if disabled is not None:
            fields["disabled"] = int(disabled)
        with self._transaction() as db:
            if fields:
                assignments = ", ".join(f"{key} = ?" for key in fields)
                db.execute(f"UPDATE staff SET {assignments} WHERE id = ?", (*fields.values(), staff_id))  # noqa: S608
            if roles is not None:
                db.execute("DELETE FROM staff_roles WHERE staff_id = ?", (staff_id,))
                db.executemany(
                    "INSERT INTO staff_roles (staff_id, role) VALUES (?, ?)",
                    [(staff_id, role.value) for role in sorted(roles)],
                )
            if password_hash is not None or disabled:
                db.execute("DELETE FROM sessions WHERE staff_id = ?", (staff_id,))
        member = self.staff(staff_id)
        assert member is not None
        return member

    def add_session(self, token_hash: str, staff_id: int, expires_at: datetime) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (self._stamp(),))
            db.execute(
                "INSERT INTO sessions (token_hash, staff_id, expires_at) VALUES (?, ?, ?)",
                (token_hash, staff_id, iso(expires_at)),
            )

    def session_staff(self, token_hash: str) -> StaffMember | None:
        """The person a live session belongs to; None for an expired session or a disabled person."""
        return self._one(
            "SELECT staff.* FROM sessions JOIN staff ON staff.id = sessions.staff_id"
            " WHERE token_hash = ? AND expires_at > ? AND staff.disabled = 0",
            (token_hash, self._stamp()),
        )

    def delete_session(self, token_hash: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def _one(self, sql: str, params: tuple[object, ...]) -> StaffMember | None:
        members = self._members(self._rows(sql, params))
        return members[0] if members else None

    def _members(self, rows: list[Any]) -> list[StaffMember]:
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        roles: dict[int, set[Role]] = {i: set() for i in ids}
        for r in self._rows(f"SELECT staff_id, role FROM staff_roles WHERE staff_id IN ({marks(ids)})", ids):  # noqa: S608
            roles[r["staff_id"]].add(Role(r["role"]))
        return [
            StaffMember(
                id=row["id"],
                email=row["email"],
                name=row["name"],
                password_hash=row["password_hash"],
                roles=frozenset(roles[row["id"]]),
                disabled=bool(row["disabled"]),
            )
            for row in rows
        ]
