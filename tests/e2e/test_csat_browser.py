"""The rating form in the real widget (headless Chromium) against the real system: it appears
after the customer confirms an answer, is a keyboard-operable radio group with labels, sends
once and thanks the customer; the rating reaches the managers' list."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.test_browser import ARTIFACTS, browser, css, customer_says, shot, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.slow


@pytest.fixture
def customer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver = browser(tmp_path_factory.mktemp("csat-profile"), 420, 860)
    yield driver
    driver.quit()


def test_the_customer_rates_the_assistant_with_the_keyboard(desk_stack: Stack, customer: WebDriver) -> None:
    desk = desk_stack.desk
    assert desk
    customer.get(f"{desk}/")
    css(customer, '[data-testid="kw-launcher"]')[0].click()
    customer_says(customer, "I ordered a new card ten days ago and it still hasn't come")
    yes = wait_for(
        customer, lambda d: [b for b in css(d, '[data-testid="kw-quick-reply"]') if b.text == "Yes, thanks"]
    )[0]
    assert not css(customer, '[data-testid="kw-csat"]')[0].is_displayed()
    yes.click()

    form = wait_for(customer, lambda d: [f for f in css(d, '[data-testid="kw-csat"]') if f.is_displayed()])[0]
    assert "our assistant" in css(form, "legend")[0].text
    labels = [label.text.replace("\n", " ") for label in css(form, ".kw-csat-score")]
    assert labels == ["1 Very poor", "2 Poor", "3 OK", "4 Good", "5 Very good"]
    assert css(form, "textarea")[0].accessible_name.startswith("Anything you'd like to add")
    shot(customer, "csat-01-rating-asked")

    # Keyboard only: the first score, arrows to the fourth, a comment, then Send rating.
    first = css(form, '[data-testid="kw-csat-1"]')[0]
    customer.execute_script("arguments[0].focus()", first)
    first.send_keys(Keys.SPACE)
    for _ in range(3):
        customer.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert css(form, '[data-testid="kw-csat-4"]')[0].is_selected()
    customer.switch_to.active_element.send_keys(Keys.TAB)
    customer.switch_to.active_element.send_keys("Clear and quick")
    send = css(form, '[data-testid="kw-csat-send"]')[0]
    customer.execute_script("arguments[0].focus()", send)
    customer.switch_to.active_element.send_keys(Keys.ENTER)
    thanks = wait_for(customer, lambda d: [t for t in css(d, '[data-testid="kw-csat-thanks"]') if t.text])[0]
    assert "Thank you" in thanks.text
    assert not form.is_displayed()
    shot(customer, "csat-02-rating-sent")

    token = customer.execute_script("return localStorage.getItem('kestrel-widget:token')")
    conversation_id = str(token).split(".")[0]
    with httpx.Client(base_url=desk, timeout=30) as http:
        signed_in = http.post(
            "/console/login", data={"email": "manager@kestrel.example", "password": "kestrel-demo"}
        )
        assert signed_in.status_code == 303
        ratings = http.get("/api/csat", params={"of": "assistant"}).json()["ratings"]
    mine = [r for r in ratings if r["conversation_id"] == conversation_id]
    assert [(r["score"], r["comment"]) for r in mine] == [(4, "Clear and quick")]
    assert customer.find_elements(By.CSS_SELECTOR, '[data-testid="kw-csat"]:not([hidden])') == []
