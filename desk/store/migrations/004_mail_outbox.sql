-- Emails to customers (an agent's reply to a ticket), each written here in the transaction that
-- stores the reply, before anything is sent (desk/store/mail.py): a worker delivers it with
-- backoff and marks it sent; one the mail server refuses stays `rejected` for an operator.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    message_id INTEGER UNIQUE REFERENCES messages(id),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    raw TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    CHECK (status != 'sent' OR sent_at IS NOT NULL)
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
