-- Settings an admin changes on the admin page, as JSON by name, so that
-- every server process sharing the database uses the same.
CREATE TABLE usher_server_settings (
	name       TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_by TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);
