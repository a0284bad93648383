"""Staff sign-in, sign-out and sessions. A session is a random token in an HttpOnly cookie,
stored only as its hash, valid for `DESK_SESSION_HOURS` and only while the person is enabled;
a new password or disabling the account ends all of a person's sessions at once."""

from __future__ import annotations

import functools
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import timedelta

from desk.errors import TooManyRequests, Unauthorized
from desk.security import hash_password, new_session_token, token_hash, verify_password
from desk.store import Clock, StaffMember, StaffRecords

FAILURES_PER_ACCOUNT = 5  # failed sign-ins per email per window, then a wait
FAILURES_PER_ADDRESS = 20  # per client address, whatever emails it tries
FAILURE_WINDOW_SECONDS = 300
MAX_TRACKED = 10_000  # emails and addresses remembered, the least recently failed dropped first


@functools.cache
def _decoy_hash() -> str:
    """Checked when the email is unknown, so that a wrong email takes as long as a wrong
    password (made on first use, not at import)."""
    return hash_password(secrets.token_urlsafe(16))


class FailureCounter:
    """Recent failures per key (an email or an address), for a bounded number of keys."""

    def __init__(
        self, limit: int, *, window: float = FAILURE_WINDOW_SECONDS, max_keys: int = MAX_TRACKED
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def blocked(self, key: str, moment: float) -> bool:
        failures = self._failures.get(key)
        if failures is None:
            return False
        while failures and moment - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return len(failures) >= self.limit

    def failed(self, key: str, moment: float) -> None:
        failures = self._failures.setdefault(key, deque(maxlen=self.limit))
        failures.append(moment)
        self._failures.move_to_end(key)
        if len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)


class LoginThrottle:
    """Slows password guessing: a few failures per account, and more per client address, in a
    sliding window (a success clears the account's count, not the address's)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.accounts = FailureCounter(FAILURES_PER_ACCOUNT)
        self.addresses = FailureCounter(FAILURES_PER_ADDRESS)
        self._lock = threading.Lock()  # sign-ins run in worker threads

    def blocked(self, email: str, address: str) -> bool:
        with self._lock:
            moment = self.clock()
            return self.accounts.blocked(email, moment) or self.addresses.blocked(address, moment)

    def failed(self, email: str, address: str) -> None:
        with self._lock:
            moment = self.clock()
            self.accounts.failed(email, moment)
            self.addresses.failed(address, moment)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self.accounts.forget(email)


class Sessions:
    def __init__(self, store: StaffRecords, *, hours: float, clock: Clock) -> None:
        self.store = store
        self.hours = hours
        self.clock = clock
        self.throttle = LoginThrottle()

    def sign_in(self, email: str, password: str, address: str = "unknown") -> tuple[StaffMember, str]:
        """The person and a new session token; Unauthorized for a wrong email or password or a
        disabled account (one message for all, and a password check for all, so that neither
        the answer nor its time tells a guesser which emails exist). It hashes for about 50 ms:
        call it off the event loop."""
        email = email.strip().lower()[:254]
        if self.throttle.blocked(email, address):
            raise TooManyRequests("Too many failed attempts. Wait a few minutes and try again.")
        member = self.store.staff_by_email(email) if email else None
        stored = member.password_hash if member is not None else _decoy_hash()
        right = verify_password(password[:1000], stored)
        if member is None or member.disabled or not right:
            self.throttle.failed(email, address)
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
