-- Satisfaction ratings (desk/csat.py): one request per resolution (the `resolved` event it
-- follows), answered once with a score and an optional comment (masked) or dismissed. The
-- score also lands in the event log as `csat_given`; the comment only here, for managers.
CREATE TABLE csat (
    resolution_id INTEGER PRIMARY KEY REFERENCES events(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    of TEXT NOT NULL CHECK (of IN ('assistant', 'agent')),
    agent_id INTEGER REFERENCES staff(id),
    requested_at TEXT NOT NULL,
    score INTEGER CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    answered_at TEXT,
    dismissed_at TEXT,
    CHECK ((score IS NULL) = (answered_at IS NULL)),
    CHECK (score IS NULL OR dismissed_at IS NULL)
);
CREATE INDEX csat_by_conversation ON csat (conversation_id, resolution_id);
CREATE INDEX csat_by_answer ON csat (answered_at);
-- The KPIs read the conversations that started in a range.
CREATE INDEX conversations_by_start ON conversations (created_at);
