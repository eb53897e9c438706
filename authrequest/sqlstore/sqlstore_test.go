package sqlstore_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/outbox"
	"github.com/usher-sdk/usher/authrequest/sqlstore"
	"github.com/usher-sdk/usher/authrequest/storetest"
	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/testenv"
)

var dialects = []struct {
	name  string
	fresh func(t testing.TB) string
}{
	{"SQLite", func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "a.db") }},
	{"Postgres", func(t testing.TB) string { return testenv.PostgresDB(t) }},
}

func openDB(t testing.TB, dsn string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func open(t testing.TB, db *database.DB, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(context.Background(), db, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// recorded reads back the deliveries in River's table.
func recorded(t *testing.T, db *database.DB) []authrequest.Delivery {
	t.Helper()
	q := `SELECT args FROM river_job WHERE kind = $1`
	if db.Dialect() == database.SQLite {
		q = `SELECT json(args) FROM river_job WHERE kind = $1` // River keeps JSONB
	}
	rows, err := db.SQL().QueryContext(t.Context(), q, outbox.Kind)
	require.NoError(t, err)
	defer rows.Close()
	var out []authrequest.Delivery
	for rows.Next() {
		var b []byte
		require.NoError(t, rows.Scan(&b))
		var d authrequest.Delivery
		require.NoError(t, json.Unmarshal(b, &d))
		out = append(out, d)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestConformance(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			dbs := map[authrequest.Store]*database.DB{}
			storetest.Run(t, func(t *testing.T) authrequest.Store {
				db := openDB(t, d.fresh(t))
				s := open(t, db)
				mu.Lock()
				dbs[s] = db
				mu.Unlock()
				return s
			}, storetest.WithDeliveries(func(t *testing.T, s authrequest.Store) []authrequest.Delivery {
				mu.Lock()
				db := dbs[s]
				mu.Unlock()
				return recorded(t, db)
			}))
		})
	}
}
