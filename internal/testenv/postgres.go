package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/usher-sdk/usher/internal/pgscratch"
)

// Postgres returns the DSN of the private PostgreSQL's administrative
// database, or skips (fails in CI) when it is not running.
func Postgres(tb testing.TB) string {
	tb.Helper()
	return Need(tb, EnvPostgresDSN, "the private PostgreSQL server")
}

// PostgresDB creates a fresh, empty database on the private PostgreSQL for
// this test, drops it when the test ends, and returns its DSN. Tests that
// use it can run in parallel without seeing each other's data.
func PostgresDB(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn, drop, err := pgscratch.New(ctx, Postgres(tb), "t_")
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	tb.Cleanup(drop)
	return dsn
}
