package database

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cachedConn returns the caching connection behind one connection of db.
func cachedConn(t *testing.T, conn *sql.Conn) *cachingConn {
	t.Helper()
	var cc *cachingConn
	require.NoError(t, conn.Raw(func(dc any) error {
		cc = dc.(*cachingConn)
		return nil
	}))
	return cc
}

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "c.db"))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.SQL().ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
	require.NoError(t, err)
	conn, err := db.SQL().Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	cc := cachedConn(t, conn)

	for i := range 5 {
		_, err := conn.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, i, fmt.Sprint("v", i))
		require.NoError(t, err)
	}
	cc.mu.Lock()
	assert.Contains(t, cc.stmts, `INSERT INTO t (id, v) VALUES (?, ?)`, "prepared once, kept")
	cc.mu.Unlock()

	// The same query again while its rows are open: a fresh statement,
	// and both row sets stay right.
	const q = `SELECT id, v FROM t WHERE id >= ? ORDER BY id`
	outer, err := conn.QueryContext(ctx, q, 0)
	require.NoError(t, err)
	var got []string
	for outer.Next() {
		var id int
		var v string
		require.NoError(t, outer.Scan(&id, &v))
		inner, err := conn.QueryContext(ctx, q, id)
		require.NoError(t, err)
		n := 0
		for inner.Next() {
			n++
		}
		require.NoError(t, inner.Close())
		got = append(got, fmt.Sprintf("%s:%d", v, n))
	}
	require.NoError(t, outer.Err())
	require.NoError(t, outer.Close())
	assert.Equal(t, []string{"v0:5", "v1:4", "v2:3", "v3:2", "v4:1"}, got)

	// A cached statement follows a schema change.
	_, err = conn.ExecContext(ctx, `ALTER TABLE t ADD COLUMN w TEXT NOT NULL DEFAULT 'x'`)
	require.NoError(t, err)
	var cols []string
	rows, err := conn.QueryContext(ctx, `SELECT * FROM t WHERE id = ?`, 1)
	require.NoError(t, err)
	cols, err = rows.Columns()
	require.NoError(t, err)
	require.NoError(t, rows.Close())
	assert.Equal(t, []string{"id", "v", "w"}, cols)

	// At most stmtCacheSize statements are kept.
	for i := range stmtCacheSize + 20 {
		var n int
		require.NoError(t, conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) + %d FROM t`, i)).Scan(&n))
		require.Equal(t, 5+i, n)
	}
	cc.mu.Lock()
	assert.LessOrEqual(t, len(cc.stmts), stmtCacheSize)
	assert.Equal(t, len(cc.stmts), cc.lru.Len())
	cc.mu.Unlock()

	// A cancelled context is an error and leaves the statement usable.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = conn.ExecContext(cctx, `INSERT INTO t (id, v) VALUES (?, ?)`, 99, "x")
	require.Error(t, err)
	_, err = conn.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, 99, "x")
	require.NoError(t, err)
	// A failing statement (a constraint) too.
	_, err = conn.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, 99, "x")
	require.Error(t, err)
	_, err = conn.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, 100, "y")
	require.NoError(t, err)
}

// Many goroutines on the pool with the same statements: no mix-ups.
func TestStatementCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "c.db"))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.SQL().ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := g*1000 + i
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					if _, err := tx.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, id, fmt.Sprint(id)); err != nil {
						return err
					}
					var v string
					if err := tx.QueryRowContext(ctx, `SELECT v FROM t WHERE id = ?`, id).Scan(&v); err != nil {
						return err
					}
					if v != fmt.Sprint(id) {
						return fmt.Errorf("read %q for %d", v, id)
					}
					return nil
				})
				assert.NoError(t, err)
				var v string
				assert.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT v FROM t WHERE id = ?`, id).Scan(&v))
				assert.Equal(t, fmt.Sprint(id), v)
			}
		})
	}
	wg.Wait()
	var n int
	require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n))
	assert.Equal(t, 400, n)
}
