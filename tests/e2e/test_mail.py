"""Replies to tickets by email through real processes: the desk (`python -m desk`) and the
development mail catcher (`python -m desk.mail.catcher`) on free ports, a customer on the widget
protocol, an agent on the console API, the email read from the catcher's folder and the
development page, and its link opened in headless Chromium. Rasa is not started: the desk then
hands the customer to a person itself, and with nobody online that is a ticket."""

from __future__ import annotations

import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from desk.mail import captured
from tests.e2e.clients import Agent, Customer
from tests.e2e.test_browser import browser
from tools.services import free_port, run_command

pytestmark = pytest.mark.slow

CARD = "4111 1111 1111 1111"  # Luhn-valid
AGENT_EMAIL, AGENT_PASSWORD = "ana@kestrel.example", "mail-e2e-password"


def eventually(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError("the expected state never came")


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def desk_and_catcher(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder, smtp_port, desk_port, nothing = tmp_path / "mail", free_port(), free_port(), free_port()
    env = {"DESK_SMTP_PORT": str(smtp_port), "DESK_MAIL_CAPTURE_DIR": str(folder)}
    desk_env = {
        **env,
        "DESK_DATABASE_PATH": str(tmp_path / "desk.sqlite3"),
        "DESK_PUBLIC_URL": f"http://127.0.0.1:{desk_port}",
        "DESK_RASA_URL": f"http://127.0.0.1:{nothing}",  # down: the desk hands over itself
        "DESK_KB_URL": f"http://127.0.0.1:{nothing}",
        "DESK_AGENTS": f"{AGENT_EMAIL}:Ana Torres:{AGENT_PASSWORD}",
    }
    with (
        run_command(
            [sys.executable, "-m", "desk.mail.catcher"],
            env=env,
            port_variable="DESK_SMTP_PORT",
            log_path=tmp_path / "catcher.log",
            ready_path="/",
            port=smtp_port,
            wait=False,
        ) as catcher,
        run_command(
            [sys.executable, "-m", "desk"],
            env=desk_env,
            port_variable="DESK_PORT",
            log_path=tmp_path / "desk.log",
            ready_path="/readyz",
            port=desk_port,
        ) as desk,
    ):
        eventually(lambda: listening(smtp_port) or catcher.process.poll() is not None)
        assert catcher.process.poll() is None, catcher.log_tail()
        yield desk.url, folder


def test_a_ticket_reply_is_emailed_masked_and_its_link_reopens_the_conversation(
    desk_and_catcher: tuple[str, Path], tmp_path: Path
) -> None:
    desk, folder = desk_and_catcher
    customer = Customer(desk)
    customer.say(f"My card {CARD} was charged twice")
    customer.state("ticket")
    customer.send({"type": "contact", "email": "sam@example.org", "name": "Sam"})
    customer.wait(lambda f: f["type"] == "state" and not f["state"]["email_needed"])
    customer.drop()  # the customer left; the reply must reach them by email

    agent = Agent(desk, AGENT_EMAIL, AGENT_PASSWORD)
    try:
        agent.post(f"/api/console/conversations/{customer.conversation_id}/claim")
        reply = "Hi Sam, we refunded the second payment. <b>Sorry</b> for the trouble."
        agent.post(f"/api/console/conversations/{customer.conversation_id}/messages", {"text": reply})
        [mail] = eventually(lambda: captured.latest(folder))
        page = agent.http.get("/dev/mail")
    finally:
        agent.close()

    raw = (folder / mail.name).read_text()
    assert mail.envelope_to == "sam@example.org"
    assert reply in mail.text
    assert "My card [card ending 1111] was charged twice" in mail.text
    for where in (raw, mail.text, mail.html or "", page.text):
        assert CARD not in where
        assert CARD.replace(" ", "") not in where
    assert page.status_code == 200
    assert "&lt;b&gt;Sorry&lt;/b&gt;" in page.text
    assert "<b>Sorry</b>" not in page.text

    link = re.search(r"(http://\S+#kestrel-conversation=\S+)", mail.text)
    assert link is not None
    driver = browser(tmp_path / "profile", 420, 860)
    try:
        driver.get(link.group(1))
        shown = WebDriverWait(driver, 30, poll_frequency=0.2).until(
            lambda d: [
                m.text
                for m in d.find_elements(By.CSS_SELECTOR, '[data-testid="kw-message"][data-role="agent"]')
                if "refunded the second payment" in m.text
            ]
        )
        assert shown
        assert driver.execute_script("return location.hash") == ""  # the token left the address bar
    finally:
        driver.quit()
