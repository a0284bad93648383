from __future__ import annotations

import pytest

from kb_service.masking import CARD, EMAIL, PHONE, luhn_valid, mask_personal_data


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("my card 4111 1111 1111 1111 was declined", f"my card {CARD} was declined"),
        ("card 4111-1111-1111-1111!", f"card {CARD}!"),
        ("number 4111111111111112 (a typo, still a card)", f"number {CARD} (a typo, still a card)"),
        ("write to jo.smith+bank@example.co.uk please", f"write to {EMAIL} please"),
        ("call me on +44 20 7946 0958 tonight", f"call me on {PHONE} tonight"),
        ("ring 020-7946-0958", f"ring {PHONE}"),
        ("I paid 1,250.00 GBP on 12/03 for 3 items", "I paid 1,250.00 GBP on 12/03 for 3 items"),
        ("my PIN is blocked after 3 tries", "my PIN is blocked after 3 tries"),
    ],
)
def test_personal_data_is_masked_and_the_rest_kept(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("0")
