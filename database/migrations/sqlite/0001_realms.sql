-- Usher core schema, version 1, SQLite: the realms (user pools) that the
-- components' tables of this database serve. Times are Unix nanoseconds.

CREATE TABLE usher_core_realms (
	realm      TEXT NOT NULL PRIMARY KEY,
	created_at INTEGER NOT NULL
);
