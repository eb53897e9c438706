package database

import (
	"context"
	"database/sql"
)

// Querier is what QueryAll queries: a *sql.DB, *sql.Tx or *sql.Conn, or a
// store's wrapper of one.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// QueryAll runs query on q and scans every row with scan, in order; no
// rows give a nil slice. It is the one rows loop of the SQL stores.
func QueryAll[T any](ctx context.Context, q Querier, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
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
