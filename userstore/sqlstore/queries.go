package sqlstore

import "github.com/usher-sdk/usher/database"

// queries holds the SQL that differs between dialects; the rest is written
// once with $N parameters, which both drivers accept.
type queries struct {
	selectUser string // SELECT <user columns> FROM usher_users u
	startsWith string // predicate: column $0 begins with parameter $1
	// hasRole is the predicate: u.roles holds parameter $1.
	hasRole string
	// groups is the subquery of selectUser that gives user u's group
	// names separated by U+001F. Each dialect's is written so that its
	// planner reads the user's memberships by the by-user index and each
	// group by its key. SQLite is told the index: without table
	// statistics its planner took the primary key (realm, group, user)
	// with realm only, a scan of every membership per user read
	// (quadratic listings). PostgreSQL looks each group up in a scalar
	// subquery: as a join, its planner hashed every group of the realm
	// for each user read (500 groups: 93 ms per 1,000 users listed,
	// against 28 ms now).
	groups string

	// changes reads a page of the feed after $2: on PostgreSQL up to the
	// horizon $3, read just before (pgHorizon); LIMIT follows.
	changes string
	// forUpdate locks the rows a SELECT reads until the transaction ends
	// (PostgreSQL); SQLite's write transactions hold the whole database.
	forUpdate string
	// forUpdateOf is forUpdate for selectUser: it locks the users only.
	forUpdateOf string
	// recordFailure and resetFailures are RecordFailedLogin and
	// ResetFailedLogins in one statement each, change event included
	// (PostgreSQL only; see loginstate.go).
	recordFailure, resetFailures string
}

func newQueries(d database.Dialect) queries {
	var q queries
	switch d {
	case database.Postgres:
		q.changes = `SELECT pos, kind, user_id, group_name, group_id, at FROM usher_changes WHERE realm = $1 AND pos > $2 AND pos < $3 ORDER BY pos LIMIT `
		q.forUpdate, q.forUpdateOf = ` FOR UPDATE`, ` FOR UPDATE OF u`
		q.recordFailure, q.resetFailures = pgRecordFailure, pgResetFailures
		q.groups = `SELECT string_agg((SELECT g.name FROM usher_groups g WHERE g.realm = m.realm AND g.name_norm = m.group_norm), chr(31))
	 FROM usher_members m WHERE m.realm = u.realm AND m.user_id = u.id`
		q.startsWith = `starts_with(u.username_norm, $%d)`
		q.hasRole = `jsonb_exists(u.roles::jsonb, $%d)`
	default:
		q.changes = `SELECT pos, kind, user_id, group_name, group_id, at FROM usher_changes WHERE realm = $1 AND pos > $2 ORDER BY pos LIMIT `
		q.groups = `SELECT group_concat(g.name, char(31)) FROM usher_members m INDEXED BY usher_members_user
	 CROSS JOIN usher_groups g ON g.realm = m.realm AND g.name_norm = m.group_norm WHERE m.realm = u.realm AND m.user_id = u.id`
		q.startsWith = `substr(u.username_norm, 1, length($%[1]d)) = $%[1]d`
		q.hasRole = `EXISTS (SELECT 1 FROM json_each(u.roles) r WHERE r.value = $%d)`
	}
	q.selectUser = `SELECT u.id, u.username, u.email, u.email_verified, u.phone, u.display_name, u.given_name, u.family_name,
	u.enabled, u.must_change_password, u.password_hash, u.failed_logins, u.locked_until, u.attributes, u.source, u.external_id,
	u.created_at, u.updated_at, u.version, u.roles,
	(` + q.groups + `) AS groups
FROM usher_users u`
	return q
}
