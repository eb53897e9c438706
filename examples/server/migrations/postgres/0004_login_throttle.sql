-- Wrong admin passwords per (account, client address), so that an
-- address that guesses is held back without locking the account for
-- everyone else. The key is a SHA-256 of the normalized username and the
-- address (an IPv6 address by its /64).
CREATE TABLE usher_server_login_failures (
	key           TEXT PRIMARY KEY,
	failures      BIGINT NOT NULL,
	window_start  BIGINT NOT NULL,
	blocked_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX usher_server_login_failures_window ON usher_server_login_failures (window_start);
