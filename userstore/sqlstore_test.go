package userstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// The Service's login, lock-out and audit rules on the SQL stores. The
// PostgreSQL run needs the private server of `make test`
// (./scripts/testservers.sh go test ./userstore/...).

func newSQLite(t testing.TB, clock *fakeClock) userstore.Store {
	t.Helper()
	s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "users.db"), sqlstore.WithClock(clock.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newPostgres(t testing.TB, clock *fakeClock) userstore.Store {
	t.Helper()
	s, err := sqlstore.OpenPostgres(context.Background(), testenv.PostgresDB(t), sqlstore.WithClock(clock.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestLoginRules_SQLite(t *testing.T)   { runLoginRules(t, newSQLite) }
func TestLoginRules_Postgres(t *testing.T) { runLoginRules(t, newPostgres) }

func BenchmarkLogin_SQLite(b *testing.B) {
	cfg := userstore.Config{AuditSuccessfulLogins: true}
	clock := newFakeClock()
	benchLogin(b, newEnvOn(b, newSQLite(b, clock), clock, cfg), cfg)
}

func BenchmarkLogin_Postgres(b *testing.B) {
	cfg := userstore.Config{AuditSuccessfulLogins: true}
	clock := newFakeClock()
	benchLogin(b, newEnvOn(b, newPostgres(b, clock), clock, cfg), cfg)
}
