"""Choosing the verdict thresholds from out-of-fold probabilities (eval/calibrate.py)."""

from __future__ import annotations

import numpy as np

from eval.calibrate import Mode, choose_thresholds, outcomes
from kb_service.confidence import ConfidenceModel


def mode(in_scope: list[tuple[float, bool]], out_of_scope: list[float]) -> Mode:
    """(probability, first article right) per in-scope query; probabilities out of scope."""
    p = [x for x, _ in in_scope] + out_of_scope
    return Mode(
        "test",
        ConfidenceModel.linear({"top": 1.0}, bias=0.0),
        np.array([r for _, r in in_scope] + [False] * len(out_of_scope)),
        np.array([True] * len(in_scope) + [False] * len(out_of_scope)),
        np.array(p),
    )


def test_the_answer_threshold_keeps_wrong_answers_within_the_limit() -> None:
    # 10 sure and right, 10 at 0.723 of which 2 wrong, 80 unsure and wrong.
    m = mode(
        [(0.95, True)] * 10 + [(0.723, True)] * 8 + [(0.723, False)] * 2 + [(0.3, False)] * 80, [0.1] * 10
    )
    answer, _ = choose_thresholds(m, max_wrong=0.01, max_oos=0.05, max_clarify=1.0)
    assert 0.723 < answer <= 0.95  # answering at 0.723 would make 2% of answers wrong
    answer, _ = choose_thresholds(m, max_wrong=0.02, max_oos=0.05, max_clarify=1.0)
    assert answer <= 0.723


def test_the_clarify_threshold_stops_before_out_of_scope_messages_are_clarified() -> None:
    # Routine messages could all be clarified, but out-of-scope ones sit at 0.4.
    m = mode([(0.95, True)] * 50 + [(0.6, False)] * 50, [0.4] * 10 + [0.05] * 10)
    answer, clarify = choose_thresholds(m, max_wrong=0.02, max_oos=0.05, max_clarify=1.0, max_oos_clarify=0.1)
    assert outcomes(m, answer, clarify)["oos_clarified"] <= 0.1
    assert 0.4 < clarify <= 0.6  # the routine ones at 0.6 are still clarified
