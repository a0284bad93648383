-- Past examples (kb_service/examples.py): a customer's phrasing, the article that answered it,
-- its vector. On SQLite they have their own file (KB_DATA_DIR/examples.sqlite3, whose table
-- predates these migrations: hence IF NOT EXISTS); on PostgreSQL they share the articles'
-- database. Every database of the knowledge service runs every migration.
CREATE TABLE IF NOT EXISTS examples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    text TEXT NOT NULL,
    text_key TEXT NOT NULL,
    article_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (text_key, article_id)
);
CREATE INDEX IF NOT EXISTS examples_source ON examples (source, status);
