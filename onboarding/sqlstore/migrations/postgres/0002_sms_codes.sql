-- onboarding, version 2, postgres: outstanding SMS codes (sms.CodeStore), only
-- their keyed hashes.

CREATE TABLE usher_onboarding_sms_codes (
    code_key      TEXT    NOT NULL PRIMARY KEY,
    hash          BYTEA    NOT NULL,
    phone         TEXT    NOT NULL,
    issued_at     BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    attempts_left BIGINT NOT NULL
);
