-- onboarding, version 2, sqlite: outstanding SMS codes (sms.CodeStore), only
-- their keyed hashes.

CREATE TABLE usher_onboarding_sms_codes (
    code_key      TEXT    NOT NULL PRIMARY KEY,
    hash          BLOB    NOT NULL,
    phone         TEXT    NOT NULL,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    attempts_left INTEGER NOT NULL
);
