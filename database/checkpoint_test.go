package database_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
)

// TestBackgroundCheckpoint: a DB that OpenSQLite opened copies its
// write-ahead log into the database file on its own goroutine soon after
// a write, long before the 4,096 pages at which its connections
// checkpoint themselves; under a sustained load the log stays near that
// size; Close removes it.
func TestBackgroundCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	db, err := database.OpenSQLite(ctx, path)
	require.NoError(t, err)
	require.NoError(t, db.Migrate(ctx, widgets(widgetsV1)))

	var autoPages int
	require.NoError(t, db.SQL().QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&autoPages))
	assert.Equal(t, 4096, autoPages)

	pad := strings.Repeat("x", 3000)
	write := func(tx int) {
		require.NoError(t, db.Tx(ctx, func(sqlTx *sql.Tx) error {
			for i := range 50 { // 3 KB keys, in the table and its index: ~100 pages
				if _, err := sqlTx.ExecContext(ctx, `INSERT INTO app_widgets (id) VALUES ($1)`, fmt.Sprintf("%04d-%04d-%s", tx, i, pad)); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}

	// Five transactions, ~500 pages: SQLite's default would leave them in
	// the log; the goroutine copies them into the database file.
	before := size(path)
	for tx := range 5 {
		write(tx)
	}
	require.Eventually(t, func() bool { return size(path) >= before+(1<<20) }, 5*time.Second, 10*time.Millisecond,
		"the database file grows by the pages written once they are checkpointed")

	// 100 transactions one after the other, ~40 MiB of pages: the log
	// stays near the fallback's 16 MiB.
	maxWAL := int64(0)
	for tx := 5; tx < 105; tx++ {
		write(tx)
		maxWAL = max(maxWAL, size(path+"-wal"))
	}
	var n int
	require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM app_widgets`).Scan(&n))
	assert.Equal(t, 105*50, n)
	assert.Less(t, maxWAL, int64(24<<20), "the log is started over near 16 MiB")

	require.NoError(t, db.Close())
	require.NoError(t, db.Close(), "a second Close is harmless")
	_, err = os.Stat(path + "-wal")
	assert.ErrorIs(t, err, os.ErrNotExist, "the last connection's close checkpoints and removes the log")
}

// TestSQLiteDSNKeepsDefaultCheckpoints: a database an application opens
// itself with SQLiteDSN has no background checkpointer, so its
// connections keep SQLite's default of checkpointing at 1,000 pages.
func TestSQLiteDSNKeepsDefaultCheckpoints(t *testing.T) {
	t.Parallel()
	raw, err := sql.Open("sqlite", database.SQLiteDSN(filepath.Join(t.TempDir(), "own.db")))
	require.NoError(t, err)
	defer raw.Close()
	var pages int
	require.NoError(t, raw.QueryRowContext(t.Context(), `PRAGMA wal_autocheckpoint`).Scan(&pages))
	assert.Equal(t, 1000, pages)
	var store int
	require.NoError(t, raw.QueryRowContext(t.Context(), `PRAGMA temp_store`).Scan(&store))
	assert.Equal(t, 2, store, "temporary data in memory")
	var cache int
	require.NoError(t, raw.QueryRowContext(t.Context(), `PRAGMA cache_size`).Scan(&cache))
	assert.Equal(t, -16384, cache, "a page cache of up to 16 MiB (negative: KiB)")
}

// TestCloseAfterWrite closes a DB right after a write, while its
// background checkpoint may be running: when Close returns, no
// connection is left, so the last one's close has removed the log.
func TestCloseAfterWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range 30 {
		path := filepath.Join(dir, fmt.Sprintf("close%d.db", i))
		db, err := database.OpenSQLite(t.Context(), path)
		require.NoError(t, err)
		require.NoError(t, db.Migrate(t.Context(), widgets(widgetsV1)))
		require.NoError(t, db.Tx(t.Context(), func(tx *sql.Tx) error {
			_, err := tx.ExecContext(t.Context(), `INSERT INTO app_widgets (id) VALUES ($1)`, strings.Repeat("w", 3000))
			return err
		}))
		require.NoError(t, db.Close())
		_, err = os.Stat(path + "-wal")
		require.ErrorIs(t, err, os.ErrNotExist, "round %d: a connection outlived Close", i)
	}
}
