-- Usher userstore schema, version 7, PostgreSQL: memberships are kept
-- consistent with their users and groups by triggers instead of foreign
-- keys, with the same rules and the same error (foreign_key_violation,
-- 23503). A foreign key checks each inserted row with a query of its own,
-- two per membership, which was half of a sync's cost per user on
-- PostgreSQL; the trigger on INSERT checks a whole statement's rows with
-- one query per realm and table.
--
-- Every check locks the user and group it finds FOR KEY SHARE, as a
-- foreign key's does, so a transaction deleting, renaming or re-keying
-- one of them waits for the inserting transaction to end, and an insert
-- that waited for a delete finds nothing and fails. The functions are
-- VOLATILE, so each query sees what concurrent transactions have committed
-- (under READ COMMITTED), and the cascades below delete or rename the
-- memberships committed while they waited.
--
-- The cascades are row triggers, as a foreign key's are: deleting a user
-- or group deletes its memberships, renaming a group (realm, name_norm)
-- renames them, changing a user's key (realm, id) while it has
-- memberships is refused, and so is a TRUNCATE of users or groups that
-- leaves memberships behind.
--
-- The functions find the tables in the schema this migration runs in,
-- whatever the search_path of the session that fires them (an operator's
-- DELETE FROM myschema.usher_users still cascades).

ALTER TABLE usher_members DROP CONSTRAINT usher_members_realm_group_norm_fkey;

ALTER TABLE usher_members DROP CONSTRAINT usher_members_realm_user_id_fkey;

CREATE FUNCTION usher_members_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	r record;
	n bigint;
	missing text;
BEGIN
	FOR r IN SELECT realm, array_agg(DISTINCT group_norm) AS groups, array_agg(DISTINCT user_id) AS users
		FROM usher_new_members GROUP BY realm
	LOOP
		PERFORM 1 FROM usher_groups WHERE realm = r.realm AND name_norm = ANY (r.groups) FOR KEY SHARE;
		GET DIAGNOSTICS n = ROW_COUNT;
		IF n < cardinality(r.groups) THEN
			SELECT g INTO missing FROM unnest(r.groups) g
				WHERE NOT EXISTS (SELECT 1 FROM usher_groups WHERE realm = r.realm AND name_norm = g) LIMIT 1;
			RAISE foreign_key_violation USING TABLE = 'usher_members', CONSTRAINT = 'usher_members_group',
				MESSAGE = format('membership of a group that does not exist: realm %L, group %L', r.realm, missing);
		END IF;
		PERFORM 1 FROM usher_users WHERE realm = r.realm AND id = ANY (r.users) FOR KEY SHARE;
		GET DIAGNOSTICS n = ROW_COUNT;
		IF n < cardinality(r.users) THEN
			SELECT u INTO missing FROM unnest(r.users) u
				WHERE NOT EXISTS (SELECT 1 FROM usher_users WHERE realm = r.realm AND id = u) LIMIT 1;
			RAISE foreign_key_violation USING TABLE = 'usher_members', CONSTRAINT = 'usher_members_user',
				MESSAGE = format('membership of a user who does not exist: realm %L, user %L', r.realm, missing);
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;

CREATE TRIGGER usher_members_inserted AFTER INSERT ON usher_members
	REFERENCING NEW TABLE AS usher_new_members FOR EACH STATEMENT EXECUTE FUNCTION usher_members_inserted();

CREATE FUNCTION usher_members_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (NEW.realm, NEW.group_norm) IS DISTINCT FROM (OLD.realm, OLD.group_norm) THEN
		PERFORM 1 FROM usher_groups WHERE realm = NEW.realm AND name_norm = NEW.group_norm FOR KEY SHARE;
		IF NOT FOUND THEN
			RAISE foreign_key_violation USING TABLE = 'usher_members', CONSTRAINT = 'usher_members_group',
				MESSAGE = format('membership of a group that does not exist: realm %L, group %L', NEW.realm, NEW.group_norm);
		END IF;
	END IF;
	IF (NEW.realm, NEW.user_id) IS DISTINCT FROM (OLD.realm, OLD.user_id) THEN
		PERFORM 1 FROM usher_users WHERE realm = NEW.realm AND id = NEW.user_id FOR KEY SHARE;
		IF NOT FOUND THEN
			RAISE foreign_key_violation USING TABLE = 'usher_members', CONSTRAINT = 'usher_members_user',
				MESSAGE = format('membership of a user who does not exist: realm %L, user %L', NEW.realm, NEW.user_id);
		END IF;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER usher_members_updated AFTER UPDATE ON usher_members
	FOR EACH ROW EXECUTE FUNCTION usher_members_updated();

CREATE FUNCTION usher_users_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM usher_members WHERE realm = OLD.realm AND user_id = OLD.id;
	ELSIF EXISTS (SELECT 1 FROM usher_members WHERE realm = OLD.realm AND user_id = OLD.id) THEN
		RAISE foreign_key_violation USING TABLE = 'usher_users', CONSTRAINT = 'usher_members_user',
			MESSAGE = format('user %L of realm %L has memberships: its key cannot change', OLD.id, OLD.realm);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER usher_users_deleted AFTER DELETE ON usher_users
	FOR EACH ROW EXECUTE FUNCTION usher_users_members();

CREATE TRIGGER usher_users_rekeyed AFTER UPDATE OF realm, id ON usher_users
	FOR EACH ROW WHEN (OLD.realm IS DISTINCT FROM NEW.realm OR OLD.id IS DISTINCT FROM NEW.id)
	EXECUTE FUNCTION usher_users_members();

CREATE FUNCTION usher_groups_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM usher_members WHERE realm = OLD.realm AND group_norm = OLD.name_norm;
	ELSE
		UPDATE usher_members SET realm = NEW.realm, group_norm = NEW.name_norm
			WHERE realm = OLD.realm AND group_norm = OLD.name_norm;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER usher_groups_deleted AFTER DELETE ON usher_groups
	FOR EACH ROW EXECUTE FUNCTION usher_groups_members();

CREATE TRIGGER usher_groups_renamed AFTER UPDATE OF realm, name_norm ON usher_groups
	FOR EACH ROW WHEN (OLD.realm IS DISTINCT FROM NEW.realm OR OLD.name_norm IS DISTINCT FROM NEW.name_norm)
	EXECUTE FUNCTION usher_groups_members();

CREATE FUNCTION usher_members_left() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM usher_members) THEN
		RAISE feature_not_supported USING TABLE = TG_TABLE_NAME,
			MESSAGE = format('cannot truncate %I while usher_members has rows', TG_TABLE_NAME),
			HINT = 'Truncate usher_members in the same command.';
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER usher_users_truncated AFTER TRUNCATE ON usher_users
	FOR EACH STATEMENT EXECUTE FUNCTION usher_members_left();

CREATE TRIGGER usher_groups_truncated AFTER TRUNCATE ON usher_groups
	FOR EACH STATEMENT EXECUTE FUNCTION usher_members_left();

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY['usher_members_inserted', 'usher_members_updated', 'usher_users_members', 'usher_groups_members', 'usher_members_left'] LOOP
		EXECUTE format('ALTER FUNCTION %I() SET search_path = %I', f, current_schema());
	END LOOP;
END
$$;
