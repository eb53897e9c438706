-- onboarding, version 1, sqlite: applications, onboardings (activities) and
-- enrolled devices. Times are nanoseconds since 1970 (UTC).

CREATE TABLE usher_onboarding_applications (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL UNIQUE,
    description  TEXT    NOT NULL,
    layout       TEXT    NOT NULL,
    requirements TEXT    NOT NULL,
    user_realm   TEXT    NOT NULL,
    device_limit INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE usher_onboarding_activities (
    id              TEXT    NOT NULL PRIMARY KEY,
    application_id  TEXT    NOT NULL,
    public_key      BLOB    NOT NULL,
    key_fingerprint TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    login           TEXT    NOT NULL,
    step            INTEGER NOT NULL,
    nonce           TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    steps           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE INDEX usher_onboarding_activities_app ON usher_onboarding_activities (application_id, id);

CREATE TABLE usher_onboarding_devices (
    id             TEXT    NOT NULL PRIMARY KEY,
    application_id TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    public_key     BLOB    NOT NULL,
    cert_serial    TEXT    NOT NULL,
    activity_id    TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE INDEX usher_onboarding_devices_user ON usher_onboarding_devices (user_id, application_id);

-- Revoked device certificates, for issuer.LocalCA's CRL (issuer.RevocationStore).
CREATE TABLE usher_onboarding_revocations (
    serial     TEXT    NOT NULL PRIMARY KEY,
    revoked_at INTEGER NOT NULL
);
