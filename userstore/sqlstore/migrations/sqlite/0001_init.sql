-- Usher userstore schema, version 1, SQLite.
-- Every row carries its realm (user pool); times are Unix nanoseconds (UTC),
-- 0 for none. Statements are separated by a semicolon at the end of a line.

CREATE TABLE usher_realms (
	realm TEXT NOT NULL PRIMARY KEY,
	seq   INTEGER NOT NULL DEFAULT 0 -- the last change-feed Seq of the realm
);

CREATE TABLE usher_users (
	realm                TEXT NOT NULL,
	id                   TEXT NOT NULL,
	username             TEXT NOT NULL,
	username_norm        TEXT NOT NULL,
	email                TEXT NOT NULL DEFAULT '',
	email_norm           TEXT NOT NULL DEFAULT '',
	email_verified       BOOLEAN NOT NULL DEFAULT FALSE,
	phone                TEXT NOT NULL DEFAULT '',
	display_name         TEXT NOT NULL DEFAULT '',
	given_name           TEXT NOT NULL DEFAULT '',
	family_name          TEXT NOT NULL DEFAULT '',
	enabled              BOOLEAN NOT NULL DEFAULT FALSE,
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	password_hash        TEXT NOT NULL DEFAULT '',
	failed_logins        INTEGER NOT NULL DEFAULT 0,
	locked_until         INTEGER NOT NULL DEFAULT 0,
	attributes           TEXT NOT NULL DEFAULT 'null', -- JSON object or null
	source               TEXT NOT NULL DEFAULT '',
	external_id          TEXT NOT NULL DEFAULT '',
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL,
	version              INTEGER NOT NULL,
	PRIMARY KEY (realm, id)
);

CREATE UNIQUE INDEX usher_users_username ON usher_users (realm, username_norm);

CREATE UNIQUE INDEX usher_users_external ON usher_users (realm, source, external_id) WHERE external_id <> '';

CREATE INDEX usher_users_email ON usher_users (realm, email_norm) WHERE email_norm <> '';

CREATE TABLE usher_groups (
	realm       TEXT NOT NULL,
	name_norm   TEXT NOT NULL,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	metadata    TEXT NOT NULL DEFAULT 'null',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	version     INTEGER NOT NULL,
	PRIMARY KEY (realm, name_norm)
);

CREATE INDEX usher_groups_name ON usher_groups (realm, name);

CREATE TABLE usher_members (
	realm      TEXT NOT NULL,
	group_norm TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	PRIMARY KEY (realm, group_norm, user_id),
	FOREIGN KEY (realm, group_norm) REFERENCES usher_groups (realm, name_norm) ON DELETE CASCADE,
	FOREIGN KEY (realm, user_id) REFERENCES usher_users (realm, id) ON DELETE CASCADE
);

CREATE INDEX usher_members_user ON usher_members (realm, user_id);

CREATE TABLE usher_tokens (
	realm      TEXT NOT NULL,
	kind       TEXT NOT NULL,
	hash       TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	data       BLOB,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (realm, kind, hash),
	FOREIGN KEY (realm, user_id) REFERENCES usher_users (realm, id) ON DELETE CASCADE
);

CREATE INDEX usher_tokens_user ON usher_tokens (realm, user_id, kind);

CREATE TABLE usher_changes (
	realm      TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	user_id    TEXT NOT NULL DEFAULT '',
	group_name TEXT NOT NULL DEFAULT '',
	at         INTEGER NOT NULL,
	PRIMARY KEY (realm, seq)
);

CREATE TABLE usher_audit (
	n       INTEGER PRIMARY KEY, -- insertion order, breaks ties of at
	realm   TEXT NOT NULL,
	id      TEXT NOT NULL,
	at      INTEGER NOT NULL,
	kind    TEXT NOT NULL,
	user_id TEXT NOT NULL DEFAULT '',
	login   TEXT NOT NULL DEFAULT '',
	remote  TEXT NOT NULL DEFAULT '',
	reason  TEXT NOT NULL DEFAULT '',
	detail  TEXT NOT NULL DEFAULT 'null'
);

CREATE INDEX usher_audit_time ON usher_audit (realm, at, n);

CREATE INDEX usher_audit_user ON usher_audit (realm, user_id, at, n);
