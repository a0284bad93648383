-- Development only (desk/simulated_time.py): each simulated conversation's (or grant's) clock
-- offset from the real time, kept here so that every replica of the desk applies the same one.
CREATE TABLE IF NOT EXISTS simulated_clocks (
    key TEXT PRIMARY KEY,
    delta_seconds REAL NOT NULL
);
