"""The soak's verdict, read from what the services stored (the desk's database, the action
server's handoff outbox, Rasa's tracker store: each a SQLite file, or a PostgreSQL URL for a
scaled stack) against what each widget sent and received. Every problem names the ids involved,
so a lost, duplicated or reordered message can be looked up in the logs. Reading the stores is
stores.py."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from desk.bot_sessions import SESSION_START
from desk.conversations import Conversations
from tools.soak.stores import AUDIT, TRACKER_EVENTS, WIDGET_ROLES, rows


@dataclass
class WidgetRecord:
    """What one widget did and saw; `expected` are the client_ids the desk must hold (typed
    messages, and person requests it acknowledged), in the order the widget sent them;
    `arrivals` the ids of the message frames it received, in order (history pages apart)."""

    name: str
    conversation_ids: set[str]
    expected: list[str]
    acks: dict[str, int]
    delivered: Counter[int]
    arrivals: list[int] = field(default_factory=list)
    unacked: list[str] = field(default_factory=list)
    ack_conflicts: list[tuple[str, int, int]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


@dataclass
class Findings:
    figures: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check(
    desk_db: str | Path,
    outbox_db: str | Path,
    widgets: Iterable[WidgetRecord],
    tracker: str | Path | None = None,
) -> Findings:
    """Every check; the assistant's turn order too when Rasa's tracker store is given."""
    widgets = list(widgets)
    found = Findings()
    messages = rows(desk_db, "SELECT id, conversation_id, role, client_id, text, payload, at FROM messages")
    handoffs = rows(desk_db, "SELECT id, conversation_id, request, closed_at FROM handoffs")
    conversations = {c for w in widgets for c in w.conversation_ids}
    check_messages(found, messages, widgets)
    check_answers(found, messages, handoffs, conversations)
    check_handoffs(found, outbox_db, handoffs)
    if tracker is not None:
        check_turns(found, messages, rows(tracker, TRACKER_EVENTS), conversations)
    return found


def check_messages(found: Findings, messages: list[dict[str, object]], widgets: list[WidgetRecord]) -> None:
    """Each message typed is stored once, as its ack said; each stored message reached the
    widget exactly once."""
    stored: dict[tuple[object, object], list[int]] = defaultdict(list)
    by_conversation: dict[object, dict[int, str]] = defaultdict(dict)
    for m in messages:
        stored[m["conversation_id"], m["client_id"]].append(int(str(m["id"])))
        if m["role"] in WIDGET_ROLES:
            by_conversation[m["conversation_id"]][int(str(m["id"]))] = str(m["role"])
    figures: Counter[str] = Counter()
    for w in widgets:
        if len(w.conversation_ids) != 1:
            found.problems.append(f"{w.name}: its conversation changed (token lost): {w.conversation_ids}")
            continue
        conversation = next(iter(w.conversation_ids))
        in_db = by_conversation.get(conversation, {})
        _stored_once(found, w, conversation, stored)
        _delivered_once(found, w, conversation, in_db)
        figures["customer messages out of order"] += _stored_in_order(found, w, conversation, stored)
        figures["frames out of order"] += _arrived_in_order(found, w, conversation, in_db)
        figures["customer messages expected"] += len(w.expected)
        figures["acks"] += len(w.acks)
        figures["messages delivered"] += sum(w.delivered.values())
        figures["duplicate deliveries"] += sum(n - 1 for n in w.delivered.values())
        figures["missing deliveries"] += sum(1 for i in in_db if not w.delivered.get(i))
        figures["lost customer messages"] += sum(1 for c in w.expected if not stored.get((conversation, c)))
    found.figures.update(figures)


def _stored_once(
    found: Findings, w: WidgetRecord, conversation: str, stored: dict[tuple[object, object], list[int]]
) -> None:
    for client_id in w.expected:
        ids = stored.get((conversation, client_id), [])
        if not ids:
            found.problems.append(
                f"LOST: customer message client_id={client_id} of conversation {conversation} "
                f"(acknowledged as id {w.acks.get(client_id)}) is not stored"
            )
        elif len(ids) > 1:
            found.problems.append(f"DUPLICATE: client_id={client_id} stored {len(ids)} times: ids {ids}")
        elif client_id in w.acks and w.acks[client_id] != ids[0]:
            found.problems.append(
                f"{w.name}: {client_id} acknowledged as {w.acks[client_id]}, stored as {ids[0]}"
            )
    for client_id in w.unacked:
        found.problems.append(f"{w.name}: client_id={client_id} ({conversation}) never acknowledged")
    for client_id, first, second in w.ack_conflicts:
        found.problems.append(f"{w.name}: client_id={client_id} acknowledged as {first}, then as {second}")
    for refusal in w.refusals:
        found.problems.append(f"{w.name}: the desk refused a frame: {refusal}")


def _delivered_once(found: Findings, w: WidgetRecord, conversation: str, in_db: dict[int, str]) -> None:
    for message_id, times in sorted(w.delivered.items()):
        if times > 1:
            found.problems.append(f"DUPLICATE: message id {message_id} reached {w.name} {times} times")
        if message_id not in in_db:
            found.problems.append(f"{w.name}: got message id {message_id}, not one of its conversation's")
    for message_id, role in sorted(in_db.items()):
        if not w.delivered.get(message_id):
            found.problems.append(
                f"MISSING: message id {message_id} ({role}) never reached {w.name} ({conversation})"
            )


def _stored_in_order(
    found: Findings, w: WidgetRecord, conversation: str, stored: dict[tuple[object, object], list[int]]
) -> int:
    """ORDER: the customer's messages are stored in the order the widget sent them."""
    before: tuple[str, int] | None = None
    wrong = 0
    for client_id in w.expected:
        ids = stored.get((conversation, client_id))
        if not ids:
            continue  # reported as lost
        if before is not None and ids[0] < before[1]:
            wrong += 1
            found.problems.append(
                f"ORDER: {w.name} ({conversation}) sent client_id={client_id} after {before[0]}, "
                f"but it is stored as id {ids[0]}, before id {before[1]}"
            )
        before = (client_id, ids[0])
    return wrong


