-- Usher userstore schema, version 2, SQLite: realms move to the shared core
-- schema (usher_core_realms, made by the database package's own version 1);
-- what stays here is each realm's change-feed counter.

ALTER TABLE usher_realms RENAME TO usher_user_feed;

INSERT INTO usher_core_realms (realm, created_at) SELECT realm, 0 FROM usher_user_feed WHERE true ON CONFLICT DO NOTHING;
