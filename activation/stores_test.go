package activation_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// storeCase is one user-store implementation the Manager's tests run on.
type storeCase struct {
	name string
	open func(tb testing.TB) userstore.Store
}

// storeCases lists the fake and the SQL stores. The PostgreSQL case skips
// (or fails in CI) when the private server of `make test` is not running.
func storeCases() []storeCase {
	return []storeCase{
		{"memstore", func(tb testing.TB) userstore.Store {
			s := memstore.New()
			tb.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"sqlite", func(tb testing.TB) userstore.Store {
			s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), "users.db"))
			require.NoError(tb, err)
			tb.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"postgres", func(tb testing.TB) userstore.Store {
			s, err := sqlstore.OpenPostgres(context.Background(), testenv.PostgresDB(tb))
			require.NoError(tb, err)
			tb.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
}

// onEveryStore runs f as a subtest per store.
func onEveryStore(t *testing.T, f func(t *testing.T, store userstore.Store)) {
	t.Helper()
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) {
			f(t, sc.open(t))
		})
	}
}
