-- Usher userstore schema, version 5, PostgreSQL: groups get a stable ID
-- (Group.ID, 32 lower-case hex digits, made by the column's DEFAULT so that
-- inserts that do not name it get one too; existing groups get one each,
-- as a volatile DEFAULT is evaluated per row), and can be renamed:
-- memberships follow a new name_norm by ON UPDATE CASCADE. Change events
-- carry the group's ID (empty for older events and for inserts that do not
-- name it).

ALTER TABLE usher_groups ADD COLUMN id TEXT COLLATE "C" NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', '');

CREATE UNIQUE INDEX usher_groups_id ON usher_groups (realm, id);

ALTER TABLE usher_members DROP CONSTRAINT usher_members_realm_group_norm_fkey;

ALTER TABLE usher_members ADD CONSTRAINT usher_members_realm_group_norm_fkey FOREIGN KEY (realm, group_norm) REFERENCES usher_groups (realm, name_norm) ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE usher_changes ADD COLUMN group_id TEXT COLLATE "C" NOT NULL DEFAULT '';
