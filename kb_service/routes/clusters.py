"""POST /cluster: customer questions grouped by meaning, for the editors' "what customers could
not find" page (kb_service/clustering.py)."""

from __future__ import annotations

from fastapi import APIRouter

from kb_service.clustering import cluster_texts
from kb_service.routes.deps import EditorDep, KnowledgeBaseDep, SettingsDep
from kb_service.schemas import ClusterGroup, ClusterIn, ClusterOut, ErrorResponse, NearArticleOut

router = APIRouter(
    tags=["editing"],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)


@router.post("/cluster", response_model=ClusterOut, summary="Group questions by meaning")
def cluster(body: ClusterIn, kb: KnowledgeBaseDep, settings: SettingsDep, _: EditorDep) -> ClusterOut:
    """Embeds the texts with the search model and clusters them (agglomerative, average linkage,
    cosine distance cut at `max_distance`); each group names its three nearest published articles."""
    distance = body.max_distance or settings.cluster_distance
    groups = cluster_texts(kb, body.texts, max_distance=distance)
    return ClusterOut(
        groups=[
            ClusterGroup(
                members=g.members,
                articles=[
                    NearArticleOut(article_id=a.article_id, title=a.title, score=a.score) for a in g.articles
                ],
            )
            for g in groups
        ]
    )
