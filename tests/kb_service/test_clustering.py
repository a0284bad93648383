"""Questions grouped by meaning: the clustering on hand-written vectors, and POST /cluster with
the fake embedder's bag-of-words vectors."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from kb_service.clustering import centre, cluster_vectors

EDITOR = {"Authorization": "Bearer s3cret-token"}
SERVICE = {"Authorization": "Bearer svc-token"}


def unit(*rows: list[float]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_close_vectors_form_a_group_and_far_ones_stay_apart() -> None:
    vectors = unit(
        [1.0, 0.1, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [1.0, 0.0, 0.1, 0.0],
        [0.9, 0.2, 0.0, 0.0],
        [0.0, 0.1, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    )
    assert cluster_vectors(vectors, 0.3) == [[0, 2, 3], [1, 4], [5]]
    # A cut past every distance puts everything in one group; a tiny one leaves each alone.
    assert cluster_vectors(vectors, 1.5) == [[0, 1, 2, 3, 4, 5]]
    assert cluster_vectors(vectors, 1e-4) == [[0], [1], [2], [3], [4], [5]]


def test_one_or_no_vector() -> None:
    assert cluster_vectors(unit([1.0, 0.0]), 0.3) == [[0]]
    assert cluster_vectors(np.zeros((0, 4), dtype=np.float32), 0.3) == []


def test_a_groups_centre_is_a_unit_vector_between_its_members() -> None:
    middle = centre(unit([1.0, 0.0], [0.0, 1.0]))
    assert np.allclose(middle, [[2**-0.5, 2**-0.5]], atol=1e-6)


def test_the_api_groups_texts_and_names_the_nearest_articles(client: TestClient) -> None:
    texts = [
        "my pin is blocked",
        "pizza weather",
        "blocked pin again",
        "weather and pizza",
        "currency exchange rate",
    ]
    response = client.post("/cluster", json={"texts": texts}, headers=EDITOR)
    assert response.status_code == 200, response.text
    groups = response.json()["groups"]
    assert sorted(sorted(g["members"]) for g in groups) == [[0, 2], [1, 3], [4]]
    by_first = {g["members"][0]: g for g in groups}
    pin = by_first[0]["articles"]
    assert pin[0]["article_id"] == "pin-blocked"
    assert pin[0]["title"] == "PIN blocked"
    assert len(pin) == 3
    assert pin[0]["score"] > pin[1]["score"]
    assert by_first[4]["articles"][0]["article_id"] == "exchange-rate"
    # A tighter cut than the default, per request.
    assert (
        len(
            client.post("/cluster", json={"texts": texts, "max_distance": 1e-6}, headers=EDITOR).json()[
                "groups"
            ]
        )
        == 5
    )


def test_the_api_is_for_editors_and_refuses_what_it_cannot_take(client: TestClient) -> None:
    body = {"texts": ["pin blocked"]}
    assert client.post("/cluster", json=body).status_code == 401
    assert client.post("/cluster", json=body, headers=SERVICE).status_code == 401
    assert client.post("/cluster", json={"texts": []}, headers=EDITOR).status_code == 422
    assert client.post("/cluster", json={"texts": ["x" * 1001]}, headers=EDITOR).status_code == 422
    assert client.post("/cluster", json={"texts": ["a"] * 2001}, headers=EDITOR).status_code == 422
