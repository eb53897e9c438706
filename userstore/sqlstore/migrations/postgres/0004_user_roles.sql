-- Usher userstore schema, version 4, PostgreSQL: users' roles (User.Roles),
-- a JSON array of strings, sorted and without duplicates, or null for none.
-- The DEFAULT lets inserts that do not name the column store no roles.

ALTER TABLE usher_users ADD COLUMN roles TEXT NOT NULL DEFAULT 'null';