def _arrived_in_order(found: Findings, w: WidgetRecord, conversation: str, roles: dict[int, str]) -> int:
    """ORDER: message frames reach the widget in increasing id order (a frame that comes again
    is a duplicate, reported as such; history pages are asked for and come apart)."""
    highest, seen, wrong = 0, set(), 0
    for message_id in w.arrivals:
        if message_id in seen:
            continue
        seen.add(message_id)
        if message_id < highest:
            wrong += 1
            found.problems.append(
                f"ORDER: message id {message_id} ({roles.get(message_id, '?')}) reached {w.name} "
                f"({conversation}) after id {highest} ({roles.get(highest, '?')})"
            )
        highest = max(highest, message_id)
    return wrong


def check_answers(
    found: Findings,
    messages: list[dict[str, object]],
    handoffs: list[dict[str, object]],
    conversations: set[str],
) -> None:
    """Each customer message is followed by a reply of the assistant or an agent, or is covered
    by a handoff of its conversation (open then, or made after it)."""
    last_reply: dict[object, int] = {}
    for m in messages:
        if m["role"] in ("bot", "agent"):
            last_reply[m["conversation_id"]] = max(last_reply.get(m["conversation_id"], 0), int(str(m["id"])))
    closings: dict[object, list[str | None]] = defaultdict(list)
    for h in handoffs:
        closings[h["conversation_id"]].append(
            h["closed_at"] if h["closed_at"] is None else str(h["closed_at"])
        )
    unanswered = customer = 0
    for m in messages:
        if m["role"] != "customer" or m["conversation_id"] not in conversations:
            continue
        customer += 1
        replied = last_reply.get(m["conversation_id"], 0) > int(str(m["id"]))
        handed = any(c is None or c >= str(m["at"]) for c in closings[m["conversation_id"]])
        if not (replied or handed):
            unanswered += 1
            found.problems.append(
                f"UNANSWERED: customer message id {m['id']} of conversation {m['conversation_id']}"
            )
    found.figures["customer messages stored"] = customer
    found.figures["unanswered"] = unanswered


def check_handoffs(found: Findings, outbox_db: str | Path, handoffs: list[dict[str, object]]) -> None:
    """Every handoff the action server accepted is in the desk once: a handoff of its own, or
    attached to the one already open for the conversation."""
    audit = f"SELECT handoff_id FROM {AUDIT}"  # noqa: S608 - our table
    accepted = [str(row["handoff_id"]) for row in rows(outbox_db, audit)]
    left = rows(outbox_db, "SELECT handoff_id, state, attempts, last_error FROM outbox")
    in_desk = {str(h["id"]) for h in handoffs}
    attached: Counter[str] = Counter()
    for h in handoffs:
        for late in json.loads(str(h["request"])).get("attached", []):
            attached[str(late.get("handoff_id"))] += 1
    for handoff_id in accepted:
        times = (handoff_id in in_desk) + attached[handoff_id]
        if times != 1:
            what = "LOST" if times == 0 else f"DUPLICATE ({times} times)"
            found.problems.append(
                f"{what}: handoff {handoff_id} accepted by the action server, in the desk {times}x"
            )
    for row in left:
        found.problems.append(
            f"handoff {row['handoff_id']} left in the action server's outbox ({row['state']} after "
            f"{row['attempts']} attempts: {row['last_error']})"
        )
    found.figures["handoffs from the action server"] = len(accepted)
    found.figures["handoffs attached to an open one"] = sum(1 for h in accepted if attached[h])
    found.figures["handoffs made by the desk"] = len(in_desk - set(accepted))
    found.figures["handoffs in the desk"] = len(in_desk)
    found.figures["handoffs left in the outbox"] = len(left)


@dataclass
class _Exchange:
    """One turn as Rasa's tracker recorded it: what it was asked, what it said back, and the
    desk's customer message that question is (when found)."""

    asked: str | None
    said: list[str] = field(default_factory=list)
    question: int | None = None

    @property
    def text(self) -> str:
        return " ".join(self.said)


