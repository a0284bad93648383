"""The personal-data check: a customer types Luhn-valid card numbers, an email and a phone number
in every place the widget lets them (page address and title, customer id, messages to the
assistant and to a person, the contact form), an agent repeats a card number in a reply and a
note; then every database, log file and outbox the running services wrote is searched. No card
number may be anywhere; the email and phone number may be stored where a person needs them, but
never logged.

`make privacy-check` runs this test alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.clients import Agent, Customer
from tests.e2e.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tools.stack import Stack

pytestmark = pytest.mark.slow


def with_check_digit(prefix: str) -> str:
    """`prefix` and the Luhn check digit that makes it a valid card number."""
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:  # doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return prefix + str((10 - total % 10) % 10)


# Made up for this test, each a valid card number in the format a customer might type it.
CARDS = {
    "page": with_check_digit("491761234512001"),
    "title": with_check_digit("455673129870012"),
    "customer_id": with_check_digit("537589230145560"),
    "to_assistant": with_check_digit("401288123498760"),
    "to_agent": with_check_digit("520082828282210"),
    "contact_name": with_check_digit("601100998877665"),
    "agent_reply": with_check_digit("378282246310"),  # 13 digits
    "agent_note": with_check_digit("356600202036050"),
}
EMAIL = "priya.contact-check@example.org"
PHONE = "07700 900 461"


def spaced(card: str) -> str:
    return " ".join(card[i : i + 4] for i in range(0, len(card), 4))


def dashed(card: str) -> str:
    return "-".join(card[i : i + 4] for i in range(0, len(card), 4))


def card_pattern(card: str) -> re.Pattern[bytes]:
    """The card's digits in order, with any spaces or dashes between them."""
    return re.compile(rb"[ \-]?".join(re.escape(d.encode()) for d in card))


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def database_files(stack: Stack, folder: Path) -> dict[str, Path]:
    """Each service's database as a file to search: a SQLite file as it is, a PostgreSQL
    database (a scaled stack's) as the text of every table's rows (COPY's format) in `folder`."""
    import psycopg
    from psycopg import sql

    found = {}
    for name, target in stack.databases.items():
        if not target.startswith("postgresql://"):
            found[name] = Path(target)
            continue
        found[name] = folder / f"{name}.postgresql.txt"
        with psycopg.connect(target, connect_timeout=10) as db, found[name].open("wb") as out:
            tables = db.execute(
                "SELECT schemaname, tablename FROM pg_tables"
                " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ).fetchall()
            for schema, table in tables:
                query = sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(schema, table))
                with db.cursor().copy(query) as copy:
                    for chunk in copy:
                        out.write(bytes(chunk))
    return found


@pytest.fixture
def agent(desk_stack: Stack) -> Iterator[Agent]:
    assert desk_stack.desk
    signed_in = Agent(desk_stack.desk, AGENT_EMAIL, AGENT_PASSWORD)
    signed_in.wait(lambda f: f["type"] == "queue")
    yield signed_in
    signed_in.close()


def test_no_card_number_is_kept_anywhere_and_contacts_are_never_logged(
    desk_stack: Stack, agent: Agent, tmp_path: Path
) -> None:
    desk = desk_stack.desk
    assert desk
    customer = Customer(
        desk,
        metadata={
            "page": f"{desk}/pay?card={CARDS['page']}&email={EMAIL}",
            "title": f"Payment for card {spaced(CARDS['title'])}",
            "customer_id": f"cust-{CARDS['customer_id']}",
            "referrer": f"{desk}/?phone={PHONE}",
            "locale": "en-GB",
        },
    )
    customer.say(
        f"my card {spaced(CARDS['to_assistant'])} was charged twice, write to {EMAIL} or call {PHONE}"
    )
    customer.message_from("bot")
    customer.send({"type": "handoff_request", "client_id": "privacy-person"})
    customer.state("queued")
    agent.wait(
        lambda f: f["type"] == "handoff_new" and f["summary"]["conversation_id"] == customer.conversation_id
    )
    said = customer.say(f"the other card is {dashed(CARDS['to_agent'])}")
    customer.wait(lambda f: f["type"] == "ack" and f["client_id"] == said)
    customer.send({"type": "contact", "email": EMAIL, "name": f"Priya {CARDS['contact_name']}"})
    customer.message_from("system")  # "Thanks, we'll reply to ..."

    path = f"/api/console/conversations/{customer.conversation_id}"
    agent.post(f"{path}/claim")
    agent.post(f"{path}/notes", {"text": f"customer also has {CARDS['agent_note']}"})
    agent.post(f"{path}/messages", {"text": f"I can see card {spaced(CARDS['agent_reply'])} here"})
    assert "[card ending" in customer.message_from("agent")["text"]
    agent.post(f"{path}/resolve", {"outcome": "resolved"})
    customer.state("resolved")

    databases = database_files(desk_stack, tmp_path)
    assert {"desk", "rasa", "actions", "kb"} <= set(databases)
    assert all(path.is_file() for path in databases.values()), databases
    written = sorted(set(files_under(desk_stack.logs)) | set(databases.values()))
    found = {
        (where, str(path.relative_to(desk_stack.logs) if path.is_relative_to(desk_stack.logs) else path))
        for path in written
        for where, card in CARDS.items()
        if card_pattern(card).search(path.read_bytes())
    }
    assert found == set(), f"card numbers kept on disk (where typed, file): {sorted(found)}"

    logs = [path for path in written if path.suffix == ".log"]
    assert logs
    contact_in_logs = {
        str(path.name)
        for path in logs
        for needle in (EMAIL.encode(), PHONE.encode(), PHONE.replace(" ", "").encode())
        if needle in path.read_bytes()
    }
    assert contact_in_logs == set(), f"an email or phone number was logged in {sorted(contact_in_logs)}"
