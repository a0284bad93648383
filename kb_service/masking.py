"""Masking personal data in customer text before it is stored: card numbers, emails, phones.

A run of 12 to 19 digits (spaces or dashes between groups allowed) is masked whether or not its
Luhn check passes: a mistyped card number is still a card number to a fraudster. Emails and
phone numbers are masked too, since a stored example never needs them.
"""

from __future__ import annotations

import re

CARD = "[card number]"
EMAIL = "[email]"
PHONE = "[phone number]"

_CARD = re.compile(r"(?<![\d+])(?:\d[ \-.]?){11,18}\d(?![\d])")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# International or local numbers of 7+ digits, with the usual separators and an optional
# leading + or (area code). Amounts such as "1,250.00" are not matched: commas end a run.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ()\-]{5,}\d(?![\d])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return len(digits) >= 12 and total % 10 == 0


def mask_personal_data(text: str) -> str:
    """`text` with card numbers, emails and phone numbers replaced by placeholders."""
    text = _CARD.sub(CARD, text)
    text = _EMAIL.sub(EMAIL, text)
    return _PHONE.sub(_phone_or_keep, text)


def _phone_or_keep(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return PHONE if len(digits) >= 7 else match.group()
