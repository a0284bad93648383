"""Password hashes and the widget's signed conversation tokens."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from desk.security import (
    ConversationSigner,
    hash_password,
    identity_verified,
    strong_enough,
    verify_password,
)


def test_passwords_hash_with_salt_and_verify():
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first != second
    assert verify_password("s3cret-pass", first)
    assert not verify_password("wrong", first)
    assert not verify_password("s3cret-pass", "plain-text-in-the-db")


def test_conversation_tokens_cannot_be_forged_or_moved():
    signer = ConversationSigner("key-one")
    token = signer.sign("c_abc")
    assert signer.verify(token) == "c_abc"
    assert signer.verify(token.replace("c_abc", "c_abd")) is None
    assert ConversationSigner("key-two").verify(token) is None
    assert signer.verify("no-dot-at-all") is None


def test_conversation_tokens_expire_and_cannot_be_backdated():
    moment = [datetime(2026, 12, 1, tzinfo=UTC)]
    signer = ConversationSigner("key-one", max_age=timedelta(days=30), clock=lambda: moment[0])
    token = signer.sign("c_abc")
    moment[0] += timedelta(days=29)
    assert signer.verify(token) == "c_abc"
    moment[0] += timedelta(days=2)
    assert signer.verify(token) is None
    conversation_id, issued, signature = token.split(".")
    later = f"{conversation_id}.{int(issued) + 10 * 86400}.{signature}"
    assert signer.verify(later) is None  # the issue time is signed too
    assert signer.verify(f"{conversation_id}.{signature}") is None  # the old form, without a time


def test_a_customer_id_is_verified_only_with_the_host_sites_signature():
    secret = "s" * 32
    signature = hmac.new(secret.encode(), b"cust-42", hashlib.sha256).hexdigest()
    assert identity_verified("cust-42", signature, secret)
    assert identity_verified("cust-42", signature.upper(), secret)
    assert not identity_verified("cust-43", signature, secret)
    assert not identity_verified("cust-42", None, secret)
    assert not identity_verified("cust-42", signature, "")  # no secret: nothing is verified


@pytest.mark.parametrize("secret", ["", "short", "x" * 31])
def test_secrets_shorter_than_32_bytes_are_refused(secret: str):
    with pytest.raises(ValueError, match="at least 32 bytes"):
        strong_enough("DESK_SECRET_KEY", secret)


def test_an_optional_secret_may_be_empty_but_not_short():
    strong_enough("DESK_IDENTITY_SECRET", "", optional=True)
    strong_enough("DESK_IDENTITY_SECRET", "x" * 32, optional=True)
    with pytest.raises(ValueError, match="DESK_IDENTITY_SECRET"):
        strong_enough("DESK_IDENTITY_SECRET", "x" * 8, optional=True)
