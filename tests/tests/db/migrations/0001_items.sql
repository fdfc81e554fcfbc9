-- The tables the database tests write to; valid SQL for SQLite and Postgres alike.
CREATE TABLE items (
    name TEXT NOT NULL
);

CREATE TABLE parents (
    id INTEGER PRIMARY KEY
);

-- Checked at commit, not at the insert: how the tests make a commit fail.
CREATE TABLE children (
    parent INTEGER NOT NULL REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE names (
    name TEXT NOT NULL UNIQUE
);
