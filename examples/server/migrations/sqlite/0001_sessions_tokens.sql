-- Admin sessions: only the SHA-256 of the cookie's secret is stored.
CREATE TABLE usher_server_sessions (
	id_hash    TEXT PRIMARY KEY,
	admin_id   TEXT NOT NULL,
	username   TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX usher_server_sessions_expiry ON usher_server_sessions (expires_at);

-- API access tokens: shown once, stored as SHA-256 only.
CREATE TABLE usher_server_tokens (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	hash         TEXT NOT NULL UNIQUE,
	scopes       TEXT NOT NULL,
	created_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL DEFAULT 0,
	revoked_at   INTEGER NOT NULL DEFAULT 0,
	last_used_at INTEGER NOT NULL DEFAULT 0
);
