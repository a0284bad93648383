"""Card numbers are masked to their last four digits; other digit runs are left alone."""

from __future__ import annotations

import pytest

from desk.masking import luhn_valid, mask_cards, mask_contacts


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("my card 4111 1111 1111 1111 was stolen", "my card [card ending 1111] was stolen"),
        ("4111-1111-1111-1111", "[card ending 1111]"),
        ("5500000000000004", "[card ending 0004]"),
        ("amex 3782 822463 10005 please", "amex [card ending 0005] please"),  # 15 digits
        ("two: 4111111111111111, 5500 0000 0000 0004", "two: [card ending 1111], [card ending 0004]"),
        ("1234 5678 9012 3456", "1234 5678 9012 3456"),  # fails the Luhn check
        ("call 020 7946 0958 today", "call 020 7946 0958 today"),  # a phone number
        ("order 4111111111111111222333", "order 4111111111111111222333"),  # part of a longer run
        ("£1,250.00 on 12/03", "£1,250.00 on 12/03"),
    ],
)
def test_card_numbers_are_masked(text: str, masked: str):
    assert mask_cards(text) == masked


def test_the_luhn_check():
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("write to jo.smith@example.com please", "write to j•••@example.com please"),
        ("call me on +44 20 7946 0958 after six", "call me on [phone] after six"),
        ("my number is (020) 7946-0958", "my number is [phone]"),
        ("07700 900123", "[phone]"),
        ("order 12345 on 2026-12-01", "order 12345 on 2026-12-01"),  # too few digits for a phone
        ("my card [card ending 1111] was stolen", "my card [card ending 1111] was stolen"),
    ],
)
def test_contacts_are_masked_for_previews(text: str, masked: str):
    assert mask_contacts(text) == masked
