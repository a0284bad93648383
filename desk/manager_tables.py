"""What the manager pages show, defined once: the tiles and the tables (each column a path into
the JSON of GET /api/kpis or GET /api/floor, docs/contracts/kpis.md). The page renders their
headings from here and manager.js fills them with the API's values; the CSV export writes the
same rows from the same paths, so a file and the screen cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from desk.csv_export import Cell, csv_text
from desk.kpis.measures import REASONS

Source = Literal["kpis", "floor"]
# How a value is shown: a count, a rate (0-1, shown as a percentage), seconds (as a duration),
# text, a day, or yes/no. The CSV keeps the API's raw value.
Format = Literal["count", "rate", "seconds", "text", "day", "yesno"]

REASON_LABELS = {
    "customer_request": "Asked for a person",
    "sensitive_topic": "Sensitive topic",
    "repeated_failure": "Repeated failure",
    "complaint": "Complaint",
    "abuse": "Abuse",
    "declined_alternatives": "Declined alternatives",
    "assistant_unavailable": "Assistant unavailable",
}


@dataclass(frozen=True)
class Column:
    path: str  # dotted, into one row
    label: str
    format: Format = "count"


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    caption: str
    source: Source
    rows: str  # dotted path of the rows in the response: a list, or a mapping (its key: `key`)
    columns: tuple[Column, ...]
    empty: str = "Nothing in this period."


@dataclass(frozen=True)
class Tile:
    path: str  # dotted, to the number shown
    label: str
    format: Format
    detail: Literal["of", "p90", "measured", ""] = ""  # a line under it, from the same object


def _time(path: str, what: str) -> tuple[Column, Column]:
    return Column(f"{path}.median", f"{what}, median", "seconds"), Column(
        f"{path}.p90", f"{what}, p90", "seconds"
    )


PERIOD = (Column("start", "From", "day"), Column("end", "To", "day"))

SERIES = Table(
    "series",
    "Over time",
    "The period's figures per day or week: the data of the charts above.",
    "kpis",
    "series",
    (
        *PERIOD,
        Column("conversations.count", "Conversations"),
        Column("containment.count", "Contained"),
        Column("containment.rate", "Containment", "rate"),
        Column("escalation.rate", "Escalation rate", "rate"),
        Column("abandoned.rate", "Abandoned", "rate"),
        Column("fcr.rate", "First-contact resolution", "rate"),
        Column("csat.assistant.rate", "CSAT, assistant", "rate"),
        Column("csat.agents.rate", "CSAT, agents", "rate"),
        *_time("time_to_person", "Time to a person"),
        *_time("agent_first_response", "Agent first response"),
        Column("sla.rate", "SLA compliance", "rate"),
    ),
)
REASONS_TABLE = Table(
    "reasons",
    "Escalations by reason",
    "Conversations handed to a person per day or week, by the reason they were handed over.",
    "kpis",
    "series",
    (
        *PERIOD,
        Column("escalation.count", "Escalated"),
        *(Column(f"escalation.by_reason.{r}", REASON_LABELS.get(r, r)) for r in REASONS),
    ),
)
SLA_TABLE = Table(
    "sla",
    "Service levels",
    "First responses within target per priority (tickets: the first reply), over the period.",
    "kpis",
    "sla.by_priority",
    (
        Column("key", "Priority", "text"),
        Column("target_seconds", "Target", "seconds"),
        Column("rate", "Within target", "rate"),
        Column("count", "Met"),
        Column("of", "Measured"),
    ),
)
AGENTS_TABLE = Table(
    "agents",
    "Agents",
    "Every staff member who took part in the period's conversations, most handled first.",
    "kpis",
    "agents",
    (
        Column("name", "Agent", "text"),
        Column("handled", "Handled"),
        Column("resolved", "Resolved"),
        *_time("first_response", "First response"),
        *_time("resolution_time", "Resolution time"),
        Column("csat.rate", "CSAT", "rate"),
        Column("csat.of", "Ratings"),
    ),
)
TOPICS_TABLE = Table(
    "topics",
    "Topics",
    "Every topic customers asked about in the period, most conversations first.",
    "kpis",
    "topics",
    (
        Column("topic", "Topic", "text"),
        Column("conversations", "Conversations"),
        Column("containment.rate", "Containment", "rate"),
        Column("escalation.rate", "Escalation rate", "rate"),
        Column("csat.rate", "CSAT", "rate"),
        Column("csat.of", "Ratings"),
    ),
)
ARTICLES_TABLE = Table(
    "articles",
    "Article helpfulness",
    'Every article the assistant answered with, most answers first, and the answers to "Did that help?".',
    "kpis",
    "articles",
    (
        Column("article_id", "Article", "text"),
        Column("topic", "Topic", "text"),
        Column("answers", "Answers"),
        Column("helpful", "Helpful"),
        Column("not_helpful", "Not helpful"),
        Column("rate", "Helpful rate", "rate"),
    ),
)
FLOOR_AGENTS = Table(
    "floor-agents",
    "Agents now",
    "Agents online or holding a conversation, and how many conversations each holds.",
    "floor",
    "agents",
    (
        Column("name", "Agent", "text"),
        Column("online", "Online", "yesno"),
        Column("conversations", "Conversations"),
    ),
    empty="No agent is online.",
)
FLOOR_QUEUE = Table(
    "floor-queue",
    "Waiting for a person",
    "Conversations waiting for an agent's first reply, longest wait first.",
    "floor",
    "queue",
    (
        Column("conversation_id", "Conversation", "text"),
        Column("priority", "Priority", "text"),
        Column("reason", "Reason", "text"),
        Column("status", "Status", "text"),
        Column("waiting_seconds", "Waiting", "seconds"),
        Column("target_seconds", "Target", "seconds"),
        Column("at_risk", "SLA at risk", "yesno"),
        Column("breached", "Past target", "yesno"),
    ),
    empty="No one is waiting.",
)

TABLES = {
    t.id: t
    for t in (
        SERIES,
        REASONS_TABLE,
        SLA_TABLE,
        AGENTS_TABLE,
        TOPICS_TABLE,
        ARTICLES_TABLE,
        FLOOR_AGENTS,
        FLOOR_QUEUE,
    )
}

PERIOD_TILES = (
    Tile("conversations.count", "Conversations", "count"),
    Tile("containment.rate", "Containment", "rate", "of"),
    Tile("escalation.rate", "Escalation rate", "rate", "of"),
    Tile("abandoned.rate", "Abandoned", "rate", "of"),
    Tile("fcr.rate", "First-contact resolution", "rate", "of"),
    Tile("csat.assistant.rate", "CSAT, assistant", "rate", "of"),
    Tile("csat.agents.rate", "CSAT, agents", "rate", "of"),
    Tile("time_to_person.median", "Time to a person (median)", "seconds", "p90"),
    Tile("agent_first_response.median", "Agent first response (median)", "seconds", "measured"),
    Tile("agent_first_response.p90", "Agent first response (p90)", "seconds", "measured"),
    Tile("resolution_time.median", "Resolution time (median)", "seconds", "p90"),
    Tile("sla.rate", "SLA compliance", "rate", "of"),
)
CHARTS = (  # (id, title, what it shows and where its figures are as a table); manager.js draws them
    (
        "volume",
        "Conversations and containment",
        "Bars: conversations started; line: the share the assistant contained. The figures are in the table "
        "“Over time”.",
    ),
    (
        "reasons",
        "Escalations by reason",
        "Stacked bars: conversations handed to a person, by reason. The figures are in the table "
        "“Escalations by reason”.",
    ),
    (
        "csat",
        "Customer satisfaction",
        "The share of 4 and 5 ratings, for the assistant and for the agents. The figures are in the table "
        "“Over time”.",
    ),
    (
        "response",
        "Response times against the SLA",
        "Agents' first response (median and 90th percentile) and the time to a person, with the normal "
        "priority's target. The figures are in the tables “Over time” and “Service levels”.",
    ),
)
FLOOR_TILES = (
    Tile("waiting.count", "Waiting now", "count"),
    Tile("waiting.longest_wait_seconds", "Longest wait", "seconds"),
    Tile("agents_online", "Agents online", "count"),
    Tile("sla_at_risk.count", "SLA at risk", "count"),
    Tile("tickets.open", "Open tickets", "count"),
)


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path, None where the path leads nowhere."""
    for part in path.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def table_rows(table: Table, data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rows = value_at(data, table.rows)
    if isinstance(rows, Mapping):
        return [{"key": key, **(value if isinstance(value, Mapping) else {})} for key, value in rows.items()]
    return [r for r in rows or [] if isinstance(r, Mapping)]


def _cell(value: Any) -> Cell:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def table_csv(table: Table, data: Mapping[str, Any]) -> str:
    """The table as CSV: its column labels, then each row's raw API values (rates 0-1, seconds)."""
    header = [c.label + {"rate": " (0-1)", "seconds": " (s)"}.get(c.format, "") for c in table.columns]
    rows = ([_cell(value_at(row, c.path)) for c in table.columns] for row in table_rows(table, data))
    return csv_text(header, rows)
