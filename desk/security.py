"""Secrets handling: agent passwords (scrypt), agent session tokens and signed conversation
tokens for the widget."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_CLOCK_SKEW = timedelta(minutes=5)
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt${n}${r}${p}${salt}${digest}".format(
        **_SCRYPT, salt=base64.b64encode(salt).decode(), digest=base64.b64encode(digest).decode()
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Sessions are stored by hash, so a copy of the database cannot be used to sign in."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_conversation_id() -> str:
    return "c_" + secrets.token_urlsafe(16)


class ConversationSigner:
    """`{conversation_id}.{issued}.{signature}`: the widget's proof that a conversation is its own.

    A token carries the second it was issued and is refused `max_age` later; the desk gives the
    widget a fresh one on every connection, so a conversation in use never expires while an
    abandoned token does. Changing the key revokes every token at once."""

    def __init__(self, key: str, *, max_age: timedelta = timedelta(days=30), clock: Clock = _now) -> None:
        self._key = key.encode()
        self.max_age = max_age
        self._clock = clock

    def sign(self, conversation_id: str) -> str:
        issued = str(int(self._clock().timestamp()))
        return f"{conversation_id}.{issued}.{self._signature(conversation_id, issued)}"

    def verify(self, token: str) -> str | None:
        """The conversation id of a valid, unexpired token, None otherwise."""
        signed, _, signature = token.rpartition(".")
        conversation_id, _, issued = signed.rpartition(".")
        if not conversation_id or not issued.isdigit() or len(issued) > 12:
            return None
        if not hmac.compare_digest(signature, self._signature(conversation_id, issued)):
            return None
        age = self._clock() - datetime.fromtimestamp(int(issued), UTC)
        if age > self.max_age or age < -_CLOCK_SKEW:
            return None
        return conversation_id

    def _signature(self, conversation_id: str, issued: str) -> str:
        message = f"conversation:{conversation_id}:{issued}".encode()
        mac = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def identity_verified(customer_id: str, signature: str | None, secret: str) -> bool:
    """Whether the host site vouched for `customer_id`: its server signs the id with the shared
    identity secret (hex HMAC-SHA256, as Intercom's user hash) and the page passes both to the
    widget. Without a secret nothing is verified."""
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature.strip().lower().encode(), expected.encode())


MIN_SECRET_BYTES = 32


def strong_enough(name: str, secret: str, *, optional: bool = False) -> None:
    """Outside development every secret is at least 32 bytes (an empty one only where the
    feature it guards is optional and then off). Raises ValueError naming the variable."""
    if optional and not secret:
        return
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"{name} must be at least {MIN_SECRET_BYTES} bytes outside development "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
