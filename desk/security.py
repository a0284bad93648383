"""Secrets handling: agent passwords (scrypt), agent session tokens and signed conversation
tokens for the widget."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


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
    """`{conversation_id}.{signature}`: the widget's proof that a conversation is its own."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def sign(self, conversation_id: str) -> str:
        return f"{conversation_id}.{self._signature(conversation_id)}"

    def verify(self, token: str) -> str | None:
        """The conversation id of a valid token, None otherwise."""
        conversation_id, _, signature = token.rpartition(".")
        if not conversation_id or not hmac.compare_digest(signature, self._signature(conversation_id)):
            return None
        return conversation_id

    def _signature(self, conversation_id: str) -> str:
        mac = hmac.new(self._key, b"conversation:" + conversation_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
