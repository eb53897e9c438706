package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/sqlstore"
	"github.com/usher-sdk/usher/onboarding/storetest"
)

func open(tb testing.TB, dsn string) onboarding.Store {
	tb.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	s, err := sqlstore.New(ctx, db)
	if err != nil {
		tb.Fatalf("sqlstore.New: %v", err)
	}
	return s
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(tb testing.TB) onboarding.Store {
		return open(tb, "sqlite:"+filepath.Join(tb.TempDir(), "o.db"))
	})
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(tb testing.TB) onboarding.Store {
		return open(tb, testenv.PostgresDB(tb))
	})
}

func TestWithoutMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := sqlstore.New(ctx, db, sqlstore.WithoutMigrations()); err == nil {
		t.Fatal("WithoutMigrations on an empty database succeeded")
	}
	if _, err := sqlstore.New(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlstore.New(ctx, db, sqlstore.WithoutMigrations()); err != nil {
		t.Fatalf("WithoutMigrations after Migrate: %v", err)
	}
}
