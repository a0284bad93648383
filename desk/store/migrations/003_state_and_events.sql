-- Conversation modes and handoff statuses become checked vocabularies (desk/state.py), and
-- every conversation gets an append-only event log (desk/events.py). SQLite adds a CHECK only
-- by rebuilding a table: each is copied into a checked twin, dropped and replaced.
CREATE TABLE conversations_checked (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'bot' CHECK (mode IN ('bot', 'queued', 'agent', 'ticket', 'resolved')),
    metadata TEXT NOT NULL DEFAULT '{}',
    customer_name TEXT,
    customer_email TEXT,
    handoff_id TEXT,
    bot_paused INTEGER NOT NULL DEFAULT 0 CHECK (bot_paused IN (0, 1)),
    customer_seen_id INTEGER NOT NULL DEFAULT 0
);
INSERT INTO conversations_checked SELECT id, created_at, updated_at, mode, metadata, customer_name,
    customer_email, handoff_id, bot_paused, customer_seen_id FROM conversations;
-- sqlkit: sqlite only
DROP TABLE conversations;
-- PostgreSQL drops a table others reference only with their references (CASCADE): messages gets
-- its own back below; the old handoffs table, rebuilt next, goes anyway.
-- sqlkit: postgresql only
DROP TABLE conversations CASCADE;
ALTER TABLE conversations_checked RENAME TO conversations;
-- sqlkit: postgresql only
ALTER TABLE messages ADD FOREIGN KEY (conversation_id) REFERENCES conversations(id);
CREATE INDEX conversations_by_mode ON conversations (mode, updated_at);

CREATE TABLE handoffs_checked (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    reason TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('high', 'normal', 'low')),
    summary TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'assigned', 'ticket', 'resolved', 'handed_back')),
    created_at TEXT NOT NULL,
    agent_id INTEGER REFERENCES staff(id),
    claimed_at TEXT,
    first_reply_at TEXT,
    closed_at TEXT,
    outcome TEXT,
    response TEXT NOT NULL DEFAULT '{}',
    CHECK (status != 'assigned' OR (agent_id IS NOT NULL AND closed_at IS NULL)),
    CHECK (status IN ('queued', 'assigned', 'ticket') OR closed_at IS NOT NULL)
);
INSERT INTO handoffs_checked SELECT id, conversation_id, reason, priority, summary, request, status,
    created_at, agent_id, claimed_at, first_reply_at, closed_at, outcome, response FROM handoffs;
DROP TABLE handoffs;
ALTER TABLE handoffs_checked RENAME TO handoffs;
CREATE INDEX handoffs_by_status ON handoffs (status, created_at);
CREATE INDEX handoffs_by_conversation ON handoffs (conversation_id);
-- At most one open handoff per conversation: a late request attaches to the open one.
CREATE UNIQUE INDEX one_open_handoff_per_conversation ON handoffs (conversation_id)
    WHERE status IN ('queued', 'assigned', 'ticket');

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    type TEXT NOT NULL CHECK (type IN ('conversation_started', 'customer_message', 'assistant_answer', 'assistant_clarify', 'assistant_none', 'feedback', 'handoff_requested', 'queued', 'ticket_created', 'agent_joined', 'agent_message', 'internal_note', 'resolved', 'handed_back', 'reopened', 'contact_given', 'abandoned', 'csat_given')),
    at TEXT NOT NULL,
    actor TEXT NOT NULL CHECK (actor IN ('customer', 'assistant', 'system') OR actor LIKE 'agent:%'),
    payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_conversation ON events (conversation_id, id);
CREATE INDEX events_by_time ON events (at, id);
CREATE INDEX events_by_type ON events (type, at);
-- sqlkit: sqlite only
CREATE TRIGGER events_are_never_changed BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- sqlkit: sqlite only
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- The same on PostgreSQL, failing as a constraint does (SQLite's RAISE(ABORT) is one too).
-- "OR REPLACE" also keeps the migration splitter (SQLite's own) from waiting for an END.
-- sqlkit: postgresql only
CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS
    'BEGIN RAISE EXCEPTION ''events are append-only'' USING ERRCODE = ''integrity_constraint_violation''; END';
-- sqlkit: postgresql only
CREATE OR REPLACE TRIGGER events_are_never_changed BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
-- sqlkit: postgresql only
CREATE OR REPLACE TRIGGER events_are_never_deleted BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
