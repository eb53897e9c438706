package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
)

// Changes streams change events with Seq > after in ascending Seq order, a
// page per query. No event is ever skipped by a follower that passes the
// last Seq it handled: on SQLite, Seqs are 1, 2, 3... in commit order; on
// PostgreSQL, where writers do not queue for the feed, each query returns
// only the events below its snapshot's horizon, every one of which is
// settled, so that an event that becomes visible later has a greater Seq
// than any returned before. Seqs there are not consecutive, and Changes
// first waits (up to a second) for the transactions of the database that
// were running when it was called, so that it yields every event committed
// before the call. See the package documentation.
func (s *Store) Changes(ctx context.Context, after int64) iter.Seq2[userstore.Change, error] {
	start := after
	return stream(ctx, s, "changes", 0, after, func(ctx context.Context, after int64, n int) ([]userstore.Change, int64, error) {
		if after == start { // the first page
			if err := s.settle(ctx); err != nil {
				return nil, after, err
			}
		}
		args := []any{s.realm, after}
		if s.dialect == database.Postgres {
			var horizon int64
			if err := s.db.QueryRowContext(ctx, pgHorizon).Scan(&horizon); err != nil {
				return nil, after, err
			}
			args = append(args, horizon)
		}
		page, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (userstore.Change, error) {
			var (
				c    userstore.Change
				kind string
				at   int64
			)
			err := r.Scan(&c.Seq, &kind, &c.UserID, &c.Group, &c.GroupID, &at)
			c.Kind, c.At = userstore.ChangeKind(kind), fromNS(at)
			return c, err
		}, s.q.changes+fmt.Sprint(n), args...)
		if len(page) > 0 {
			after = page[len(page)-1].Seq
		}
		return page, after, err
	})
}
