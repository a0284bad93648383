"""A customer disowning a payment: "a withdrawal I never made", "charges I did not authorise",
"the app says I got cash but I didn't".

A bank treats that as a possible fraud case whatever article the search ranks first: the search
reads meaning, and a sentence about a card payment that *the customer did not make* sits close
to articles about card payments in general (a pending payment, a refund, a reverted payment).
The escalation policy (`escalation.sensitive_hit`) then takes the first sensitive article among
the hits as the topic. Both parts must be there: the customer denies having done something, and
the message is about money moving; "I don't know why my transfer failed" disowns nothing.
"""

from __future__ import annotations

import re

_NOT = r"(?:did\s*n[o']?t|didnt|never|have\s*n[o']?t|havent|had\s+nothing\s+to\s+do\s+with)"
_DONE = (
    r"(?:make|made|do|authori[sz]e|authori[sz]ed|approve|approved|request|requested|take|took|"
    r"order|ordered|complete|completed|withdraw|spend|buy|bought|put|set\s+up|agree|reco\w*i[sz]e)"
)
_DISOWNING = re.compile(
    r"\b(?:"
    # "I didn't make", "we never authorised", "I have not requested"
    rf"(?:i|we)\s+{_NOT}\s+{_DONE}\b"
    # "not made by me", "wasn't done by us"
    r"|(?:not|never|\w+n't)\s+(?:made|done|authori[sz]ed|approved|requested|taken|initiated|carried\s+out)"
    r"\s+by\s+(?:me|us)\b"
    # "... but I didn't." at the end of a sentence
    r"|but\s+(?:i|we)\s+(?:did\s*n[o']?t|didnt|never)\s*(?:[.!?]|$)"
    r"|was\s*n[o']?t\s+me\b|was\s+not\s+me\b|not\s+mine\b"
    r"|unauthori[sz]ed|without\s+my\s+(?:permission|consent|authori[sz]ation|knowledge)"
    r"|(?:do\s*n[o']?t|dont|can'?t|cannot)\s+reco\w*i[sz]e"
    r"|unrecogni[sz]ed|unknown\s+(?:charge|payment|transaction|withdrawal|debit)"
    r")",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"\b(?:charge[sd]?|payments?|transactions?|withdr[ae]w\w*|purchases?|debits?|money|cash|"
    r"spent|spending|bought|taken\s+out|transfer\w*|bill(?:ed|s)?|fees?|amount)\b|[$£€]",
    re.IGNORECASE,
)


def disowns_payment(text: str) -> bool:
    """Whether the customer says they did not make a payment, withdrawal or charge."""
    return bool(_DISOWNING.search(text) and _MONEY.search(text))
