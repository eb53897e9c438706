package memstore

import (
	"context"
	"iter"
	"sort"

	"github.com/usher-sdk/usher/userstore"
)

// Changes streams change events with Seq > after in ascending Seq order.
// Seq starts at 1 in a new Store and has no gaps.
func (s *Store) Changes(ctx context.Context, after int64) iter.Seq2[userstore.Change, error] {
	return stream(ctx, s, "changes", 0, after, func(after int64, n int) ([]userstore.Change, int64, error) {
		i := sort.Search(len(s.changes), func(i int) bool { return s.changes[i].Seq > after })
		page := append([]userstore.Change(nil), s.changes[i:min(i+n, len(s.changes))]...)
		if len(page) > 0 {
			after = page[len(page)-1].Seq
		}
		return page, after, nil
	})
}
