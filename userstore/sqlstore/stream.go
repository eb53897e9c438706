package sqlstore

import (
	"context"
	"database/sql"
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

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