def check_turns(
    found: Findings,
    messages: list[dict[str, object]],
    events: list[dict[str, object]],
    conversations: set[str],
) -> None:
    """ORDER, against Rasa's tracker store: within each conversation the assistant was asked
    the customer's messages in the order the desk stored them (a message asked again, after a
    failed attempt, may repeat), and each of its replies is stored after the customer message it
    answers and in the order of the questions. A turn is matched to its stored message by the
    text the desk sends (desk.conversations.Conversations.to_assistant), a reply to its turn by
    its text (whitespace aside); what cannot be matched is counted, not reported."""
    exchanges = _exchanges(events, conversations)
    customers: dict[object, list[tuple[int, str]]] = defaultdict(list)
    replies: dict[object, list[tuple[int, str]]] = defaultdict(list)
    for m in sorted(messages, key=lambda m: int(str(m["id"]))):
        if m["conversation_id"] not in conversations:
            continue
        if m["role"] == "customer":
            payload = None if m["payload"] is None else str(m["payload"])
            said = _plain(Conversations.to_assistant(str(m["text"]), payload))
            customers[m["conversation_id"]].append((int(str(m["id"])), said))
        elif m["role"] == "bot" and _plain(str(m["text"])):
            replies[m["conversation_id"]].append((int(str(m["id"])), _plain(str(m["text"]))))
    figures: Counter[str] = Counter()
    for conversation in sorted(conversations):
        turns = exchanges.get(conversation, [])
        _asked_in_order(found, figures, conversation, turns, customers[conversation])
        _replied_in_order(found, figures, conversation, turns, replies[conversation])
    for name in ("assistant turns", "assistant turns not matched", "assistant turns out of order"):
        found.figures[name] = figures[name]
    for name in ("replies matched", "replies not matched", "replies out of order"):
        found.figures[name] = figures[name]


def _exchanges(events: list[dict[str, object]], conversations: set[str]) -> dict[str, list[_Exchange]]:
    found: dict[str, list[_Exchange]] = defaultdict(list)
    for event in events:
        sender = str(event["sender_id"])
        if sender not in conversations:
            continue
        data = json.loads(str(event["data"]))
        text = data.get("text")
        if event["type_name"] == "user":
            found[sender].append(_Exchange(_plain(text) if isinstance(text, str) else None))
        elif isinstance(text, str) and _plain(text):
            if not found[sender]:
                found[sender].append(_Exchange(None))
            found[sender][-1].said.append(_plain(text))
    return found


def _asked_in_order(
    found: Findings,
    figures: Counter[str],
    conversation: str,
    turns: list[_Exchange],
    customers: list[tuple[int, str]],
) -> None:
    """Each turn's question is the first stored customer message with its text at or after the
    previous turn's (the earliest match: it never skips a message a later turn needs)."""
    at = 0
    for turn in turns:
        if turn.asked is None or turn.asked == SESSION_START or turn.asked.startswith("EXTERNAL: "):
            continue  # a new session, or an intent the desk triggered: not a customer's message
        figures["assistant turns"] += 1
        ahead = next((k for k in range(at, len(customers)) if customers[k][1] == turn.asked), None)
        if ahead is not None:
            at, turn.question = ahead, customers[ahead][0]
            continue
        behind = next((k for k in range(at - 1, -1, -1) if customers[k][1] == turn.asked), None)
        if behind is None:
            figures["assistant turns not matched"] += 1
            continue
        turn.question = customers[behind][0]
        figures["assistant turns out of order"] += 1
        found.problems.append(
            f"ORDER: the assistant was asked customer message id {customers[behind][0]} of conversation "
            f"{conversation} after id {customers[at][0]}, which was stored after it"
        )


def _replied_in_order(
    found: Findings,
    figures: Counter[str],
    conversation: str,
    turns: list[_Exchange],
    replies: list[tuple[int, str]],
) -> None:
    """Each reply stored belongs to the earliest turn at or after the previous reply's whose
    words contain it; it must be stored after that turn's question."""
    at = 0
    for reply_id, text in replies:
        ahead = next((k for k in range(at, len(turns)) if text in turns[k].text), None)
        if ahead is None:
            if any(text in turn.text for turn in turns[:at]):
                figures["replies out of order"] += 1
                found.problems.append(
                    f"ORDER: reply id {reply_id} of conversation {conversation} answers an earlier "
                    f"turn of the assistant than the reply stored before it"
                )
            else:
                figures["replies not matched"] += 1
            continue
        at = ahead
        figures["replies matched"] += 1
        question = turns[ahead].question
        if question is not None and reply_id < question:
            figures["replies out of order"] += 1
            found.problems.append(
                f"ORDER: reply id {reply_id} of conversation {conversation} is stored before "
                f"customer message id {question}, which it answers"
            )


def _plain(text: str) -> str:
    """Text with its whitespace runs made single spaces (the desk joins the paragraphs Rasa's
    REST channel sends apart with blank lines)."""
    return " ".join(text.split())
