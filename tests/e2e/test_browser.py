"""The real widget and agent console in headless Chromium (Debian's chromium + chromium-driver)
against the real running system. Each step saves a screenshot in var/test-artifacts/browser/."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import AGENT_EMAIL, AGENT_NAME, AGENT_PASSWORD
from tools.services import ROOT
from tools.stack import Stack

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "var" / "test-artifacts" / "browser"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"


def browser(profile: Path, width: int, height: int) -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="module")
def drivers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebDriver, WebDriver]]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    customer = browser(tmp_path_factory.mktemp("customer-profile"), 420, 860)  # a phone-sized window
    agent = browser(tmp_path_factory.mktemp("agent-profile"), 1400, 900)
    yield customer, agent
    customer.quit()
    agent.quit()


def wait_for(driver: WebDriver, find: Callable[[WebDriver], Any], timeout: float = 60) -> Any:
    """Polls until `find` gives something; elements re-rendered meanwhile are looked up again."""
    wait = WebDriverWait(
        driver, timeout, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException]
    )
    return wait.until(lambda d: find(d) or None)


def css(driver: WebDriver | WebElement, selector: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, selector)


def messages(driver: WebDriver, role: str) -> list[WebElement]:
    return css(driver, f'[data-testid="kw-message"][data-role="{role}"]')


def mode(driver: WebDriver) -> str | None:
    status = css(driver, '[data-testid="kw-status"]')
    return status[0].get_attribute("data-mode") if status else None


def widget_text(message: WebElement) -> str:
    return str(css(message, '[data-testid="kw-text"]')[0].text)


def shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def customer_says(driver: WebDriver, text: str) -> None:
    box = css(driver, '[data-testid="kw-input"]')[0]
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_customer_and_agent_in_real_browsers(desk_stack: Stack, drivers: tuple[WebDriver, WebDriver]) -> None:
    customer, agent = drivers
    desk = desk_stack.desk
    assert desk

    # The agent signs in; the console is online.
    agent.get(f"{desk}/console/login")
    css(agent, "#email")[0].send_keys(AGENT_EMAIL)
    css(agent, "#password")[0].send_keys(AGENT_PASSWORD)
    css(agent, '[data-testid="login-submit"]')[0].click()
    wait_for(agent, lambda d: css(d, '[data-testid="queue-list"]'))
    wait_for(agent, lambda d: "online" in css(d, '[data-testid="connection-status"]')[0].text.lower())
    shot(agent, "01-agent-console-signed-in")

    # The customer opens the widget on the demo page and asks a question.
    customer.get(f"{desk}/")
    css(customer, '[data-testid="kw-launcher"]')[0].click()
    wait_for(customer, lambda d: css(d, '[data-testid="kw-panel"]')[0].is_displayed())
    customer_says(customer, "I ordered a new card ten days ago and it still hasn't come")
    answer = wait_for(customer, lambda d: messages(d, "bot"))[0]
    assert customer.find_elements(By.CSS_SELECTOR, 'a[href$="/help/card-arrival"]')
    wait_for(customer, lambda d: css(d, '[data-testid="kw-quick-reply"]'))
    assert widget_text(answer)
    shot(customer, "02-customer-gets-the-answer")

    # "Talk to a person": queued, with a place in the queue.
    css(customer, '[data-testid="kw-human"]')[0].click()
    wait_for(customer, lambda d: mode(d) == "queued")
    assert "queue" in css(customer, '[data-testid="kw-status"]')[0].text.lower()
    shot(customer, "03-customer-waiting-in-the-queue")

    # The agent sees it arrive (title badge), opens it, reads the context and claims it. Others
    # may be waiting too (a test before this one): the title counts them all.
    token = customer.execute_script("return localStorage.getItem('kestrel-widget:token')")
    queued = '[data-testid="queue-item"]'
    this_one = f'{queued}[data-conversation-id="{token.split(".")[0]}"]'
    item = wait_for(agent, lambda d: css(d, this_one))[0]
    wait_for(agent, lambda d: d.title.startswith(f"({len(css(d, queued))})"))
    item.click()
    card = wait_for(
        agent, lambda d: [c for c in css(d, '[data-testid="context-card"]') if "hasn't arrived" in c.text]
    )[0]
    assert "customer request" in card.text.lower()  # the reason
    assert "request_human" in card.text  # what the assistant understood
    shot(agent, "04-agent-sees-the-context")
    claim = wait_for(
        agent, lambda d: [b for b in css(d, f'{this_one} [data-testid="claim"]') if b.is_displayed()]
    )[0]
    claim.click()
    wait_for(customer, lambda d: mode(d) == "agent")

    # Live replies both ways; hostile text stays text everywhere.
    reply = wait_for(agent, lambda d: [e for e in css(d, '[data-testid="reply-input"]') if e.is_enabled()])[0]
    reply.send_keys("Hello, I'm Ana. I can see your card was sent on the 12th.")
    css(agent, '[data-testid="reply-send"]')[0].click()
    from_agent = wait_for(customer, lambda d: messages(d, "agent"))[0]
    assert "I'm Ana" in widget_text(from_agent)
    assert AGENT_NAME in from_agent.text
    customer_says(customer, HOSTILE)
    wait_for(agent, lambda d: [m for m in css(d, '[data-testid="transcript-message"]') if HOSTILE in m.text])
    assert not css(agent, '[data-testid="transcript"] img')
    assert not css(customer, ".kw-root img[src='x']")
    assert agent.title != "pwned"
    assert customer.title != "pwned"
    shot(customer, "05-customer-chats-with-the-agent")
    shot(agent, "06-agent-chats-with-the-customer")

    # Hand back: the assistant returns and answers the next question.
    css(agent, '[data-testid="handback"]')[0].click()
    wait_for(customer, lambda d: mode(d) == "bot")
    greeting = wait_for(
        customer, lambda d: [m for m in messages(d, "bot") if "assistant again" in widget_text(m)]
    )
    assert greeting
    before = len(messages(customer, "bot"))
    customer_says(customer, "how long does a transfer to another UK bank take?")
    wait_for(customer, lambda d: len(messages(d, "bot")) > before)
    shot(customer, "07-assistant-answers-after-hand-back")

    # A reload keeps the conversation, with every message once.
    customer.refresh()
    css(customer, '[data-testid="kw-launcher"]')[0].click()
    wait_for(customer, lambda d: len(messages(d, "bot")) > before)
    ids = [m.get_attribute("data-id") for m in css(customer, '[data-testid="kw-message"]')]
    assert len(ids) == len(set(ids))
    shot(customer, "08-after-a-page-reload")


def sign_in_as(driver: WebDriver, desk: str, email: str, password: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{desk}/console/login")
    css(driver, "#email")[0].send_keys(email)
    css(driver, "#password")[0].send_keys(password)
    css(driver, '[data-testid="login-submit"]')[0].click()


def test_an_admin_adds_and_disables_an_agent_in_real_browsers(
    desk_stack: Stack, drivers: tuple[WebDriver, WebDriver]
) -> None:
    admin, newcomer = drivers
    desk = desk_stack.desk
    assert desk
    admin.set_window_size(1400, 900)

    # The demo admin signs in and lands on the staff page; names are shown as text.
    sign_in_as(admin, desk, "admin@kestrel.example", "kestrel-demo")
    wait_for(admin, lambda d: [r for r in css(d, "#staff-rows tr") if AGENT_EMAIL in r.text])
    css(admin, "#new-email")[0].send_keys("zoe@kestrel.example")
    css(admin, "#new-name")[0].send_keys(HOSTILE)
    css(admin, "#new-password")[0].send_keys("zoe-password-1")
    css(admin, '[data-testid="add-staff"] button[type="submit"]')[0].click()
    row = wait_for(admin, lambda d: [r for r in css(d, "#staff-rows tr") if "zoe@kestrel.example" in r.text])[
        0
    ]
    assert HOSTILE in row.text
    assert not css(admin, "#staff-rows img")
    assert admin.title != "pwned"
    shot(admin, "09-admin-adds-an-agent")

    # The new agent signs in to the console.
    sign_in_as(newcomer, desk, "zoe@kestrel.example", "zoe-password-1")
    wait_for(
        newcomer,
        lambda d: [e for e in css(d, '[data-testid="connection-status"]') if "online" in e.text.lower()],
    )

    # Disabled by the admin: the console loses its socket and goes back to the sign-in page.
    css(admin, '[data-testid="toggle-zoe@kestrel.example"]')[0].click()
    wait_for(
        admin, lambda d: [r for r in css(d, "#staff-rows tr") if "zoe@" in r.text and "disabled" in r.text]
    )
    wait_for(newcomer, lambda d: d.current_url.endswith("/console/login"), timeout=30)
    shot(newcomer, "10-disabled-agent-signed-out")


def test_a_long_conversation_opens_at_its_latest_page_and_scrolls_back(
    desk_stack: Stack, drivers: tuple[WebDriver, WebDriver]
) -> None:
    from desk.store import Store

    customer, _ = drivers
    desk = desk_stack.desk
    assert desk
    customer.set_window_size(420, 860)
    customer.get(f"{desk}/")
    token = customer.execute_script("return localStorage.getItem('kestrel-widget:token')")
    assert token, "the first test's conversation should still be this browser's"
    store = Store(desk_stack.desk_database)  # the running desk's own database
    for n in range(120):
        store.add_message(token.split(".")[0], "bot" if n % 2 else "customer", f"old line {n}")
    store.close()

    customer.refresh()
    css(customer, '[data-testid="kw-launcher"]')[0].click()
    wait_for(customer, lambda d: any("old line 119" in m.text for m in css(d, '[data-testid="kw-message"]')))
    assert len(css(customer, '[data-testid="kw-message"]')) == 50
    earlier = wait_for(
        customer, lambda d: [b for b in css(d, '[data-testid="kw-earlier"]') if b.is_displayed()]
    )[0]
    shot(customer, "11-long-history-latest-page")
    earlier.click()
    wait_for(customer, lambda d: len(css(d, '[data-testid="kw-message"]')) == 100)
    ids = [int(m.get_attribute("data-id")) for m in css(customer, '[data-testid="kw-message"]')]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    shot(customer, "12-long-history-earlier-page")

    # A card number typed in the widget is masked before the desk stores or forwards it, and the
    # customer sees what was kept.
    customer_says(customer, "someone used my card 4111 1111 1111 1111 abroad")
    note = wait_for(customer, lambda d: css(d, '[data-testid="kw-masked"]'))[0]
    assert "hid the card number" in note.text
    mine = [m for m in messages(customer, "customer") if "card ending 1111" in widget_text(m)]
    assert mine
    assert not [m for m in messages(customer, "customer") if "4111 1111" in widget_text(m)]
    shot(customer, "13-card-number-masked")


# Loaded before the widget: counts its sockets and welcomes, and can drop the socket the moment a
# message has gone out, before the desk's ack can come back (a closing socket delivers nothing).
SOCKET_PROBE = """
window.kwProbe = { sockets: [], welcomes: 0, dropAfterMessage: false };
window.WebSocket = class extends window.WebSocket {
  constructor(...args) {
    super(...args);
    kwProbe.sockets.push(this);
    this.addEventListener("message", (e) => {
      if (JSON.parse(e.data).type === "welcome") kwProbe.welcomes++;
    });
  }
  send(data) {
    super.send(data);
    if (kwProbe.dropAfterMessage && JSON.parse(data).type === "message") {
      kwProbe.dropAfterMessage = false;
      this.close();
    }
  }
};
"""


def test_unacknowledged_messages_are_sent_again_after_a_reconnect_and_kept_once(
    desk_stack: Stack, tmp_path: Path
) -> None:
    from desk.store import Store

    desk = desk_stack.desk
    assert desk
    customer = browser(tmp_path / "profile", 420, 860)
    try:
        customer.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SOCKET_PROBE})
        customer.get(f"{desk}/")
        css(customer, '[data-testid="kw-launcher"]')[0].click()
        wait_for(customer, lambda d: d.execute_script("return kwProbe.welcomes") == 1)

        # Sent, then the socket drops before the ack: stored, but the widget cannot know.
        customer.execute_script("kwProbe.dropAfterMessage = true")
        lost_ack = "I ordered a new card ten days ago and it still hasn't come"
        customer_says(customer, lost_ack)
        wait_for(customer, lambda d: d.execute_script("return kwProbe.welcomes") == 2)

        # Typed while the socket is closing: never on the wire until the next welcome.
        never_sent = "how long does a transfer to another UK bank take?"
        pending = customer.execute_script(
            """kwProbe.sockets.at(-1).close();
            document.querySelector('[data-testid="kw-input"]').value = arguments[0];
            document.querySelector('[data-testid="kw-send"]').click();
            return [...document.querySelectorAll('[data-testid="kw-message"][data-pending="true"]')]
              .map((m) => m.textContent);""",
            never_sent,
        )
        assert [text for text in pending if never_sent in text], pending
        wait_for(customer, lambda d: d.execute_script("return kwProbe.welcomes") == 3)

        def shown(d: WebDriver, text: str) -> list[WebElement]:
            return [m for m in messages(d, "customer") if text in widget_text(m)]

        for text in (lost_ack, never_sent):
            wait_for(customer, lambda d, t=text: shown(d, t)[0].get_attribute("data-pending") == "false")
            assert len(shown(customer, text)) == 1
        shot(customer, "14-messages-resent-after-reconnects")
        token = customer.execute_script("return localStorage.getItem('kestrel-widget:token')")
    finally:
        customer.quit()
    store = Store(desk_stack.desk_database)  # the running desk's own database
    try:
        stored = [m.text for m in store.messages(token.split(".")[0], roles=("customer",))]
    finally:
        store.close()
    assert stored == [lost_ack, never_sent]
