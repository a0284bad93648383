from __future__ import annotations

import pytest
from actions.disowned import disowns_payment


@pytest.mark.parametrize(
    "text",
    [
        "there's a withdrawal on my statement that I never made",
        "two charges I did not authorise showed up last night",
        "the app says I took out cash yesterday but I didn't.",
        "this payment was not made by me",
        "a purchase wasn't done by me, please stop it",
        "I don't recognise this direct debit",
        "I dont reconise a payment to a gaming site",
        "someone spent money on my account without my permission",
        "there is an unauthorized transaction on my card",
        "£40 went out and it wasn't me",
        "we never set up this direct debit to a gym",
        "unknown charge from an online shop",
        "there is £300 in my account that I didn't put there",
    ],
)
def test_a_customer_disowning_a_payment(text: str) -> None:
    assert disowns_payment(text)


@pytest.mark.parametrize(
    "text",
    [
        "I don't know why my transfer failed",  # disowns nothing
        "why can I not make a transfer to my landlord?",
        "I didn't know there was a fee for topping up",
        "I never received my new card",  # nothing about money moving
        "I don't recognise the number that texted me",  # no payment
        "how do I make a payment to a friend abroad?",
        "the cash machine didn't give me my money",
    ],
)
def test_other_messages_disown_nothing(text: str) -> None:
    assert not disowns_payment(text)
