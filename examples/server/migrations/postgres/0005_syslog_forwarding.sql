-- Syslog forwarding: for each receiver (-syslog, as network://host:port),
-- the audit trail's position (usher_audit.n) of the last event sent, and
-- the lease of the one server process that forwards: holder (random per
-- start) until lease_until (Unix ms), renewed while it forwards, taken
-- over by another process once it has expired.
CREATE TABLE usher_server_syslog (
	target      TEXT PRIMARY KEY,
	position    BIGINT NOT NULL,
	holder      TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	updated_at  BIGINT NOT NULL
);
