-- userstore/scim/push, version 1, PostgreSQL: each follower's position in the
-- user store's change feed, saved once the downstream acknowledged it.

CREATE TABLE usher_scim_cursors (
    name       TEXT   NOT NULL PRIMARY KEY,
    seq        BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
