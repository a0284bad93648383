-- The desk's first schema (conversations, messages, handoffs, agents and their sessions).
-- Written with IF NOT EXISTS: desks created before migrations existed already hold it.
-- Each table comes after those it references (PostgreSQL checks a reference when declared).
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'bot',
    metadata TEXT NOT NULL DEFAULT '{}',
    customer_name TEXT,
    customer_email TEXT,
    handoff_id TEXT,
    bot_paused INTEGER NOT NULL DEFAULT 0,
    customer_seen_id INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role TEXT NOT NULL,
    author TEXT,
    text TEXT NOT NULL,
    buttons TEXT NOT NULL DEFAULT '[]',
    links TEXT NOT NULL DEFAULT '[]',
    payload TEXT,
    client_id TEXT,
    at TEXT NOT NULL,
    UNIQUE (conversation_id, client_id)
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id, id);
CREATE TABLE IF NOT EXISTS agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS handoffs (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    reason TEXT NOT NULL,
    priority TEXT NOT NULL,
    summary TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    agent_id INTEGER REFERENCES agents(id),
    claimed_at TEXT,
    first_reply_at TEXT,
    closed_at TEXT,
    outcome TEXT,
    response TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS handoffs_by_status ON handoffs (status, created_at);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id INTEGER NOT NULL REFERENCES agents(id),
    expires_at TEXT NOT NULL
);
