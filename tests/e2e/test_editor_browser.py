"""An editor's whole job in headless Chromium against the real running system: sign in, find an
article, edit its body (autosaved as a draft, previewed), try a question, publish, and the
widget's assistant answers with the new text; then compare versions and restore the old one.
Screenshots in var/test-artifacts/browser/editor-*.png."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.e2e.test_browser import (
    ARTIFACTS,
    browser,
    css,
    customer_says,
    messages,
    shot,
    sign_in_as,
    wait_for,
)
from tests.e2e.test_browser import widget_text as text_of
from tools.stack import EDITOR_TOKEN, Stack

pytestmark = pytest.mark.slow

ARTICLE = "card-arrival"
QUESTION = "I ordered a new card ten days ago and it still hasn't come"
KB_HEADERS = {"Authorization": f"Bearer {EDITOR_TOKEN}"}


@pytest.fixture(scope="module")
def editor_and_customer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebDriver, WebDriver]]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    editor = browser(tmp_path_factory.mktemp("editor-profile"), 1400, 1000)
    customer = browser(tmp_path_factory.mktemp("editor-customer-profile"), 420, 860)
    yield editor, customer
    editor.quit()
    customer.quit()


def latest(kb: str) -> dict[str, Any]:
    response = httpx.get(f"{kb}/articles/{ARTICLE}", params={"status": "draft"}, headers=KB_HEADERS)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def served_body(kb: str) -> str:
    return str(httpx.get(f"{kb}/articles/{ARTICLE}").json()["body"])


def status_says(driver: WebDriver, words: str) -> bool:
    return any(words in e.text for e in css(driver, '[data-testid="save-status"]'))


def test_an_editor_edits_previews_publishes_and_the_assistant_answers_with_it(
    desk_stack: Stack, editor_and_customer: tuple[WebDriver, WebDriver]
) -> None:
    editor, customer = editor_and_customer
    desk, kb = desk_stack.desk, desk_stack.kb
    assert desk
    marker = f"courier pigeon {uuid.uuid4().hex[:6]}"
    new_step = f"Follow your card live on the {marker} map in Card > Track delivery."
    original = latest(kb)
    try:
        # The demo editor signs in and lands on the article list; a search finds the article.
        sign_in_as(editor, desk, "editor@kestrel.example", "kestrel-demo")
        wait_for(
            editor, lambda d: d.current_url.endswith("/editor") and css(d, '[data-testid="article-link"]')
        )
        # After a git pull an editor brings the folder in from the page (nothing changed here).
        css(editor, '[data-testid="import-folder"]')[0].click()
        report = wait_for(
            editor, lambda d: [r for r in css(d, '[data-testid="import-report"]') if "Imported:" in r.text]
        )[0]
        assert "0 new" in report.text, report.text
        css(editor, '[data-testid="article-filter"]')[0].send_keys("hasn't arrived")
        row = f'tr[data-article-id="{ARTICLE}"] [data-testid="article-link"]'
        wait_for(editor, lambda d: css(d, row) and len(css(d, '[data-testid="article-link"]')) < 20)
        shot(editor, "editor-01-article-list")
        css(editor, row)[0].click()

        # The article opens; a new first step typed at the top of the body shows in the preview.
        body = wait_for(
            editor, lambda d: [b for b in css(d, '[data-testid="body"]') if b.get_attribute("value")]
        )[0]
        assert css(editor, '[data-testid="title"]')[0].get_attribute("value") == original["title"]
        body.click()
        body.send_keys(Keys.CONTROL, Keys.HOME)
        body.send_keys(f"1. {new_step}\n\n")
        wait_for(
            editor, lambda d: [li for li in css(d, '[data-testid="preview"] li') if marker in li.text], 10
        )
        assert not css(editor, '[data-testid="preview"] script')

        # Autosaved as a draft: readers and the assistant still get the published text.
        wait_for(editor, lambda d: status_says(d, "Saved as draft"), 15)
        assert latest(kb)["version"] > original["version"]
        assert marker not in served_body(kb)
        shot(editor, "editor-02-edited-and-previewed")

        # "Try a question": the search now and with the draft, side by side.
        css(editor, '[data-testid="try-question"]')[0].send_keys(QUESTION)
        css(editor, '[data-testid="try-submit"]')[0].click()
        tried = wait_for(editor, lambda d: css(d, '[data-testid="try-draft"]'), 30)[0]
        assert "rank" in tried.text
        assert css(editor, '[data-testid="try-now"]')

        # Publish: within a second the knowledge service serves and finds the new text.
        css(editor, '[data-testid="publish"]')[0].click()
        wait_for(editor, lambda d: status_says(d, "Published version"), 15)
        deadline = time.monotonic() + 1.0
        while marker not in served_body(kb):
            assert time.monotonic() < deadline, "the published text is not served within a second"
        hits = httpx.post(f"{kb}/search", json={"query": QUESTION}).json()["hits"]
        assert hits[0]["article_id"] == ARTICLE
        shot(editor, "editor-03-published")

        # The widget's assistant answers with the new text.
        customer.get(f"{desk}/")
        css(customer, '[data-testid="kw-launcher"]')[0].click()
        wait_for(customer, lambda d: css(d, '[data-testid="kw-panel"]')[0].is_displayed())
        customer_says(customer, QUESTION)
        wait_for(customer, lambda d: [m for m in messages(d, "bot") if marker in text_of(m)])
        shot(customer, "editor-04-assistant-answers-with-the-edit")

        # The history compares the original with the published version side by side ...
        Select(css(editor, '[data-testid="compare-from"]')[0]).select_by_value(str(original["version"]))
        css(editor, '[data-testid="compare"]')[0].click()
        wait_for(
            editor, lambda d: [c for c in css(d, '[data-testid="diff"] .diff-add') if marker in c.text], 15
        )
        shot(editor, "editor-05-side-by-side-diff")

        # ... and restores it, keyboard only: the dialog's confirm button, then Enter.
        restore = f'tr[data-version="{original["version"]}"] button'
        wait_for(editor, lambda d: css(d, restore))[0].click()
        confirm = wait_for(
            editor, lambda d: [b for b in css(d, '[data-testid="confirm-ok"]') if b.is_displayed()]
        )[0]
        shot(editor, "editor-06-confirm-restore")
        confirm.send_keys(Keys.ENTER)
        wait_for(editor, lambda d: status_says(d, "restored as version"), 15)
        assert marker not in served_body(kb)

        # Someone else saves meanwhile: the page's next autosave is refused, says so, and the
        # knowledge service keeps the other person's version.
        theirs = latest(kb)
        fields = ("title", "summary", "topic", "tags", "escalation", "questions", "body", "review_by")
        someone = {**KB_HEADERS, "X-Editor-Id": "someone", "X-Editor-Name": "Someone Else"}
        edit = {**{k: theirs[k] for k in fields}, "base_version": theirs["version"], "as_draft": True}
        httpx.put(f"{kb}/articles/{ARTICLE}", json=edit, headers=someone).raise_for_status()
        css(editor, "#a-summary")[0].send_keys(" Mine, typed after theirs.")
        banner = wait_for(
            editor, lambda d: [b for b in css(d, '[data-testid="conflict"]') if b.is_displayed()], 15
        )
        assert "Nothing was overwritten" in banner[0].text
        assert wait_for(editor, lambda d: status_says(d, "Not saved"), 5)
        assert "Mine, typed" not in latest(kb)["summary"]
        shot(editor, "editor-07-conflict-never-overwrites")
    finally:
        if marker in served_body(kb):  # leave the shared stack's help centre as it was
            restored = httpx.post(
                f"{kb}/articles/{ARTICLE}/versions/{original['version']}/restore", headers=KB_HEADERS
            )
            restored.raise_for_status()
