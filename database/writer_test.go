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
