-- Usher userstore schema, version 1, PostgreSQL. Text keys use the "C"
-- collation so that ORDER BY and keyset comparisons are byte order.
-- Every row carries its realm (user pool); times are Unix nanoseconds (UTC),
-- 0 for none. Statements are separated by a semicolon at the end of a line.

CREATE TABLE usher_realms (
	realm TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	seq   BIGINT NOT NULL DEFAULT 0 -- the last change-feed Seq of the realm
);

CREATE TABLE usher_users (
	realm                TEXT COLLATE "C" NOT NULL,
	id                   TEXT COLLATE "C" NOT NULL,
	username             TEXT NOT NULL,
	username_norm        TEXT COLLATE "C" NOT NULL,
	email                TEXT NOT NULL DEFAULT '',
	email_norm           TEXT COLLATE "C" NOT NULL DEFAULT '',
	email_verified       BOOLEAN NOT NULL DEFAULT FALSE,
	phone                TEXT NOT NULL DEFAULT '',
	display_name         TEXT NOT NULL DEFAULT '',
	given_name           TEXT NOT NULL DEFAULT '',
	family_name          TEXT NOT NULL DEFAULT '',
	enabled              BOOLEAN NOT NULL DEFAULT FALSE,
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	password_hash        TEXT NOT NULL DEFAULT '',
	failed_logins        BIGINT NOT NULL DEFAULT 0,
	locked_until         BIGINT NOT NULL DEFAULT 0,
	attributes           TEXT NOT NULL DEFAULT 'null', -- JSON object or null
	source               TEXT COLLATE "C" NOT NULL DEFAULT '',
	external_id          TEXT COLLATE "C" NOT NULL DEFAULT '',
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL,
	version              BIGINT NOT NULL,
	PRIMARY KEY (realm, id)
);

CREATE UNIQUE INDEX usher_users_username ON usher_users (realm, username_norm);

CREATE UNIQUE INDEX usher_users_external ON usher_users (realm, source, external_id) WHERE external_id <> '';

CREATE INDEX usher_users_email ON usher_users (realm, email_norm) WHERE email_norm <> '';

CREATE TABLE usher_groups (
	realm       TEXT COLLATE "C" NOT NULL,
	name_norm   TEXT COLLATE "C" NOT NULL,
	name        TEXT COLLATE "C" NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	metadata    TEXT NOT NULL DEFAULT 'null',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	version     BIGINT NOT NULL,
	PRIMARY KEY (realm, name_norm)
);

CREATE INDEX usher_groups_name ON usher_groups (realm, name);

CREATE TABLE usher_members (
	realm      TEXT COLLATE "C" NOT NULL,
	group_norm TEXT COLLATE "C" NOT NULL,
	user_id    TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (realm, group_norm, user_id),
	FOREIGN KEY (realm, group_norm) REFERENCES usher_groups (realm, name_norm) ON DELETE CASCADE,
	FOREIGN KEY (realm, user_id) REFERENCES usher_users (realm, id) ON DELETE CASCADE
);

CREATE INDEX usher_members_user ON usher_members (realm, user_id);

CREATE TABLE usher_tokens (
	realm      TEXT COLLATE "C" NOT NULL,
	kind       TEXT COLLATE "C" NOT NULL,
	hash       TEXT COLLATE "C" NOT NULL,
	user_id    TEXT COLLATE "C" NOT NULL,
	data       BYTEA,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (realm, kind, hash),
	FOREIGN KEY (realm, user_id) REFERENCES usher_users (realm, id) ON DELETE CASCADE
);

CREATE INDEX usher_tokens_user ON usher_tokens (realm, user_id, kind);

CREATE TABLE usher_changes (
	realm      TEXT COLLATE "C" NOT NULL,
	seq        BIGINT NOT NULL,
	kind       TEXT COLLATE "C" NOT NULL,
	user_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
	group_name TEXT NOT NULL DEFAULT '',
	at         BIGINT NOT NULL,
	PRIMARY KEY (realm, seq)
);

CREATE TABLE usher_audit (
	n       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- insertion order, breaks ties of at
	realm   TEXT COLLATE "C" NOT NULL,
	id      TEXT COLLATE "C" NOT NULL,
	at      BIGINT NOT NULL,
	kind    TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	login   TEXT NOT NULL DEFAULT '',
	remote  TEXT NOT NULL DEFAULT '',
	reason  TEXT NOT NULL DEFAULT '',
	detail  TEXT NOT NULL DEFAULT 'null'
);

CREATE INDEX usher_audit_time ON usher_audit (realm, at, n);

CREATE INDEX usher_audit_user ON usher_audit (realm, user_id, at, n);
