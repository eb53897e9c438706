package database

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tx on a SQLite file writes through one connection from one transaction
// to the next (its page cache stays warm), even when a reader took the
// connection the pool would have handed out; a TEMP table, private to
// its connection, shows which one a transaction ran on.
func TestTxKeepsItsConnection(t *testing.T) {
	ctx := t.Context()
	d, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "w.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })

	require.NoError(t, d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TEMP TABLE mark (x)`)
		return err
	}))
	// A reader holds the connection the pool got back last.
	reader, err := d.SQL().Conn(ctx)
	require.NoError(t, err)
	defer reader.Close()
	var n int
	require.NoError(t, reader.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_temp_master WHERE name = 'mark'`).Scan(&n))
	assert.Zero(t, n, "the reader has a connection of its own")

	require.NoError(t, d.Tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_temp_master WHERE name = 'mark'`).Scan(&n)
	}))
	assert.Equal(t, 1, n, "the second transaction ran on the first one's connection")
}

// A held connection that is gone is replaced: the next Tx takes another.
func TestTxReplacesAClosedWriter(t *testing.T) {
	ctx := t.Context()
	d, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "w.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	write := func() error {
		return d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES (1)`)
			return err
		})
	}
	require.NoError(t, write())
	require.NotNil(t, d.writer)
	gone := d.writer
	require.NoError(t, gone.Close())

	require.NoError(t, write())
	assert.NotSame(t, gone, d.writer)
	var n int
	require.NoError(t, d.SQL().QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n))
	assert.Equal(t, 2, n)

	// Close gives it back; a Tx after Close fails as any use of a closed DB.
	require.NoError(t, d.Close())
	assert.Nil(t, d.writer)
	assert.Error(t, write())
}

// An in-memory database has one connection, which Tx must not keep.
func TestTxInMemoryWritesThroughThePool(t *testing.T) {
	ctx := t.Context()
	d, err := OpenSQLite(ctx, ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	require.NoError(t, d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE t (x)`)
		return err
	}))
	assert.Nil(t, d.writer)
	var n int
	require.NoError(t, d.SQL().QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n), "the one connection is back in the pool")
}

// Two DBs on one file, as two processes would have, write in turn: each
// sees the other's rows, though each keeps its connection (and page
// cache) between its transactions.
func TestTxTwoDBsOnOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "w.db")
	var dbs [2]*DB
	for i := range dbs {
		d, err := OpenSQLite(ctx, path)
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		dbs[i] = d
	}
	require.NoError(t, dbs[0].Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`)
		return err
	}))
	for i := range 20 {
		var last int
		require.NoError(t, dbs[i%2].Tx(ctx, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(x), -1) FROM t`).Scan(&last); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO t VALUES (?)`, last+1)
			return err
		}))
		assert.Equal(t, i-1, last, "write %d sees every earlier one", i)
	}
}
