"""A manager's overview in headless Chromium against the real running system, after real
conversations (one the assistant answers and the customer confirms, one an agent takes and
resolves): the charts are drawn with the API's data, a tile shows the API's number, the live
floor shows a customer who starts waiting while the page is open, and a table's CSV downloads.
Screenshots in var/test-artifacts/browser/manager-*.png."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.clients import Agent, Customer
from tests.e2e.conftest import AGENT_EMAIL, AGENT_NAME, AGENT_PASSWORD
from tests.e2e.test_browser import ARTIFACTS, browser, css, shot, sign_in_as, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.slow

MANAGER = ("manager@kestrel.example", "kestrel-demo")
QUESTION = "I ordered a new card ten days ago and it still hasn't come"


@pytest.fixture(scope="module")
def manager_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebDriver, Path]]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    downloads = tmp_path_factory.mktemp("manager-downloads")
    driver = browser(tmp_path_factory.mktemp("manager-profile"), 1400, 1000)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    yield driver, downloads
    driver.quit()


@pytest.fixture
def agent(desk_stack: Stack) -> Iterator[Agent]:
    assert desk_stack.desk
    signed_in = Agent(desk_stack.desk, AGENT_EMAIL, AGENT_PASSWORD)
    signed_in.wait(lambda f: f["type"] == "queue")  # online from here on
    yield signed_in
    signed_in.close()


def contained_conversation(desk: str) -> None:
    customer = Customer(desk)
    customer.say(QUESTION)
    customer.message_from("bot")
    asked = customer.message_from("bot")  # "Did that answer your question?"
    yes = next(b for b in asked["buttons"] if b["payload"] == "/affirm")
    customer.say(yes["title"], payload=yes["payload"])
    customer.message_from("bot")
    customer.drop()


def waiting_customer(desk: str, agent: Agent) -> Customer:
    customer = Customer(desk)
    customer.say(QUESTION)
    customer.message_from("bot")
    customer.send({"type": "handoff_request", "client_id": "person"})
    customer.state("queued")
    agent.wait(
        lambda f: f["type"] == "handoff_new" and f["summary"]["conversation_id"] == customer.conversation_id
    )
    return customer


def resolved_by_agent(desk: str, agent: Agent, customer: Customer | None = None) -> None:
    customer = customer or waiting_customer(desk, agent)
    path = f"/api/console/conversations/{customer.conversation_id}"
    agent.post(f"{path}/claim")
    customer.state("agent")
    agent.post(f"{path}/messages", {"text": "Hi, I'm Ana. Your card is on its way."})
    customer.message_from("agent")
    agent.post(f"{path}/resolve", {"outcome": "resolved"})
    customer.state("resolved")
    customer.drop()


@contextmanager
def manager_api(desk: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=desk, timeout=30) as http:
        signed_in = http.post("/console/login", data={"email": MANAGER[0], "password": MANAGER[1]})
        assert signed_in.status_code == 303, signed_in.text
        yield http


def chart_data(driver: WebDriver, chart: str) -> list[dict[str, Any]]:
    """Each dataset of a chart as Chart.js holds it, and whether it laid out a drawing area."""
    return driver.execute_script(  # type: ignore[no-any-return]
        """
        const canvas = document.querySelector(`canvas[data-chart="${arguments[0]}"]`);
        const chart = window.Chart && Chart.getChart(canvas);
        if (!chart || !chart.chartArea) return [];
        return chart.data.datasets.map((d) => ({label: d.label, data: d.data}));
        """,
        chart,
    )


def tile(driver: WebDriver, path: str, area: str = "tile") -> tuple[str, str]:
    """(the API's value, the text shown) of a tile: `area` "tile" for the period, "floor" for now."""
    found = css(driver, f'[data-testid="{area}-{path}"]')[0]
    return found.get_attribute("data-value") or "", css(found, ".tile-value")[0].text


def row_of(driver: WebDriver, table: str, first_cell: str) -> dict[str, str]:
    for row in css(driver, f'[data-testid="table-{table}"] tbody tr'):
        cells = {c.get_attribute("data-path"): c.text for c in css(row, "th, td")}
        if first_cell in cells.values():
            return cells
    return {}


def test_a_manager_reads_the_operation_from_real_conversations(
    desk_stack: Stack, agent: Agent, manager_browser: tuple[WebDriver, Path]
) -> None:
    desk = desk_stack.desk
    assert desk
    driver, downloads = manager_browser
    contained_conversation(desk)
    resolved_by_agent(desk, agent)

    # The demo manager signs in and lands on the overview; the period's figures load.
    sign_in_as(driver, desk, *MANAGER)
    wait_for(driver, lambda d: d.current_url.endswith("/manager") and d.find_element("css selector", "body"))
    wait_for(driver, lambda d: css(d, "body[data-loaded]"))
    today = date.fromisoformat(css(driver, "body")[0].get_attribute("data-today") or "")
    shown = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    with manager_api(desk) as http:
        report = http.get("/api/kpis", params=shown).json()
    assert report["conversations"]["count"] >= 2
    assert report["containment"]["count"] >= 1

    # A number on screen is the API's number.
    value, text = tile(driver, "conversations.count")
    assert value == str(report["conversations"]["count"])
    assert text == f"{report['conversations']['count']:,}"
    assert tile(driver, "containment.rate")[0] == str(report["containment"]["rate"])

    # The charts are drawn with the API's series, bucket by bucket.
    volume = {d["label"]: d["data"] for d in wait_for(driver, lambda d: chart_data(d, "volume"))}
    assert volume["Conversations"] == [b["conversations"]["count"] for b in report["series"]]
    assert volume["Containment"] == [b["containment"]["rate"] for b in report["series"]]
    assert sum(volume["Conversations"]) == report["conversations"]["count"]
    reasons = {d["label"]: d["data"] for d in chart_data(driver, "reasons")}
    assert sum(reasons["Asked for a person"]) == report["escalation"]["by_reason"]["customer_request"] >= 1
    for chart in ("csat", "response"):
        assert chart_data(driver, chart), chart
    painted = driver.execute_script(
        "const c = document.querySelector('canvas[data-chart=\"volume\"]');"
        "const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "return px.some((v, i) => i % 4 === 3 && v > 0);"
    )
    assert painted, "the volume chart's canvas is blank"

    # The agents' table holds the API's row for the agent.
    ana = next(a for a in report["agents"] if a["name"] == AGENT_NAME)
    cells = wait_for(driver, lambda d: row_of(d, "agents", AGENT_NAME))
    assert cells["handled"] == f"{ana['handled']:,}"
    assert cells["resolved"] == f"{ana['resolved']:,}"
    shot(driver, "manager-01-overview")
    driver.execute_script("document.querySelector('.charts').scrollIntoView()")
    shot(driver, "manager-02-charts")

    # The live floor: a customer who starts waiting now shows within a refresh or two.
    driver.execute_script("window.scrollTo(0, 0)")
    waiting = waiting_customer(desk, agent)
    try:
        queued = '[data-testid="table-floor-queue"] tbody th'
        wait_for(driver, lambda d: [c for c in css(d, queued) if c.text == waiting.conversation_id], 20)
        with manager_api(desk) as http:
            floor = http.get("/api/floor").json()
        assert floor["agents_online"] >= 1
        assert row_of(driver, "floor-agents", AGENT_NAME)
        wait_for(driver, lambda d: tile(d, "agents_online", "floor")[0] == str(floor["agents_online"]), 20)
        shot(driver, "manager-03-live-floor")
    finally:
        resolved_by_agent(desk, agent, waiting)

    # The agents' table as CSV: downloaded with a name saying what and when, holding the API's
    # values (read again: the customer who waited above is counted now).
    with manager_api(desk) as http:
        report = http.get("/api/kpis", params=shown).json()
    ana = next(a for a in report["agents"] if a["name"] == AGENT_NAME)
    css(driver, '[data-testid="csv-agents"]')[0].click()
    downloaded = downloads / f"kestrel-agents-{shown['from']}-to-{shown['to']}.csv"
    wait_for(driver, lambda d: downloaded.exists(), 30)
    rows = list(csv.DictReader(io.StringIO(downloaded.read_text(encoding="utf-8-sig"))))
    row = next(r for r in rows if r["Agent"] == AGENT_NAME)
    assert (row["Handled"], row["Resolved"]) == (str(ana["handled"]), str(ana["resolved"]))
    assert row["First response, median (s)"] == str(ana["first_response"]["median"])
