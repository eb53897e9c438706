package database

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// DefaultRealm is the realm of a store made without naming one.
const DefaultRealm = "default"

// CheckRealm reports whether name can name a realm: 1 to 200 bytes
// without control characters.
func CheckRealm(name string) error {
	if name == "" || len(name) > 200 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("database: realm %q must be 1 to 200 bytes without control characters", name)
	}
	return nil
}

// AddRealm records the realm name in the core schema unless it is there
// already. A realm (a user pool) is independent of the others that share
// the database: the same username may exist in each. The SQL stores call
// it when they are made; the core schema must be migrated.
func (d *DB) AddRealm(ctx context.Context, name string) error {
	if err := CheckRealm(name); err != nil {
		return err
	}
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_core_realms (realm, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			name, time.Now().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("database: add realm: %w", err)
	}
	return nil
}
