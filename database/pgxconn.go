package database

import (
	"context"
	"database/sql"
	"fmt"
)

// RawConn calls f with the driver's connection a transaction of TxRaw
// runs on, as sql.Conn.Raw does: with github.com/jackc/pgx/v5/stdlib it
// is a *stdlib.Conn, whose Conn method returns the *pgx.Conn, for what
// database/sql cannot do (COPY, pipelines). What f sends on the
// connection is part of the transaction. f must not keep the driver
// connection, nor use the *sql.Tx while it runs (the connection is
// locked).
type RawConn func(f func(driverConn any) error) error

// TxRaw is Tx, with the transaction's connection reachable through raw
// as well. It holds one connection of the pool for the whole
// transaction, as Tx does.
func (d *DB) TxRaw(ctx context.Context, fn func(tx *sql.Tx, raw RawConn) error) (err error) {
	defer d.LockWriter()()
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("database: begin: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx, conn.Raw); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("database: commit: %w", err)
	}
	return nil
}
