package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// The connection SQLite transactions are written through. SQLite drops a
// connection's whole page cache when it begins a transaction after
// another connection wrote to the database, and a pool hands Tx whichever
// connection is idle: when a reader held the last writer's, the next
// batch of a sync began on another one and read the B-trees it appends
// to again. A file opened by OpenSQLite therefore keeps one connection
// for Tx, taken from the pool at the first Tx and held, under the writer
// lock, until Close; its cache stays warm from one transaction to the
// next (a first sync of 100,000 users into SQLite: 9% less CPU; see
// directory/BENCHMARKS.md). Reads and the writes made with LockWriter
// outside Tx use the pool as before. A database with one connection
// (":memory:") or from New, whose pool the application sizes, writes
// through the pool.

// beginWrite begins Tx's transaction, on the held connection when d keeps
// one. The caller holds the writer lock.
func (d *DB) beginWrite(ctx context.Context) (*sql.Tx, error) {
	if !d.holdWriter {
		return d.sql.BeginTx(ctx, nil)
	}
	for retried := false; ; retried = true {
		if d.writer == nil {
			c, err := d.sql.Conn(ctx)
			if err != nil {
				return nil, err
			}
			d.writer = c
		}
		tx, err := d.writer.BeginTx(ctx, nil)
		if err == nil || retried || !(errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn)) {
			return tx, err
		}
		// The connection is gone (closed, or broken): another one.
		_ = d.writer.Close()
		d.writer = nil
	}
}

// releaseWriter gives the held connection back to the pool; Close calls
// it before closing the pool.
func (d *DB) releaseWriter() {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if d.writer != nil {
		_ = d.writer.Close()
		d.writer = nil
	}
}
