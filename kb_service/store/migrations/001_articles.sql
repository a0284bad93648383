-- Articles and every version of each. `articles` holds the state (status, which version readers
-- see, the file bookkeeping of import and export); `versions` is append-only.
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    deleted INTEGER NOT NULL DEFAULT 0,
    latest_version INTEGER NOT NULL,
    published_version INTEGER,
    -- content hash of the file last imported or exported: the common version of file and store
    file_hash TEXT,
    -- content hash of a file imported as a conflicting draft (not imported again)
    conflict_hash TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by_id TEXT NOT NULL,
    updated_by_name TEXT NOT NULL
);
CREATE TABLE versions (
    article_id TEXT NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    editor_id TEXT NOT NULL,
    editor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (article_id, version)
);
