"""Finding a card number anywhere in stored text: any 12-19 digit run passing the Luhn check."""

from __future__ import annotations

import re

from kb_service.masking import luhn_valid


def holds_card_number(text: str) -> bool:
    for match in re.finditer(r"\d[\d \-.]*\d", text):
        digits = re.sub(r"\D", "", match.group())
        for size in range(12, 20):
            if any(luhn_valid(digits[i : i + size]) for i in range(len(digits) - size + 1)):
                return True
    return False
