package push_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore/scim/push"
)

func TestCursorStores(t *testing.T) {
	for _, c := range []struct {
		name string
		open func(t *testing.T) push.CursorStore
	}{
		{"memory", func(t *testing.T) push.CursorStore { return &push.MemoryCursors{} }},
		{"sqlite", func(t *testing.T) push.CursorStore {
			db, err := database.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "c.db"))
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			cs, err := push.NewSQLCursors(context.Background(), db, true)
			require.NoError(t, err)
			// Migrating again, and checking, find the schema current.
			_, err = push.NewSQLCursors(context.Background(), db, true)
			require.NoError(t, err)
			_, err = push.NewSQLCursors(context.Background(), db, false)
			require.NoError(t, err)
			return cs
		}},
		{"postgres", func(t *testing.T) push.CursorStore {
			db, err := database.OpenPostgres(context.Background(), testenv.PostgresDB(t))
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			cs, err := push.NewSQLCursors(context.Background(), db, true)
			require.NoError(t, err)
			return cs
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cs := c.open(t)
			seq, err := cs.Load(ctx, "a")
			require.NoError(t, err)
			assert.Zero(t, seq, "an unknown follower starts at 0")
			require.NoError(t, cs.Save(ctx, "a", 42))
			require.NoError(t, cs.Save(ctx, "b", 1<<40))
			require.NoError(t, cs.Save(ctx, "a", 43))
			for name, want := range map[string]int64{"a": 43, "b": 1 << 40, "c": 0} {
				seq, err := cs.Load(ctx, name)
				require.NoError(t, err)
				assert.Equal(t, want, seq, name)
			}
		})
	}
}

func TestNewSQLCursors_Unmigrated(t *testing.T) {
	db, err := database.OpenSQLite(context.Background(), ":memory:")
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Migrate(context.Background()))
	_, err = push.NewSQLCursors(context.Background(), db, false)
	require.ErrorIs(t, err, database.ErrSchemaBehind)
}
