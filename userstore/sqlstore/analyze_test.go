package sqlstore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// TestUpsertSyncedAnalyzesNewTables: on PostgreSQL the first batch that
// creates users gives the planner statistics of tables never analyzed,
// without which a listing filtered by source sorted every remaining
// match for each page (28 s for 100,000 users instead of 1.3 s), through
// pgx's driver (COPY) and another (INSERTs from arrays).
func TestUpsertSyncedAnalyzesNewTables(t *testing.T) {
	var pg backend
	for _, b := range backends {
		if b.dialect == database.Postgres {
			pg = b
		}
	}
	for _, tc := range []struct {
		name string
		open func(t *testing.T, where string) *sqlstore.Store
	}{
		{"pgx", func(t *testing.T, where string) *sqlstore.Store { return pg.openStore(t, where) }},
		{"another driver", func(t *testing.T, where string) *sqlstore.Store { return pgInsertStore(t, where) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			where := pg.newDB(t)
			s := tc.open(t, where)
			db := pg.openDB(t, where)
			reltuples := func() map[string]float64 {
				out := map[string]float64{}
				for _, table := range []string{"usher_users", "usher_members", "usher_groups"} {
					var n float64
					require.NoError(t, db.SQL().QueryRowContext(t.Context(), `SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, table).Scan(&n))
					out[table] = n
				}
				return out
			}
			assert.Equal(t, map[string]float64{"usher_users": -1, "usher_members": -1, "usher_groups": -1}, reltuples(), "new tables are not analyzed")

			_, err := s.UpsertSynced(t.Context(), directoryBatch(0, 1000))
			require.NoError(t, err)
			assert.Equal(t, map[string]float64{"usher_users": 1000, "usher_members": 0, "usher_groups": 0}, reltuples())
		})
	}
}
