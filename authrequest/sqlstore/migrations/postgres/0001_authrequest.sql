-- authrequest, version 1, postgres: requests, profiles, approvers, pre-approval
-- policies and pre-approvals, authentication activity and third parties'
-- tokens. Times are nanoseconds since 1970 (UTC), durations nanoseconds;
-- "data" columns hold the rest of a record as JSON. Callback deliveries
-- are River jobs (the "river" component).

CREATE TABLE usher_authrequest_requests (
    id             TEXT   NOT NULL PRIMARY KEY,
    application_id TEXT   NOT NULL,
    user_id        TEXT   NOT NULL,
    approver_id    TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    data           TEXT   NOT NULL
);

CREATE INDEX usher_authrequest_requests_user ON usher_authrequest_requests (user_id, status, created_at);

CREATE INDEX usher_authrequest_requests_approver ON usher_authrequest_requests (approver_id, status, created_at);

CREATE INDEX usher_authrequest_requests_app ON usher_authrequest_requests (application_id, created_at);

CREATE INDEX usher_authrequest_requests_expiry ON usher_authrequest_requests (status, expires_at);

CREATE TABLE usher_authrequest_profiles (
    id             TEXT   NOT NULL PRIMARY KEY,
    application_id TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    name_key       TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    data           TEXT   NOT NULL,
    UNIQUE (application_id, name_key)
);

CREATE TABLE usher_authrequest_approvers (
    application_id TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    approver_id    TEXT NOT NULL,
    PRIMARY KEY (application_id, user_id)
);

CREATE TABLE usher_authrequest_policies (
    id             TEXT   NOT NULL PRIMARY KEY,
    application_id TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    name_key       TEXT   NOT NULL,
    max_period     BIGINT NOT NULL,
    ask_validity   BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (application_id, name_key)
);

CREATE TABLE usher_authrequest_pre_approvals (
    id             TEXT   NOT NULL PRIMARY KEY,
    policy_id      TEXT   NOT NULL,
    application_id TEXT   NOT NULL,
    user_id        TEXT   NOT NULL,
    approver_id    TEXT   NOT NULL,
    period         BIGINT NOT NULL,
    state          TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    ask_expires_at BIGINT NOT NULL,
    active_until   BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE INDEX usher_authrequest_pre_approvals_user ON usher_authrequest_pre_approvals (application_id, user_id, state);

CREATE INDEX usher_authrequest_pre_approvals_policy ON usher_authrequest_pre_approvals (policy_id);

CREATE TABLE usher_authrequest_activity (
    application_id TEXT   NOT NULL,
    user_id        TEXT   NOT NULL,
    last_at        BIGINT NOT NULL,
    PRIMARY KEY (application_id, user_id)
);

CREATE INDEX usher_authrequest_activity_user ON usher_authrequest_activity (user_id, last_at);

CREATE INDEX usher_authrequest_activity_time ON usher_authrequest_activity (last_at);

CREATE TABLE usher_authrequest_tokens (
    id              TEXT   NOT NULL PRIMARY KEY,
    name            TEXT   NOT NULL,
    hash            TEXT   NOT NULL UNIQUE,
    application_ids TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);
