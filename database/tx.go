package database

import (
	"context"
	"database/sql"
	"fmt"
)

// Tx runs fn in a read-write transaction on the database and commits it
// when fn returns nil. When fn fails, or ctx ends, the transaction is
// rolled back and fn's error is returned unchanged, so that callers can
// match it; errors beginning or committing are wrapped with the package's
// prefix and keep the driver's error for errors.As.
//
// The transaction is passed explicitly and never travels in ctx. On SQLite,
// Tx first takes the DB's writer lock, so that this process's writers
// queue in Go rather than polling SQLite's busy handler, and the
// transaction begins IMMEDIATE (SQLiteDSN), holding the database's write
// lock from its first statement; another process's writer waits up to the
// busy timeout. Tx is safe for concurrent use; fn must not call Tx again.
func (d *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	defer d.LockWriter()()
	tx, err := d.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("database: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("database: commit: %w", err)
	}
	return nil
}

// LockWriter takes the DB's writer lock for a write made outside Tx, such
// as a single auto-committed statement, and returns the function that
// releases it. On SQLite it serializes this process's writers as Tx does;
// on PostgreSQL, whose row locks suffice, it does nothing.
func (d *DB) LockWriter() (unlock func()) {
	if d.dialect != SQLite {
		return func() {}
	}
	d.writeMu.Lock()
	return func() {
		d.writeMu.Unlock()
		if d.ckpt != nil {
			d.ckpt.written()
		}
	}
}
