"""The managers' overview page and its CSV export through the desk's HTTP API: who may open
them, what the page is made of (its tables from desk/manager_tables.py, scripts only from the
desk) and the files the export writes."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient

from desk.manager_tables import TABLES
from tests.desk.conftest import AGENT, CONSOLE, receive_until, sign_in
from tests.desk.routes.test_console import start_conversation_with_handoff
from tests.desk.routes.test_deps import ADMIN, EDITOR, MANAGER


def test_managers_and_admins_open_the_overview_and_others_do_not(client: TestClient) -> None:
    for who in (MANAGER, ADMIN):
        assert client.get("/manager", headers=sign_in(client, who)).status_code == 200
    for who in (AGENT, EDITOR):
        assert client.get("/manager", headers=sign_in(client, who)).status_code == 403
    client.cookies.clear()
    anonymous = client.get("/manager", follow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/console/login")


def test_a_manager_lands_on_the_overview_and_an_admin_finds_it_on_the_staff_home(client: TestClient) -> None:
    landed = client.post(
        "/console/login",
        data={"email": MANAGER[0], "password": MANAGER[2]},
        follow_redirects=False,
    )
    assert landed.headers["location"] == "/manager"
    client.cookies.clear()
    home = client.get("/staff", headers=sign_in(client, ADMIN)).text
    assert home.count('href="/manager"') == 1
    assert 'href="/admin/staff"' in home


def test_the_page_loads_the_vendored_chart_library_then_its_own_scripts(client: TestClient) -> None:
    page = client.get("/manager", headers=sign_in(client, MANAGER))
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert scripts == ["/static/vendor/chartjs/chart.umd.min.js", "/static/desk.js", "/static/manager.js"]
    assert "<script>" not in page.text  # nothing inline: the policy allows only the desk's files
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for src in scripts:
        served = client.get(src)
        assert served.status_code == 200, src
    library = client.get(scripts[0]).text
    assert library.startswith("/*!\n * Chart.js v4.")
    assert client.get("/static/vendor/chartjs/LICENSE.md").text.startswith("The MIT License")


def test_every_table_has_a_caption_column_headers_and_a_csv_link(client: TestClient) -> None:
    page = client.get("/manager", headers=sign_in(client, MANAGER)).text
    for table in TABLES.values():
        match = re.search(rf'<table [^>]*data-table="{table.id}"[^>]*>\s*<caption>([^<]+)</caption>', page)
        assert match, table.id
        assert f'href="/manager/export/{table.id}.csv"' in page
        for column in table.columns:
            assert f'<th scope="col" data-path="{column.path}" data-format="{column.format}"' in page
    assert len(re.findall(r"<canvas [^>]*role=\"img\"", page)) == 4
    assert 'data-today="' in page


def conversation_resolved_by_an_agent(client: TestClient, agent: dict[str, str]) -> str:
    """A customer asks the (fake) assistant, then a person; the agent claims, replies, resolves."""
    with client.websocket_connect("/ws/console", headers=agent) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        cid = welcome["conversation_id"]
        client.post(f"/api/console/conversations/{cid}/claim", headers=agent)
        client.post(f"/api/console/conversations/{cid}/messages", json={"text": "Hi"}, headers=agent)
        receive_until(widget, lambda f: f["type"] == "message" and f["message"]["role"] == "agent")
        client.post(f"/api/console/conversations/{cid}/resolve", json={"outcome": "resolved"}, headers=agent)
        widget.__exit__(None, None, None)
    return str(cid)


def test_each_table_exports_the_apis_rows_as_csv(client: TestClient) -> None:
    conversation_resolved_by_an_agent(client, {**sign_in(client, AGENT), **CONSOLE})
    manager = sign_in(client, MANAGER)
    report = client.get("/api/kpis", headers=manager).json()
    assert report["conversations"]["count"] == 1

    agents = client.get("/manager/export/agents.csv", headers=manager)
    assert agents.status_code == 200, agents.text
    assert agents.headers["content-type"] == "text/csv; charset=utf-8"
    shown = report["range"]
    name = f"kestrel-agents-{shown['from']}-to-{shown['to']}.csv"
    assert agents.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert agents.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(agents.content.decode("utf-8-sig"))))
    ana = report["agents"][0]
    assert [(r["Agent"], r["Handled"], r["Resolved"]) for r in rows] == [(AGENT[1], "1", "1")]
    assert rows[0]["First response, median (s)"] == str(ana["first_response"]["median"])

    series = client.get("/manager/export/series.csv", params={"group": "week"}, headers=manager)
    weekly = client.get("/api/kpis", params={"group": "week"}, headers=manager).json()
    lines = list(csv.DictReader(io.StringIO(series.content.decode("utf-8-sig"))))
    assert [r["From"] for r in lines] == [b["start"] for b in weekly["series"]]
    assert sum(int(r["Conversations"]) for r in lines) == 1


def test_filters_name_the_file_and_reach_the_figures(client: TestClient) -> None:
    manager = sign_in(client, MANAGER)
    query = {"from": "2026-03-02", "to": "2026-03-08", "topic": "card_arrival", "agent": 7}
    topics = client.get("/manager/export/topics.csv", params=query, headers=manager)
    assert topics.status_code == 200
    assert (
        'filename="kestrel-topics-card-arrival-agent-7-2026-03-02-to-2026-03-08.csv"'
        in (topics.headers["content-disposition"])
    )
    assert topics.content.decode("utf-8-sig").splitlines()[1:] == []  # no conversation in that week
    backwards = client.get(
        "/manager/export/topics.csv", params={"from": "2026-03-08", "to": "2026-03-02"}, headers=manager
    )
    assert backwards.status_code == 422
    assert client.get("/manager/export/nothing.csv", headers=manager).status_code == 422


def test_the_live_floors_tables_export_the_moment(client: TestClient) -> None:
    agent = {**sign_in(client, AGENT), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=agent) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        manager = sign_in(client, MANAGER)
        queue = client.get("/manager/export/floor-queue.csv", headers=manager)
        agents = client.get("/manager/export/floor-agents.csv", headers=manager)
        widget.__exit__(None, None, None)
    assert re.search(
        r'filename="kestrel-floor-queue-\d{4}-\d\d-\d\d-\d{4}\.csv"', queue.headers["content-disposition"]
    )
    waiting = list(csv.DictReader(io.StringIO(queue.content.decode("utf-8-sig"))))
    assert [(r["Conversation"], r["Priority"], r["Status"]) for r in waiting] == [
        (welcome["conversation_id"], "normal", "queued")
    ]
    online = list(csv.DictReader(io.StringIO(agents.content.decode("utf-8-sig"))))
    assert [(r["Agent"], r["Online"]) for r in online] == [(AGENT[1], "yes")]


def test_the_export_needs_the_manager_or_admin_role(client: TestClient) -> None:
    assert client.get("/manager/export/agents.csv", headers=sign_in(client, ADMIN)).status_code == 200
    assert client.get("/manager/export/agents.csv", headers=sign_in(client, AGENT)).status_code == 403
    client.cookies.clear()
    assert client.get("/manager/export/agents.csv").status_code == 401
