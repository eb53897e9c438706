-- Usher core schema, version 1, PostgreSQL: the realms (user pools) that
-- the components' tables of this database serve. Times are Unix
-- nanoseconds.

CREATE TABLE usher_core_realms (
	realm      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	created_at BIGINT NOT NULL
);
