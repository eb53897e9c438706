// Package teststores opens each user store implementation for the tests of
// the packages built on userstore: the in-memory fake, SQLite, and the
// private PostgreSQL that `make test` starts.
package teststores

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// Case is one store implementation.
type Case struct {
	Name string
	// Open returns a new, empty store, closed when the test ends. The
	// PostgreSQL case skips (fails when CI=true) without the private
	// server.
	Open func(tb testing.TB) userstore.Store
}

// All returns memstore, SQLite and PostgreSQL, in that order.
func All() []Case {
	return []Case{
		{"memstore", func(tb testing.TB) userstore.Store {
			s := memstore.New()
			tb.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"sqlite", func(tb testing.TB) userstore.Store {
			return closing(tb)(sqlstore.OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), "users.db")))
		}},
		{"postgres", func(tb testing.TB) userstore.Store {
			return closing(tb)(sqlstore.OpenPostgres(context.Background(), testenv.PostgresDB(tb)))
		}},
	}
}

// closing fails tb on an open error and closes the store when tb ends.
func closing(tb testing.TB) func(*sqlstore.Store, error) userstore.Store {
	return func(s *sqlstore.Store, err error) userstore.Store {
		tb.Helper()
		if err != nil {
			tb.Fatalf("teststores: %v", err)
		}
		tb.Cleanup(func() { _ = s.Close() })
		return s
	}
}
