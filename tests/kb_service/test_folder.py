"""Import and export between the knowledge folder and the store: the conflict rule (README,
kb_service/folder.py), the export round trip and the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kb_service.__main__ import main
from kb_service.articles import Article, parse_article, write_article_file
from kb_service.folder import export_folder, import_folder
from kb_service.store import Change, Editor, SqlArticleStore
from tests.kb_service.helpers import write_article

ALICE = Editor("7", "Alice")


def file_article(folder: Path, article_id: str = "pin-blocked") -> Article:
    return parse_article((folder / f"{article_id}.md").read_text())


def edit_store(store: SqlArticleStore, article: Article, *, live: bool = True) -> None:
    current = store.find(article.id)
    assert current is not None
    change = Change(article, "edit", ALICE, current.status, "new" if live else "keep")
    store.append(article.id, change, expected_version=current.latest_version)


# file changed since the common version, store changed since it, what the import reports, and
# which content readers see afterwards ("file", "store" or "old": the common version).
RULE = [
    (False, False, "unchanged", "old"),
    (True, False, "updated", "file"),
    (False, True, "kept", "store"),
    (True, True, "conflicts", "store"),
]


@pytest.mark.parametrize(("file_changed", "store_changed", "outcome", "served"), RULE)
def test_the_import_conflict_rule(
    store: SqlArticleStore,
    knowledge_dir: Path,
    file_changed: bool,
    store_changed: bool,
    outcome: str,
    served: str,
) -> None:
    old = file_article(knowledge_dir)
    from_file = old.model_copy(update={"summary": "The file's new summary about the PIN."})
    from_store = old.model_copy(update={"summary": "The editor's new summary about the PIN."})
    if file_changed:
        write_article_file(knowledge_dir, from_file)
    if store_changed:
        edit_store(store, from_store)
    before = store.find("pin-blocked")
    assert before is not None

    report = import_folder(store, knowledge_dir)

    assert "pin-blocked" in getattr(report, outcome)
    expected = {"old": old, "file": from_file, "store": from_store}[served]
    published = store.published_article("pin-blocked")
    assert published is not None
    assert published[0] == expected
    after = store.find("pin-blocked")
    assert after is not None
    versions = store.versions("pin-blocked")
    if outcome == "conflicts":  # both kept: the file's content waits as a draft version
        assert versions[0].action == "import_conflict"
        assert versions[0].article == from_file
        assert after.has_draft
        assert after.published_version == before.latest_version
    else:
        assert len(versions) == before.latest_version + (outcome == "updated")
    # importing the same folder again changes nothing
    again = import_folder(store, knowledge_dir)
    assert again.created == again.updated == again.conflicts == []
    assert store.find("pin-blocked") == after


def test_a_conflict_is_not_imported_twice_and_a_later_file_change_is_a_new_conflict(
    store: SqlArticleStore, knowledge_dir: Path
) -> None:
    old = file_article(knowledge_dir)
    edit_store(store, old.model_copy(update={"title": "PIN blocked (editor)"}))
    write_article_file(knowledge_dir, old.model_copy(update={"title": "PIN blocked (git)"}))
    assert import_folder(store, knowledge_dir).conflicts == ["pin-blocked"]
    assert import_folder(store, knowledge_dir).pending == ["pin-blocked"]
    write_article_file(knowledge_dir, old.model_copy(update={"title": "PIN blocked (git, again)"}))
    assert import_folder(store, knowledge_dir).conflicts == ["pin-blocked"]
    assert [v.action for v in store.versions("pin-blocked")][:2] == ["import_conflict", "import_conflict"]


def test_both_changed_alike_is_no_conflict(store: SqlArticleStore, knowledge_dir: Path) -> None:
    same = file_article(knowledge_dir).model_copy(update={"title": "PIN blocked again"})
    edit_store(store, same)
    write_article_file(knowledge_dir, same)
    report = import_folder(store, knowledge_dir)
    assert "pin-blocked" in report.unchanged
    stored = store.find("pin-blocked")
    assert stored is not None
    assert stored.file.file_hash == same.content_hash  # their new common version


def test_new_files_deleted_articles_drafts_and_broken_files(
    store: SqlArticleStore, knowledge_dir: Path
) -> None:
    write_article(knowledge_dir, "cash-fees", "Cash fees", "cash_withdrawal_charge", "Cash machine fees.")
    (knowledge_dir / "broken.md").write_text("no front matter here")
    # a deleted article whose file changed since: both changed, it comes back as a draft
    pin = store.find("pin-blocked")
    assert pin is not None
    store.append(
        "pin-blocked", Change(pin.latest, "delete", ALICE, "draft", "none", deleted=True), expected_version=1
    )
    write_article_file(knowledge_dir, pin.latest.model_copy(update={"title": "PIN blocked, rewritten"}))
    # a draft-only article whose file changed (the store did not): a new version, still a draft
    rate = store.find("exchange-rate")
    assert rate is not None
    store.append(
        "exchange-rate", Change(rate.latest, "unpublish", ALICE, "draft", "none"), expected_version=1
    )
    store.mark_file("exchange-rate", rate.file)
    write_article_file(knowledge_dir, rate.latest.model_copy(update={"title": "Our exchange rates"}))

    report = import_folder(store, knowledge_dir)

    assert report.created == ["cash-fees"]
    assert report.conflicts == ["pin-blocked"]
    assert report.updated == ["exchange-rate"]
    assert len(report.problems) == 1
    assert "broken.md" in report.problems[0]
    cash = store.find("cash-fees")
    assert cash is not None
    assert (cash.status, cash.latest_version, cash.published_version) == ("published", 1, 1)
    pin_after = store.find("pin-blocked")
    assert pin_after is not None
    assert (pin_after.deleted, pin_after.status, pin_after.latest.title) == (
        False,
        "draft",
        "PIN blocked, rewritten",
    )
    assert store.published_article("exchange-rate") is None
    rate_after = store.find("exchange-rate")
    assert rate_after is not None
    assert rate_after.latest.title == "Our exchange rates"


def test_export_then_import_changes_nothing(store: SqlArticleStore, tmp_path: Path) -> None:
    card = store.find("card-arrival")
    assert card is not None
    edit_store(store, card.latest.model_copy(update={"review_by": dt.date(2027, 3, 1), "title": "Card post"}))
    out = tmp_path / "exported"

    report = export_folder(store, out)

    assert sorted(report.written) == ["card-arrival", "exchange-rate", "pin-blocked"]
    assert "review_by: '2027-03-01'" in (out / "card-arrival.md").read_text()
    assert file_article(out, "card-arrival").review_by == dt.date(2027, 3, 1)
    before = {a.id: (a.latest_version, a.file) for a in store.articles()}
    again = import_folder(store, out)
    assert sorted(again.unchanged) == ["card-arrival", "exchange-rate", "pin-blocked"]
    assert again.created == again.updated == again.conflicts == again.kept == []
    assert {a.id: (a.latest_version, a.file) for a in store.articles()} == before
    assert export_folder(store, out).written == []


def test_export_removes_unpublished_files_and_never_overwrites_a_changed_one(
    store: SqlArticleStore, knowledge_dir: Path
) -> None:
    rate = store.find("exchange-rate")
    assert rate is not None
    store.append(
        "exchange-rate", Change(rate.latest, "archive", ALICE, "archived", "none"), expected_version=1
    )
    pin = file_article(knowledge_dir)
    edit_store(store, pin.model_copy(update={"title": "PIN blocked (editor)"}))
    write_article_file(knowledge_dir, pin.model_copy(update={"title": "PIN blocked (git)"}))

    report = export_folder(store, knowledge_dir)

    assert report.removed == ["exchange-rate"]
    assert not (knowledge_dir / "exchange-rate.md").exists()
    assert report.skipped == ["pin-blocked"]
    assert file_article(knowledge_dir).title == "PIN blocked (git)"
    assert export_folder(store, knowledge_dir, force=True).written == ["pin-blocked"]
    assert file_article(knowledge_dir).title == "PIN blocked (editor)"


def test_the_command_line(
    knowledge_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("KB_KNOWLEDGE_DIR", str(knowledge_dir))
    assert main(["import"]) == 0
    assert "created (3): card-arrival, exchange-rate, pin-blocked" in capsys.readouterr().out
    assert main(["import"]) == 0
    assert "unchanged (3)" in capsys.readouterr().out
    out = tmp_path / "out"
    assert main(["export", "--dir", str(out)]) == 0
    assert "written (3)" in capsys.readouterr().out
    assert (tmp_path / "cli-data" / "articles.sqlite3").exists()
    (out / "pin-blocked.md").write_text(
        (out / "pin-blocked.md").read_text().replace("PIN blocked", "PIN stuck")
    )
    assert main(["export", "--dir", str(out)]) == 1  # the changed file is skipped, and said so
    assert "skipped (1): pin-blocked" in capsys.readouterr().out
