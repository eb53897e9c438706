package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"

	"github.com/usher-sdk/usher/userstore"
)

// Changes streams change events with Seq > after in ascending Seq order, a
// page per query. Seq starts at 1 in a new realm and has no gaps: every
// writer of a realm takes the realm's counter row in its transaction, so
// Seqs are given out in commit order and an event is visible only once
// every smaller Seq is.
func (s *Store) Changes(ctx context.Context, after int64) iter.Seq2[userstore.Change, error] {
	return stream(ctx, s, "changes", 0, after, func(ctx context.Context, after int64, n int) ([]userstore.Change, int64, error) {
		page, err := queryAll(ctx, s.db, func(r *sql.Rows) (userstore.Change, error) {
			var (
				c    userstore.Change
				kind string
				at   int64
			)
			err := r.Scan(&c.Seq, &kind, &c.UserID, &c.Group, &at)
			c.Kind, c.At = userstore.ChangeKind(kind), fromNS(at)
			return c, err
		}, `SELECT seq, kind, user_id, group_name, at FROM usher_changes WHERE realm = $1 AND seq > $2 ORDER BY seq LIMIT `+fmt.Sprint(n), s.realm, after)
		if len(page) > 0 {
			after = page[len(page)-1].Seq
		}
		return page, after, err
	})
}
