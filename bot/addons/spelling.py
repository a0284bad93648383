"""Reading a message the way the person-request detector needs it: lower-case words, text-speak
spelled out ("cn i spk 2 sum1"), words typed without spaces split ("speaktoagent"), and a typo in
a word the rules read corrected ("persn", "speek"), never a real word ("wait" is not "want").
"""

from __future__ import annotations

import re
from typing import AbstractSet, List

from addons.person_words import CALL, FILLER, PEOPLE, SPELLINGS, TALK


def words(text: str, known: AbstractSet[str] = frozenset()) -> List[str]:
    """Lower-case words with text-speak spelled out ("cn i spk 2 sum1" -> ... speak to someone)
    and typos in the words that matter corrected ("persn", "speek"). `known`: words seen in
    training; a known word is never "corrected" ("wait" is not a typo of "want")."""
    out: List[str] = []
    for word in spelled_words(text):
        out.extend(_unglue(word, known))
    return [_correct(w, known) for w in out]


def spelled_words(text: str) -> List[str]:
    """The words as typed, text-speak spelled out, nothing corrected: what `known` is made of."""
    raw = re.findall(r"[a-z0-9]+", text.lower().replace("'", "").replace("\u2019", ""))
    return [piece for word in raw for piece in SPELLINGS.get(word, word).split()]


# Real words one typo away from a word the rules read: never "corrected".
NEAR_MISSES = {
    "advise",
    "advised",
    "advises",
    "advice",
    "stuff",
    "went",
    "wait",
    "tall",
    "cell",
    "read",
    "head",
}
# The words the rules read; a typo of one of them is corrected.
KEY_WORDS = sorted(
    PEOPLE
    | TALK
    | CALL
    | {"through", "there", "real", "live", "want", "customer", "service", "please", "complaint", "complain"}
    | {"ombudsman", "connect", "transfer", "speak", "living", "give", "need"},
    key=lambda w: (-len(w), w),
)


# A word typed without spaces is split only around one of these ("iwanttotalktoahuman").
GLUED = (
    "representative",
    "complaint",
    "complain",
    "operator",
    "advisor",
    "someone",
    "manager",
    "person",
    "human",
    "agent",
    "staff",
)


def _unglue(word: str, known: AbstractSet[str], inner: bool = False) -> List[str]:
    """Words typed without spaces ("speaktoagent", "makeacomplaint") into words."""
    if inner and word.startswith("to") and word[2:] in FILLER:
        return ["to", word[2:]]  # "...speak|toan|agent"
    if len(word) < (5 if inner else 9) or word in known:
        return [word]
    for key in GLUED if not inner else [*GLUED, *KEY_WORDS]:
        at = word.find(key)
        if len(key) >= 4 and at >= 0:
            before, after = word[:at], word[at + len(key) :]
            return (
                (_unglue(before, known, True) if before else [])
                + [key]
                + (_unglue(after, known, True) if after else [])
            )
    return [word]


def _correct(word: str, known: AbstractSet[str]) -> str:
    """A word that matters, with one typo ("reprisentative", "persn", "speek"), to its spelling."""
    if len(word) < 5 or word in known or word in KEY_WORDS or word in NEAR_MISSES or word.isdigit():
        return word
    for key in KEY_WORDS:
        if len(key) >= 4 and key[0] == word[0] and _within_one_edit(word, key):
            return key
    return word


def _within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance at most 1, or one swap of neighbouring letters."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
