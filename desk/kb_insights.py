"""The knowledge service's endpoints behind the editors' insights: grouping questions by meaning
(`POST /cluster`) and reviewing the candidate examples it learned (`/examples`), beside the
editing API it extends (desk/kb_editing.py: same token, same editor identity, same errors)."""

from __future__ import annotations

from typing import Any, Literal

from desk.kb_editing import EditorIdentity, KBEditingClient

Decision = Literal["approve", "reject"]
# Embedding and clustering a couple of thousand questions takes seconds, not the milliseconds
# of an edit: this call gets longer than DESK_HTTP_TIMEOUT_SECONDS.
CLUSTER_TIMEOUT_SECONDS = 60.0


class KBInsightsClient(KBEditingClient):
    async def cluster(self, editor: EditorIdentity, texts: list[str]) -> list[dict[str, Any]]:
        """Groups of indexes into `texts`, largest first, each with its nearest articles."""
        if not texts:
            return []
        result = await self._call(
            editor, "POST", "/cluster", json={"texts": texts}, timeout=CLUSTER_TIMEOUT_SECONDS
        )
        return list(result.get("groups") or []) if isinstance(result, dict) else []

    async def candidates(self, editor: EditorIdentity, article_id: str) -> list[dict[str, Any]]:
        """The candidate examples (live phrasings waiting for an editor) of one article."""
        params = {"status": "candidate", "article_id": article_id, "limit": 500}
        result = await self._call(editor, "GET", "/examples", params=params)
        return list(result.get("examples") or []) if isinstance(result, dict) else []

    async def decide(self, editor: EditorIdentity, decision: Decision, ids: list[int]) -> dict[str, Any]:
        """Approve or reject examples in bulk: `{"changed", "status", "missing"}`."""
        return dict(await self._call(editor, "POST", f"/examples/{decision}", json={"ids": ids}))
