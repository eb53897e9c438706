-- Usher userstore schema, version 3, PostgreSQL: the change feed no longer
-- has a counter per realm that every writer locks. An event's position
-- (pos, the public Change.Seq) is derived from the writing transaction's ID:
--
--   pos = seq_base + (pg_current_xact_id() - xid_base) * 2^20 + n
--
-- where n counts the transaction's events from 0, and readers return only
-- events of transactions below their snapshot's xmin (see the package
-- documentation). Events of the released schema keep their Seq, 1 to N,
-- which stay below seq_base.
--
-- The column seq is renamed pos and the realms' counter column is dropped,
-- so that a process of the previous release still running fails to read
-- or write the feed instead of writing or skipping events out of order.

ALTER TABLE usher_changes RENAME COLUMN seq TO pos;

ALTER TABLE usher_user_feed DROP COLUMN seq;

CREATE TABLE usher_user_feed_base (
	one      BOOLEAN NOT NULL DEFAULT TRUE PRIMARY KEY CHECK (one),
	xid_base BIGINT NOT NULL, -- a transaction ID (xid8) below every writer's
	seq_base BIGINT NOT NULL  -- above every pos given out before
);

INSERT INTO usher_user_feed_base (xid_base, seq_base) SELECT pg_current_xact_id()::text::bigint, coalesce(max(pos), 0) + 1 FROM usher_changes;
