-- userstore/scim/push, version 1, SQLite: each follower's position in the
-- user store's change feed, saved once the downstream acknowledged it.

CREATE TABLE usher_scim_cursors (
    name       TEXT    NOT NULL PRIMARY KEY,
    seq        INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
