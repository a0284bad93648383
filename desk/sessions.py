"""Staff sign-in, sign-out and sessions. A session is a random token in an HttpOnly cookie,
stored only as its hash, valid for `DESK_SESSION_HOURS` and only while the person is enabled;
a new password or disabling the account ends all of a person's sessions at once.

Failed sign-ins are counted by a `Throttle`: in-process here, or shared by every replica through
Redis (desk/replicas/limits.py, when DESK_REDIS_URL is set)."""

from __future__ import annotations

import asyncio
import functools
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

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


class Throttle(Protocol):
    """Failed sign-ins per account (email) and per client address."""

    async def blocked(self, email: str, address: str) -> bool: ...

    async def failed(self, email: str, address: str) -> None: ...

    async def succeeded(self, email: str) -> None: ...


class LoginThrottle:
    """Slows password guessing: a few failures per account, and more per client address, in a
    sliding window (a success clears the account's count, not the address's). In-process; its
    methods run on the event loop, one at a time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.accounts = FailureCounter(FAILURES_PER_ACCOUNT)
        self.addresses = FailureCounter(FAILURES_PER_ADDRESS)

    async def blocked(self, email: str, address: str) -> bool:
        moment = self.clock()
        return self.accounts.blocked(email, moment) or self.addresses.blocked(address, moment)

    async def failed(self, email: str, address: str) -> None:
        moment = self.clock()
        self.accounts.failed(email, moment)
        self.addresses.failed(address, moment)

    async def succeeded(self, email: str) -> None:
        self.accounts.forget(email)


class Sessions:
    def __init__(
        self, store: StaffRecords, *, hours: float, clock: Clock, throttle: Throttle | None = None
    ) -> None:
        self.store = store
        self.hours = hours
        self.clock = clock
        self.throttle: Throttle = throttle or LoginThrottle()

    async def sign_in(self, email: str, password: str, address: str = "unknown") -> tuple[StaffMember, str]:
        """The person and a new session token; Unauthorized for a wrong email or password or a
        disabled account (one message for all, and a password check for all, so that neither
        the answer nor its time tells a guesser which emails exist). The check hashes for about
        50 ms, in a worker thread, as do the store's reads and writes."""
        email = email.strip().lower()[:254]
        if await self.throttle.blocked(email, address):
            raise TooManyRequests("Too many failed attempts. Wait a few minutes and try again.")
        member = await asyncio.to_thread(self._check_password, email, password)
        if member is None:
            await self.throttle.failed(email, address)
            raise Unauthorized("Wrong email or password.")
        await self.throttle.succeeded(email)
        token = new_session_token()
        expires = self.clock() + timedelta(hours=self.hours)
        await asyncio.to_thread(self.store.add_session, token_hash(token), member.id, expires)
        return member, token

    def _check_password(self, email: str, password: str) -> StaffMember | None:
        """The enabled person with this email and password, None otherwise."""
        member = self.store.staff_by_email(email) if email else None
        stored = member.password_hash if member is not None else _decoy_hash()
        right = verify_password(password[:1000], stored)
        return member if member is not None and not member.disabled and right else None

    def sign_out(self, token: str) -> None:
        self.store.delete_session(token_hash(token))

    def member(self, token: str | None) -> StaffMember | None:
        """Whose live session this token is, if anyone's."""
        return self.store.session_staff(token_hash(token)) if token else None
