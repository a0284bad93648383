"""Staff sign-in, sign-out and sessions. A session is a random token in an HttpOnly cookie,
stored only as its hash, valid for `DESK_SESSION_HOURS` and only while the person is enabled;
a new password or disabling the account ends all of a person's sessions at once."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from datetime import timedelta

from desk.errors import TooManyRequests, Unauthorized
from desk.security import new_session_token, token_hash, verify_password
from desk.store import Clock, StaffMember, StaffRecords

FAILED_LOGINS_ALLOWED = 5
FAILED_LOGIN_WINDOW_SECONDS = 300


class LoginThrottle:
    """Slows password guessing: a few failures per email per window."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, email: str) -> bool:
        failures = self._failures[email]
        while failures and time.monotonic() - failures[0] > FAILED_LOGIN_WINDOW_SECONDS:
            failures.popleft()
        return len(failures) >= FAILED_LOGINS_ALLOWED

    def failed(self, email: str) -> None:
        self._failures[email].append(time.monotonic())

    def succeeded(self, email: str) -> None:
        self._failures.pop(email, None)


class Sessions:
    def __init__(self, store: StaffRecords, *, hours: float, clock: Clock) -> None:
        self.store = store
        self.hours = hours
        self.clock = clock
        self.throttle = LoginThrottle()

    def sign_in(self, email: str, password: str) -> tuple[StaffMember, str]:
        """The person and a new session token; Unauthorized for a wrong email or password or a
        disabled account (one message for all, so it tells a guesser nothing)."""
        email = email.strip().lower()[:254]
        if self.throttle.blocked(email):
            raise TooManyRequests("Too many failed attempts. Wait a few minutes and try again.")
        member = self.store.staff_by_email(email) if email else None
        if member is None or member.disabled or not verify_password(password[:1000], member.password_hash):
            self.throttle.failed(email)
            raise Unauthorized("Wrong email or password.")
        self.throttle.succeeded(email)
        token = new_session_token()
        self.store.add_session(token_hash(token), member.id, self.clock() + timedelta(hours=self.hours))
        return member, token

    def sign_out(self, token: str) -> None:
        self.store.delete_session(token_hash(token))

    def member(self, token: str | None) -> StaffMember | None:
        """Whose live session this token is, if anyone's."""
        return self.store.session_staff(token_hash(token)) if token else None
