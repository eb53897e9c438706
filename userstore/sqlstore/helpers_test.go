package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// backend is one database the tests run on. newDB makes a fresh, empty
// database and returns where it is (a file path or a DSN); open opens a
// Store on it.
type backend struct {
	name    string
	dialect database.Dialect
	newDB   func(t testing.TB) string
	open    func(ctx context.Context, where string, opts ...sqlstore.Option) (*sqlstore.Store, error)
}

var backends = []backend{
	{
		name:    "SQLite",
		dialect: database.SQLite,
		newDB:   func(t testing.TB) string { return filepath.Join(t.TempDir(), "usher.db") },
		open:    sqlstore.OpenSQLite,
	},
	{
		name:    "Postgres",
		dialect: database.Postgres,
		newDB:   func(t testing.TB) string { return testenv.PostgresDB(t) },
		open:    sqlstore.OpenPostgres,
	},
}

// openStore opens a Store on where and closes it when the test ends.
func (b backend) openStore(t testing.TB, where string, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	s, err := b.open(context.Background(), where, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fresh opens a Store on a new database.
func (b backend) fresh(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	return b.openStore(t, b.newDB(t), opts...)
}

// eachBackend runs f as a parallel subtest per backend.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

// openDB opens the database at where (from newDB) as a database.DB that
// the test closes when it ends.
func (b backend) openDB(t testing.TB, where string) *database.DB {
	t.Helper()
	dsn := where
	if b.dialect == database.SQLite {
		dsn = "sqlite:" + where
	}
	db, err := database.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}
