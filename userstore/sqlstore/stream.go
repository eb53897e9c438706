package sqlstore

import (
	"context"
	"iter"

	"github.com/usher-sdk/usher/internal/paging"
)

// stream yields rows page by page through paging.Stream: fetch runs one
// query for up to n rows after cursor c, reads them all and closes the
// rows, so that no connection is held while the consumer runs. Each page
// first checks ctx and whether the Store is closed.
func stream[T, C any](ctx context.Context, s *Store, op string, limit int, c C, fetch func(ctx context.Context, c C, n int) ([]T, C, error)) iter.Seq2[T, error] {
	return paging.Stream(s.pageSize, limit, c, func(c C, n int) ([]T, C, error) {
		if err := s.ready(ctx, op); err != nil {
			return nil, c, err
		}
		page, next, err := fetch(ctx, c, n)
		return page, next, s.fail(op, err)
	})
}
