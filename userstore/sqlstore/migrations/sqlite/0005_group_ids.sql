-- Usher userstore schema, version 5, SQLite: groups get a stable ID
-- (Group.ID, 32 lower-case hex digits, made by the column's DEFAULT so that
-- inserts that do not name it get one too), and can be renamed: memberships
-- follow a new name_norm by ON UPDATE CASCADE. Change events carry the
-- group's ID (empty for older events and for inserts that do not name it).
--
-- SQLite can neither add a column with a non-constant DEFAULT nor change a
-- foreign key, so both tables are rebuilt. The migration runs in a
-- transaction with foreign keys on (PRAGMA foreign_keys cannot change
-- there): the memberships are copied into a table that references the new
-- groups table before either old table is dropped, so that dropping the old
-- groups cascades to nothing; renaming the new groups table then rewrites
-- the new memberships' reference (legacy_alter_table is off).

CREATE TABLE usher_groups_v5 (
	realm       TEXT NOT NULL,
	name_norm   TEXT NOT NULL,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	metadata    TEXT NOT NULL DEFAULT 'null',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	version     INTEGER NOT NULL,
	id          TEXT NOT NULL DEFAULT (lower(hex(randomblob(16)))),
	PRIMARY KEY (realm, name_norm)
);

INSERT INTO usher_groups_v5 (realm, name_norm, name, description, metadata, created_at, updated_at, version)
SELECT realm, name_norm, name, description, metadata, created_at, updated_at, version FROM usher_groups;

CREATE TABLE usher_members_v5 (
	realm      TEXT NOT NULL,
	group_norm TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	PRIMARY KEY (realm, group_norm, user_id),
	FOREIGN KEY (realm, group_norm) REFERENCES usher_groups_v5 (realm, name_norm) ON DELETE CASCADE ON UPDATE CASCADE,
	FOREIGN KEY (realm, user_id) REFERENCES usher_users (realm, id) ON DELETE CASCADE
);

INSERT INTO usher_members_v5 (realm, group_norm, user_id) SELECT realm, group_norm, user_id FROM usher_members;

DROP TABLE usher_members;

DROP TABLE usher_groups;

ALTER TABLE usher_groups_v5 RENAME TO usher_groups;

ALTER TABLE usher_members_v5 RENAME TO usher_members;

CREATE INDEX usher_groups_name ON usher_groups (realm, name);

CREATE UNIQUE INDEX usher_groups_id ON usher_groups (realm, id);

CREATE INDEX usher_members_user ON usher_members (realm, user_id);

ALTER TABLE usher_changes ADD COLUMN group_id TEXT NOT NULL DEFAULT '';
