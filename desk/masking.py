"""Card numbers out of customer and agent text before anything stores or forwards it.

A run of 13 to 19 digits (single spaces or dashes between groups allowed) that passes the Luhn
check is a card number: it becomes "[card ending 1234]", which is all an agent ever needs, so
neither the desk's database, Rasa's tracker store, the handoff payloads nor any log receives the
full number. Digit runs that fail the check (order references, phone numbers) are left alone.
The knowledge service masks its stored examples by its own, wider rule (kb_service/masking.py).
"""

from __future__ import annotations

import re

_CANDIDATE = re.compile(r"(?<![\d])\d(?:[ \-]?\d){12,18}(?![\d])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mask_cards(text: str) -> str:
    """`text` with every Luhn-valid card number replaced by its last four digits."""

    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        return f"[card ending {digits[-4:]}]" if luhn_valid(digits) else match.group()

    return _CANDIDATE.sub(replace, text)


_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
_PHONE = re.compile(r"(?<![\w+(])[+(]?\d[\d ()\-.]{6,}\d(?!\w)")
MIN_PHONE_DIGITS = 9


def mask_email(email: str) -> str:
    """`j•••@example.com`: enough to tell two customers apart in a list, not to write to."""
    return _EMAIL.sub(lambda m: f"{m.group(1)}•••@{m.group(2)}", email)


def mask_contacts(text: str) -> str:
    """`text` for places every agent sees at a glance (queue previews, notifications) or that
    nobody needs to read (logs): emails shortened as in `mask_email`, phone numbers (9 or more
    digits, with spaces, dashes, dots or brackets) to "[phone]". The conversation itself keeps
    them: the agent serving it may need to call or write."""

    def phone(match: re.Match[str]) -> str:
        digits = sum(ch.isdigit() for ch in match.group())
        return "[phone]" if digits >= MIN_PHONE_DIGITS else match.group()

    return _PHONE.sub(phone, mask_email(text))
