package sqlstore

import (
	"context"
	"database/sql"
)

// prepared returns the Store's prepared statement for query, preparing it
// on first use. Only the few fixed queries of the hot paths (user lookups,
// audit inserts) go through it, so the cache stays small; database/sql
// re-prepares a statement on each connection it meets.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if v, ok := s.stmts.Load(query); ok {
		return v.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if v, loaded := s.stmts.LoadOrStore(query, st); loaded {
		_ = st.Close()
		return v.(*sql.Stmt), nil
	}
	return st, nil
}

// cached runs queries on the Store's database through prepared statements.
// When preparing fails it runs the query unprepared, which reports the
// error.
type cached struct{ s *Store }

func (c cached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.s.prepared(ctx, query)
	if err != nil {
		return c.s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c cached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.s.prepared(ctx, query)
	if err != nil {
		return c.s.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (c cached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.s.prepared(ctx, query)
	if err != nil {
		return c.s.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// closeStmts closes the prepared statements.
func (s *Store) closeStmts() {
	s.stmts.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		s.stmts.Delete(k)
		return true
	})
}
