"""What the editor pages do over the editing API: the list's filters, stale and helpfulness
flags, the side-by-side diff, "try a question" and the preview."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence

import httpx
import pytest

from desk.editing import ArticleDraft, Editing, Helpfulness, ListFilters, side_by_side
from desk.kb_editing import EditorIdentity, KBEditingClient
from desk.roles import Role
from desk.store import StaffMember, Store
from tests.desk.kb_editing_fake import TOKEN, FakeEditingKB

TODAY = dt.date(2026, 12, 1)


class Votes:
    def __init__(self, votes: Mapping[str, Helpfulness]) -> None:
        self.votes = votes

    def helpfulness(self, article_ids: Sequence[str]) -> Mapping[str, Helpfulness]:
        return {i: self.votes[i] for i in article_ids if i in self.votes}


@pytest.fixture
def kb() -> FakeEditingKB:
    fake = FakeEditingKB()
    fake.seed("card-arrival", title="Card delivery times", topic="card_arrival", tags=["cards"])
    fake.seed("lost-card", title="Lost or stolen card", summary="Freeze it in the app.", topic="lost_card",
              tags=["cards", "security"], escalation="always", review_by="2026-06-30")  # fmt: skip
    fake.seed("fees", status="draft", title="Fees", summary="What we charge.", topic="fees", tags=["money"])
    fake.seed("old-plan", status="archived", title="Old plan", summary="No longer sold.", topic="plans")
    return fake


@pytest.fixture
def store(database_target: str) -> Iterator[Store]:
    s = Store(database_target)
    yield s
    s.close()


@pytest.fixture
def eli(store: Store) -> StaffMember:
    return store.add_staff("eli@kestrel.example", "Eli Editor", "hash", roles=frozenset({Role.EDITOR}))


def editing(kb: FakeEditingKB, store: Store, votes: Mapping[str, Helpfulness] | None = None) -> Editing:
    client = KBEditingClient("http://kb", token=TOKEN, transport=httpx.MockTransport(kb.handle))
    return Editing(kb=client, store=store, signals=Votes(votes or {}), today=lambda: TODAY)


def listed(e: Editing, who: StaffMember, **filters: str) -> list[str]:
    result = asyncio.run(e.list_articles(who, ListFilters(**filters)))
    return [a["id"] for a in result["articles"]]


def test_the_list_searches_titles_and_summaries_and_filters(
    kb: FakeEditingKB, store: Store, eli: StaffMember
):
    e = editing(kb, store)
    assert listed(e, eli) == ["card-arrival", "fees", "lost-card", "old-plan"]  # by title
    assert listed(e, eli, q="FREEZE app") == ["lost-card"]
    assert listed(e, eli, q="card") == ["card-arrival", "lost-card"]
    assert listed(e, eli, topic="fees") == ["fees"]
    assert listed(e, eli, tag="security") == ["lost-card"]
    assert listed(e, eli, escalation="always") == ["lost-card"]
    assert listed(e, eli, status="draft") == ["fees"]
    assert listed(e, eli, status="archived") == ["old-plan"]
    assert listed(e, eli, status="published", tag="cards") == ["card-arrival", "lost-card"]
    everything = asyncio.run(e.list_articles(eli, ListFilters()))
    assert everything["total"] == 4
    assert everything["topics"] == ["card_arrival", "fees", "lost_card", "plans"]
    assert everything["tags"] == ["cards", "money", "security"]


def test_stale_means_past_its_review_date_or_often_not_helpful(
    kb: FakeEditingKB, store: Store, eli: StaffMember
):
    votes = {
        "fees": Helpfulness(helpful=1, not_helpful=5),
        "card-arrival": Helpfulness(helpful=9, not_helpful=1),
    }
    e = editing(kb, store, votes)
    assert listed(e, eli, stale="yes") == ["fees", "lost-card"]  # poor rate; review date passed
    assert listed(e, eli, stale="no") == ["card-arrival", "old-plan"]
    assert listed(e, eli, helpfulness="poor") == ["fees"]
    assert listed(e, eli, helpfulness="fine") == ["card-arrival"]
    assert listed(e, eli, helpfulness="unrated") == ["lost-card", "old-plan"]
    rows = {a["id"]: a for a in asyncio.run(e.list_articles(eli, ListFilters()))["articles"]}
    assert (rows["fees"]["helpful"], rows["fees"]["not_helpful"]) == (1, 5)
    assert (rows["lost-card"]["helpful"], rows["lost-card"]["rated"]) == (0, False)
    assert asyncio.run(e.article(eli, "lost-card"))["stale"] is True


def test_few_votes_do_not_flag_an_article():
    assert not Helpfulness(helpful=0, not_helpful=4).poor
    assert Helpfulness(helpful=2, not_helpful=3).poor
    assert not Helpfulness(helpful=3, not_helpful=3).poor


def test_versions_show_the_desks_name_for_the_editor(kb: FakeEditingKB, store: Store, eli: StaffMember):
    e = editing(kb, store)
    draft = ArticleDraft(title="Card delivery", body="Changed")
    asyncio.run(e.kb.update(e_identity(eli), "card-arrival", draft.for_kb(), base_version=1, as_draft=True))
    store.update_staff(eli.id, name="Eli Renamed")
    versions = asyncio.run(e.versions(eli, "card-arrival"))
    assert [(v["version"], v["editor_name"]) for v in versions] == [(2, "Eli Renamed"), (1, "import")]
    rows = asyncio.run(e.list_articles(eli, ListFilters(q="delivery")))["articles"]
    assert rows[0]["updated_by"] == "Eli Renamed"
    assert asyncio.run(e.article(eli, "card-arrival"))["updated_by"] == "Eli Renamed"


def test_the_diff_is_side_by_side(kb: FakeEditingKB, store: Store, eli: StaffMember):
    e = editing(kb, store)
    body = "1. Check the address in the app.\n2. Wait 7 working days.\n3. Call us.\n"
    draft = ArticleDraft(title="Card delivery", body=body, tags=["cards"], topic="card_arrival")
    asyncio.run(e.kb.update(e_identity(eli), "card-arrival", draft.for_kb(), base_version=1, as_draft=True))
    diff = asyncio.run(e.diff(eli, "card-arrival", 1, 2))
    assert (diff["from"], diff["to"]) == (1, 2)
    assert {"name": "title", "before": "Card delivery times", "after": "Card delivery"} in diff["fields"]
    kinds = [(r["kind"], r["left"], r["right"]) for r in diff["rows"] if r["kind"] != "hunk"]
    assert kinds == [
        ("same", "1. Check the address in the app.", "1. Check the address in the app."),
        ("change", "2. Wait 5 working days.", "2. Wait 7 working days."),
        ("add", None, "3. Call us."),
    ]


def test_side_by_side_pairs_removals_with_additions_and_keeps_gaps():
    lines = [
        "--- a",
        "+++ b",
        "@@ -1,3 +1,2 @@",
        " same",
        "-gone",
        "-changed",
        "+changed!",
        "--- dashes",
        "@@ -9 +8 @@",
        "+new",
    ]
    rows = side_by_side(lines)
    assert [r["kind"] for r in rows] == ["hunk", "same", "change", "del", "del", "hunk", "add"]
    assert rows[2] == {"kind": "change", "left": "gone", "right": "changed!"}
    assert rows[3] == {"kind": "del", "left": "changed", "right": None}
    assert rows[4] == {"kind": "del", "left": "-- dashes", "right": None}  # a removed line, not a header


def test_try_a_question_reports_the_articles_rank_and_score_now_and_with_the_draft(
    kb: FakeEditingKB, store: Store, eli: StaffMember
):
    e = editing(kb, store)
    draft = ArticleDraft(title="Card delivery", body="Cards reach Jersey in ten days")
    result = asyncio.run(e.try_question(eli, "card-arrival", "jersey", draft))
    assert result["now"]["verdict"] == "none"
    assert (result["now"]["article_rank"], result["now"]["article_score"]) == (None, None)
    assert result["with_draft"]["verdict"] == "answer"
    assert (result["with_draft"]["article_rank"], result["with_draft"]["article_score"]) == (1, 0.9)
    sent = kb.calls[-1]
    assert sent.url.path == "/articles/card-arrival/try"
    assert b'"Cards reach Jersey in ten days"' in sent.content


def test_the_preview_renders_markdown_like_the_help_pages_with_raw_html_as_text():
    html = Editing.preview(
        "# Steps\n\n1. **Freeze** it\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    )
    assert "<h1>Steps</h1>" in html
    assert "<strong>Freeze</strong>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html


def test_a_draft_drops_blank_tags_and_phrasings_and_refuses_unknown_fields():
    draft = ArticleDraft(title="T", body="B", tags=[" cards ", ""], questions=["  where is it ", " "])
    assert draft.for_kb()["tags"] == ["cards"]
    assert draft.for_kb()["questions"] == ["where is it"]
    assert draft.for_kb()["review_by"] is None
    with pytest.raises(ValueError, match="extra"):
        ArticleDraft.model_validate({"title": "T", "status": "published"})


def e_identity(member: StaffMember) -> EditorIdentity:
    return EditorIdentity.of(member)
