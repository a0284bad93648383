"""The soak's fault plan (tools/soak/faults.py): what is killed, in which order, and when."""

from __future__ import annotations

from tools.soak.faults import ORDER, Restart, kills, schedule


def test_one_process_of_each_service_is_killed_in_turn_each_round():
    assert kills(2) == [*ORDER, *ORDER]


def test_with_replicas_each_round_kills_the_next_replica_of_each_service():
    assert kills(2, replicas=2) == [
        "rasa-1",
        "actions-1",
        "kb-1",
        "desk-1",
        "rasa-2",
        "actions-2",
        "kb-2",
        "desk-2",
    ]
    assert kills(3, replicas=2)[8:] == ["rasa-1", "actions-1", "kb-1", "desk-1"]


def test_the_kills_are_spread_evenly_over_the_run():
    assert schedule(50, ["rasa-1", "kb-1", "desk-1", "actions-1"]) == [
        (10, "rasa-1"),
        (20, "kb-1"),
        (30, "desk-1"),
        (40, "actions-1"),
    ]


def test_a_replica_back_but_never_routed_to_again_is_not_back():
    assert Restart("kb-1", 10, back_after=5, routed_after=7).back
    assert not Restart("kb-1", 10, back_after=5, error="kb-1 is DOWN, not UP, after 60s").back
    assert not Restart("rasa", 10).back
