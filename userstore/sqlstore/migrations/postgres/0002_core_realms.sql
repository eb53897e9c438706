-- Usher userstore schema, version 2, PostgreSQL: realms move to the shared
-- core schema (usher_core_realms, made by the database package's own
-- version 1); what stays here is each realm's change-feed counter.

ALTER TABLE usher_realms RENAME TO usher_user_feed;

ALTER INDEX usher_realms_pkey RENAME TO usher_user_feed_pkey;

INSERT INTO usher_core_realms (realm, created_at) SELECT realm, 0 FROM usher_user_feed ON CONFLICT DO NOTHING;
