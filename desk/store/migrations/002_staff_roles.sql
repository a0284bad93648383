-- Agents become staff with roles (a person may hold several) and can be disabled. Every
-- existing account keeps signing in as an agent. Renaming the table updates the references
-- of handoffs and sessions to it.
ALTER TABLE agents RENAME TO staff;
ALTER TABLE staff ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
CREATE TABLE staff_roles (
    staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('agent', 'editor', 'manager', 'admin')),
    PRIMARY KEY (staff_id, role)
);
INSERT INTO staff_roles (staff_id, role) SELECT id, 'agent' FROM staff;
ALTER TABLE sessions RENAME COLUMN agent_id TO staff_id;
CREATE INDEX sessions_by_staff ON sessions (staff_id);
