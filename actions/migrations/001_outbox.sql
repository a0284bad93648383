-- The handoff outbox (IF NOT EXISTS: outboxes made before migrations already hold it).
CREATE TABLE IF NOT EXISTS outbox (
    handoff_id TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
