package sqlstore

import "github.com/usher-sdk/usher/database"

// queries holds the SQL that differs between dialects; the rest is written
// once with $N parameters, which both drivers accept.
type queries struct {
	lockRealm   string // SELECT seq ... locking the realm's counter row
	selectUser  string // SELECT <user columns> FROM usher_users u
	startsWith  string // predicate: column $0 begins with parameter $1
	groupConcat string
	// members opens the groups subquery: the membership table and its join
	// keyword. SQLite
	// is told to use the by-user index: without table statistics its
	// planner took the primary key (realm, group, user) with realm only,
	// a scan of every membership per user read (quadratic listings).
	members string
}

func newQueries(d database.Dialect) queries {
	var q queries
	switch d {
	case database.Postgres:
		q.lockRealm = `SELECT seq FROM usher_user_feed WHERE realm = $1 FOR UPDATE`
		q.groupConcat = `string_agg(g.name, chr(31))`
		q.startsWith = `starts_with(u.username_norm, $%d)`
		q.members = `usher_members m JOIN`
	default:
		// BEGIN IMMEDIATE already holds the database's write lock.
		q.lockRealm = `SELECT seq FROM usher_user_feed WHERE realm = $1`
		q.groupConcat = `group_concat(g.name, char(31))`
		q.startsWith = `substr(u.username_norm, 1, length($%[1]d)) = $%[1]d`
		q.members = `usher_members m INDEXED BY usher_members_user CROSS JOIN`
	}
	q.selectUser = `SELECT u.id, u.username, u.email, u.email_verified, u.phone, u.display_name, u.given_name, u.family_name,
	u.enabled, u.must_change_password, u.password_hash, u.failed_logins, u.locked_until, u.attributes, u.source, u.external_id,
	u.created_at, u.updated_at, u.version,
	(SELECT ` + q.groupConcat + ` FROM ` + q.members + ` usher_groups g ON g.realm = m.realm AND g.name_norm = m.group_norm
	 WHERE m.realm = u.realm AND m.user_id = u.id) AS groups
FROM usher_users u`
	return q
}
