"""Questions grouped by meaning: what customers asked that the help centre could not answer,
clustered on their embeddings, each group with the articles it came nearest to.

The clustering is scikit-learn's agglomerative clustering with average linkage over cosine
distances, cut at a distance threshold (KB_CLUSTER_DISTANCE) rather than at a number of groups:
nobody knows in advance how many topics the failures fall into. With the tuned model, two
phrasings of one question lie about 0.2 to 0.5 apart and questions about different things 0.7
or more (measured on hand-written paraphrases), so the default cut of 0.55 sits between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from kb_service.embedder import Vectors
from kb_service.errors import ArticleNotFound
from kb_service.knowledge import KnowledgeBase


@dataclass(frozen=True, slots=True)
class NearArticle:
    article_id: str
    title: str
    score: float  # cosine between the group's centre and the article's closest passage


@dataclass(frozen=True, slots=True)
class Group:
    members: list[int]  # indexes into the texts clustered
    articles: list[NearArticle]


def cluster_vectors(vectors: Vectors, max_distance: float) -> list[list[int]]:
    """Row indexes grouped so that the average cosine distance between two groups merged is at
    most `max_distance`; largest groups first, each group's indexes in order."""
    count = len(vectors)
    if count == 0:
        return []
    if count == 1:
        return [[0]]  # scikit-learn needs two samples to cluster
    labels = (
        AgglomerativeClustering(
            n_clusters=None, distance_threshold=max_distance, metric="cosine", linkage="average"
        )
        .fit(vectors)
        .labels_
    )
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels.tolist()):
        groups.setdefault(int(label), []).append(row)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def centre(vectors: Vectors) -> Vectors:
    """The normalised mean of a group's vectors, as a one-row matrix."""
    mean = vectors.mean(axis=0, keepdims=True)
    norm = float(np.linalg.norm(mean))
    unit: Vectors = (mean / norm if norm > 0 else mean).astype(np.float32)
    return unit


def nearest_articles(kb: KnowledgeBase, vector: Vectors, top: int) -> list[NearArticle]:
    """The `top` articles whose closest passage (summary, body or customer phrasing) is nearest
    to the vector; vector evidence only, so a group is compared with what articles mean."""
    passages = kb.evidence("", vector).passages
    best = sorted(((max(scores), aid) for aid, scores in passages.items() if scores), reverse=True)
    found = []
    for score, article_id in best:
        try:
            title = kb.get(article_id).title
        except ArticleNotFound:
            continue  # removed since the search: the next one takes its place
        found.append(NearArticle(article_id, title, round(float(score), 4)))
        if len(found) == top:
            break
    return found


def cluster_texts(kb: KnowledgeBase, texts: list[str], *, max_distance: float, top: int = 3) -> list[Group]:
    """The texts grouped by meaning, each group with its `top` nearest articles."""
    if not texts:
        return []
    vectors = kb.embedder.encode(texts)
    return [
        Group(members, nearest_articles(kb, centre(vectors[members]), top))
        for members in cluster_vectors(vectors, max_distance)
    ]
