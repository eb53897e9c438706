package sqlstore

import (
	"context"
	"database/sql"
	"iter"
)

// stream yields rows page by page. fetch runs one query for up to n rows
// after cursor c, reads them all, closes the rows and returns the page and
// the cursor after it, so that no connection is held while the consumer
// runs. The stream stops at the first error, which it yields, at a short
// page, after limit rows (when limit > 0) or when the consumer breaks.
func stream[T, C any](ctx context.Context, s *Store, op string, limit int, c C, fetch func(ctx context.Context, c C, n int) ([]T, C, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		sent := 0
		for {
			n := s.pageSize
			if limit > 0 && limit-sent < n {
				n = limit - sent
			}
			if err := s.ready(ctx, op); err != nil {
				yield(zero, err)
				return
			}
			page, next, err := fetch(ctx, c, n)
			if err != nil {
				yield(zero, s.fail(op, err))
				return
			}
			for _, v := range page {
				if !yield(v, nil) {
					return
				}
			}
			sent += len(page)
			if len(page) < n || (limit > 0 && sent >= limit) {
				return
			}
			c = next
		}
	}
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
