-- claims, version 1, PostgreSQL: the pending OpenID Connect sign-ins, keyed
-- by the SHA-256 of their state parameter, each taken once (the row is
-- deleted when read) or dropped once expired.

CREATE TABLE usher_claims_states (
    state_hash TEXT   NOT NULL PRIMARY KEY,
    data       TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX usher_claims_states_expires ON usher_claims_states (expires_at);
