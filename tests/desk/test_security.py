"""Password hashes and the widget's signed conversation tokens."""

from __future__ import annotations

from desk.security import ConversationSigner, hash_password, verify_password


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
