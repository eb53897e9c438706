package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/usher-sdk/usher/database"
)

// neverAnalyzed lists those of the tables whose statistics PostgreSQL's
// planner needs to list users in order (ListUsers, and so a sync's Synced
// stream) that have never been analyzed, resolved through the search path
// as the store's queries are.
const neverAnalyzed = `SELECT relname FROM pg_class
WHERE oid IN ('usher_users'::regclass, 'usher_members'::regclass, 'usher_groups'::regclass) AND reltuples < 0
ORDER BY relname`

// analyzeIfNeverAnalyzed runs ANALYZE on the tables neverAnalyzed lists
// (PostgreSQL 14 and later mark a table never analyzed with a reltuples
// of -1), once per Store, after its first UpsertSynced batch
// that created users.
//
// Without statistics PostgreSQL estimates a filtered listing such as
// ListUsers with a Source to match a handful of rows and reads each
// page by sorting every remaining match: a first sync of 100,000 users
// followed by a listing of its source took 28 s to list, against 1.3 s
// once analyzed (the PostgreSQL manual's "Populating a Database" says to
// run ANALYZE after a bulk load). Autovacuum would analyze the tables
// too, but only within a minute or so. At the first batch the tables are
// small and ANALYZE takes a few milliseconds; later growth is what
// autovacuum keeps up with, as the planner scales statistics to a
// table's current size. A failure is logged and changes nothing else:
// the batch has been committed.
func (s *Store) analyzeIfNeverAnalyzed(ctx context.Context, created int) {
	if s.dialect != database.Postgres || created == 0 || !s.analyzed.CompareAndSwap(false, true) {
		return
	}
	tables, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (string, error) {
		var name string
		return name, r.Scan(&name)
	}, neverAnalyzed)
	if err == nil && len(tables) > 0 {
		_, err = s.db.ExecContext(ctx, `ANALYZE `+strings.Join(tables, ", "))
	}
	if err != nil {
		if ctx.Err() != nil {
			s.analyzed.Store(false) // the next batch tries again
		}
		s.log.WarnContext(ctx, "sqlstore: analyzing the user tables after a first bulk write", "realm", s.realm, "err", err)
	}
}
