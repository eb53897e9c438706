-- Usher userstore schema, version 3, SQLite: the change feed's position
-- column is named pos, as on PostgreSQL, whose feed no longer uses a
-- counter. SQLite has one writer at a time and keeps its counter per realm
-- (usher_user_feed.seq): positions stay 1, 2, 3... in commit order.

ALTER TABLE usher_changes RENAME COLUMN seq TO pos;
