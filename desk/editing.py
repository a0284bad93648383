"""What the editor pages do, over the knowledge service's editing API: the article list with its
filters, the article itself, versions and a side-by-side diff, "try a question", the preview.

The list leaves a place for what the desk's event log knows about each article: `signals` gives
helpful / not helpful counts per article (NoSignals until something fills it); an article is
`stale` when its review-by date has passed or its helpful rate is poor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from desk.kb_editing import EditorIdentity, KBEditingClient
from desk.pages import markdown_html
from desk.store import StaffMember, Store

POOR_RATE = 0.5  # helpful share under which an article is flagged ...
POOR_MIN_VOTES = 5  # ... once it has at least this many answers to "Did that answer your question?"


class ArticleDraft(BaseModel):
    """An article as the editor page sends it; the knowledge service validates it further and
    names each field it refuses."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=300)
    summary: str = Field("", max_length=2000)
    topic: str = Field("", max_length=120)
    tags: list[str] = Field(default_factory=list, max_length=50)
    escalation: Literal["none", "offer", "always"] = "none"
    questions: list[str] = Field(default_factory=list, max_length=500)
    body: str = Field("", max_length=200_000)
    review_by: dt.date | None = None

    def for_kb(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["tags"] = [t.strip() for t in self.tags if t.strip()]
        data["questions"] = [q.strip() for q in self.questions if q.strip()]
        return data


@dataclass(frozen=True)
class Helpfulness:
    """Answers to "Did that answer your question?" after the assistant showed an article."""

    helpful: int = 0
    not_helpful: int = 0

    @property
    def votes(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def poor(self) -> bool:
        return self.votes >= POOR_MIN_VOTES and self.helpful / self.votes < POOR_RATE


class ArticleSignals(Protocol):
    """What the desk's event log says about articles, by article id (absent: no feedback)."""

    def helpfulness(self, article_ids: Sequence[str]) -> Mapping[str, Helpfulness]: ...


class NoSignals:
    def helpfulness(self, article_ids: Sequence[str]) -> Mapping[str, Helpfulness]:
        return {}


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    topic: str = ""
    tag: str = ""
    escalation: str = ""
    status: str = ""  # draft | published | archived; empty: every status
    stale: str = ""  # yes | no
    helpfulness: str = ""  # poor | fine | unrated


class Editing:
    def __init__(
        self,
        *,
        kb: KBEditingClient,
        store: Store,
        signals: ArticleSignals | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.kb = kb
        self.store = store
        self.signals: ArticleSignals = signals or NoSignals()
        self.today = today

    async def list_articles(self, who: StaffMember, filters: ListFilters) -> dict[str, Any]:
        rows = await self.kb.articles(EditorIdentity.of(who))
        votes = self.signals.helpfulness([r["id"] for r in rows])
        names = self._staff_names()
        listed = [self._row(r, votes.get(r["id"], Helpfulness()), names) for r in rows]
        return {
            "articles": sorted(
                (r for r in listed if _matches(r, filters)), key=lambda r: str(r["title"]).lower()
            ),
            "total": len(listed),
            "topics": sorted({str(r["topic"]) for r in listed if r.get("topic")}),
            "tags": sorted({str(t) for r in listed for t in r.get("tags") or []}),
        }

    async def article(self, who: StaffMember, article_id: str) -> dict[str, Any]:
        article = await self.kb.article(EditorIdentity.of(who), article_id)
        article["stale"] = self._past_review(article.get("review_by"))
        article["updated_by"] = _name_of(article, self._staff_names())
        return article

    async def versions(self, who: StaffMember, article_id: str) -> list[dict[str, Any]]:
        versions = await self.kb.versions(EditorIdentity.of(who), article_id)
        names = self._staff_names()
        for v in versions:  # the desk's current name for a staff id, else what was recorded
            v["editor_name"] = names.get(str(v.get("editor_id")), v.get("editor") or "unknown")
        return versions

    async def diff(self, who: StaffMember, article_id: str, before: int, after: int) -> dict[str, Any]:
        diff = await self.kb.diff(EditorIdentity.of(who), article_id, before, after)
        fields = diff.get("fields") or {}
        return {
            "from": diff.get("from", before),
            "to": diff.get("to", after),
            "fields": [
                {"name": name, "before": change.get("before"), "after": change.get("after")}
                for name, change in fields.items()
                if isinstance(change, dict)
            ],
            "rows": side_by_side(diff.get("body") or []),
        }

    async def try_question(
        self, who: StaffMember, article_id: str, question: str, draft: ArticleDraft
    ) -> dict[str, Any]:
        result = await self.kb.try_question(EditorIdentity.of(who), article_id, question, draft.for_kb())
        return {key: _outcome(result.get(key) or {}, article_id) for key in ("now", "with_draft")}

    @staticmethod
    def preview(markdown: str) -> str:
        """The body as the help pages show it: the same renderer, raw HTML shown as text."""
        return markdown_html(markdown)

    def _row(self, article: dict[str, Any], votes: Helpfulness, names: Mapping[str, str]) -> dict[str, Any]:
        return {
            **article,
            "updated_by": _name_of(article, names),
            "helpful": votes.helpful,
            "not_helpful": votes.not_helpful,
            "poor": votes.poor,
            "rated": votes.votes > 0,
            "stale": self._past_review(article.get("review_by")) or votes.poor,
        }

    def _past_review(self, review_by: object) -> bool:
        try:
            return bool(review_by) and dt.date.fromisoformat(str(review_by)[:10]) < self.today()
        except ValueError:
            return False

    def _staff_names(self) -> dict[str, str]:
        return {str(m.id): m.name for m in self.store.all_staff()}


def _name_of(article: Mapping[str, Any], names: Mapping[str, str]) -> Any:
    """Who changed the article last: the desk's current name for that staff id, else as recorded."""
    return names.get(str(article.get("updated_by_id")), article.get("updated_by"))


def _matches(row: Mapping[str, Any], f: ListFilters) -> bool:
    if f.q:
        text = f"{row.get('title', '')} {row.get('summary', '')}".lower()
        if not all(word in text for word in f.q.lower().split()):
            return False
    facts = {  # filter name: the row's value for it
        "topic": row.get("topic"),
        "tag": f.tag if f.tag in (row.get("tags") or []) else None,
        "escalation": row.get("escalation"),
        "status": row.get("status"),
        "stale": "yes" if row.get("stale") else "no",
        "helpfulness": _helpfulness_kind(row),
    }
    return all(not wanted or facts[name] == wanted for name, wanted in vars(f).items() if name != "q")


def _helpfulness_kind(row: Mapping[str, Any]) -> str:
    if not row.get("rated"):
        return "unrated"
    return "poor" if row.get("poor") else "fine"


def _outcome(outcome: Mapping[str, Any], article_id: str) -> dict[str, Any]:
    hits = [h for h in outcome.get("hits") or [] if isinstance(h, dict)]
    own = next((h for h in hits if h.get("article_id") == article_id), None)
    return {
        "verdict": outcome.get("verdict", "none"),
        "confidence": outcome.get("confidence"),
        "article_rank": outcome.get("article_rank"),
        "article_score": own.get("score") if own else None,
        "hits": hits,
    }


def side_by_side(lines: Iterable[str]) -> list[dict[str, Any]]:
    """A unified diff's lines as rows of (left, right): `same` on both sides, `change` pairs a
    removed line with the added one that replaced it, `del` / `add` stand alone, `hunk` marks a
    gap between the parts shown."""
    rows: list[dict[str, Any]] = []
    removed: list[str] = []
    added: list[str] = []

    def flush() -> None:
        for i in range(max(len(removed), len(added))):
            left = removed[i] if i < len(removed) else None
            right = added[i] if i < len(added) else None
            kind = "change" if left is not None and right is not None else ("del" if right is None else "add")
            rows.append({"kind": kind, "left": left, "right": right})
        removed.clear()
        added.clear()

    in_hunk = False
    for raw in lines:
        line = raw.rstrip("\n")
        if not in_hunk and line.startswith(("---", "+++")):
            continue  # the file names before the first hunk
        if line.startswith("@@"):
            in_hunk = True
            flush()
            rows.append({"kind": "hunk", "left": line, "right": line})
        elif line.startswith("-"):
            if added:  # a removal after additions starts a new block
                flush()
            removed.append(line[1:])
        elif line.startswith("+"):
            added.append(line[1:])
        elif line.startswith("\\"):
            continue  # "\ No newline at end of file"
        else:
            flush()
            text = line[1:] if line.startswith(" ") else line
            rows.append({"kind": "same", "left": text, "right": text})
    flush()
    return rows
