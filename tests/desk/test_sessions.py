"""Sign-in: the throttle per account and per address, bounded memory, the same work for an
unknown email as for a known one, and hashing off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from desk import sessions as sessions_module
from desk.errors import TooManyRequests, Unauthorized
from desk.roles import Role
from desk.security import hash_password
from desk.sessions import FAILURE_WINDOW_SECONDS, FailureCounter, LoginThrottle, Sessions
from desk.store import StaffMember, Store, now
from tests.desk.conftest import AGENT


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sessions(database_target: str, clock: FakeClock) -> Iterator[Sessions]:
    store = Store(database_target)
    store.add_staff("ana@x.example", "Ana", hash_password("right-password"), frozenset({Role.AGENT}))
    made = Sessions(store, hours=1, clock=now)
    made.throttle = LoginThrottle(clock)
    yield made
    store.close()


def sign_in(sessions: Sessions, email: str, password: str, address: str) -> tuple[StaffMember, str]:
    return asyncio.run(sessions.sign_in(email, password, address))


def test_an_account_is_locked_for_a_while_after_five_failures(sessions: Sessions, clock: FakeClock):
    for _ in range(5):
        with pytest.raises(Unauthorized):
            sign_in(sessions, "ana@x.example", "guess", "10.0.0.1")
    with pytest.raises(TooManyRequests):  # even the right password, from anywhere
        sign_in(sessions, "ana@x.example", "right-password", "10.0.0.2")
    clock.now += FAILURE_WINDOW_SECONDS + 1
    member, token = sign_in(sessions, "ana@x.example", "right-password", "10.0.0.2")
    assert member.email == "ana@x.example"
    assert token


def test_an_address_trying_many_emails_is_slowed_down(sessions: Sessions):
    for n in range(20):
        with pytest.raises(Unauthorized):
            sign_in(sessions, f"nobody{n}@x.example", "guess", "10.0.0.9")
    with pytest.raises(TooManyRequests):
        sign_in(sessions, "ana@x.example", "right-password", "10.0.0.9")
    assert sign_in(sessions, "ana@x.example", "right-password", "10.0.0.1")[0].email == "ana@x.example"


def test_the_throttle_remembers_a_bounded_number_of_keys():
    counter = FailureCounter(3, max_keys=100)
    for n in range(1000):
        counter.failed(f"10.0.{n // 256}.{n % 256}", 0.0)
    assert len(counter) == 100


def test_an_unknown_email_costs_a_password_check_like_a_known_one(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
):
    checked: list[str] = []
    real = sessions_module.verify_password

    def counting(password: str, stored: str) -> bool:
        checked.append(stored)
        return real(password, stored)

    monkeypatch.setattr(sessions_module, "verify_password", counting)
    for email in ("ana@x.example", "nobody@x.example"):
        with pytest.raises(Unauthorized, match="Wrong email or password"):
            sign_in(sessions, email, "guess", "10.0.0.1")
    assert len(checked) == 2
    assert all(stored.startswith("scrypt$") for stored in checked)


def test_sign_in_hashes_off_the_event_loop_and_answers_429_when_throttled(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    on_loop: list[bool] = []
    real = sessions_module.verify_password

    def recording(password: str, stored: str) -> bool:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(password, stored)

    monkeypatch.setattr(sessions_module, "verify_password", recording)
    form = {"content-type": "application/x-www-form-urlencoded"}
    statuses = [
        client.post("/console/login", content=f"email={AGENT[0]}&password=nope", headers=form).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    assert on_loop == [False] * 5  # the sixth was refused before any hashing
