package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// migrationLockKey is the PostgreSQL advisory lock that serializes
// migrations: "usher-us" in ASCII.
const migrationLockKey int64 = 0x75736865722d7573

// migration is one embedded schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the dialect's embedded migrations in version order.
// Their files are named NNNN_name.sql.
func migrations(d Dialect) ([]migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out, nil
}

// statements splits a migration at semicolons that end a line.
func statements(src string) []string {
	var out []string
	for part := range strings.SplitSeq(src, ";\n") {
		var lines []string
		for l := range strings.SplitSeq(part, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";")); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SchemaVersion is the schema version this package's migrations reach.
func SchemaVersion() int {
	m, err := migrations(SQLite)
	if err != nil || len(m) == 0 {
		return 0
	}
	return m[len(m)-1].version
}

// Migrate brings the Usher tables of db, which speaks dialect, to
// SchemaVersion. It is idempotent, applies each missing version in its own
// transaction and records it in usher_schema_migrations, and is safe when
// several processes run it at once: on PostgreSQL they take a transaction
// advisory lock, on SQLite the database's write lock (BEGIN IMMEDIATE),
// and each re-reads the applied versions once it holds the lock.
// OpenSQLite, OpenPostgres and New call it unless told not to.
func Migrate(ctx context.Context, db *sql.DB, dialect Dialect) error {
	return migrate(ctx, db, dialect, slog.New(slog.DiscardHandler))
}

func migrate(ctx context.Context, db *sql.DB, dialect Dialect, log *slog.Logger) error {
	if !dialect.valid() {
		return fmt.Errorf("sqlstore: migrate: unknown dialect %q", dialect)
	}
	ms, err := migrations(dialect)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	for _, m := range ms {
		applied, err := applyMigration(ctx, db, dialect, m)
		if err != nil {
			return fmt.Errorf("sqlstore: migrate to version %d (%s): %w", m.version, m.name, err)
		}
		if applied {
			log.InfoContext(ctx, "sqlstore: applied schema migration", "dialect", string(dialect), "version", m.version, "name", m.name)
		}
	}
	return nil
}

// applyMigration applies m unless it already is, under the migration lock.
func applyMigration(ctx context.Context, db *sql.DB, dialect Dialect, m migration) (applied bool, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	// Explicit BEGIN / COMMIT, so that SQLite takes the write lock at once
	// whatever the DSN's _txlock says.
	begin := "BEGIN"
	if dialect == SQLite {
		begin = "BEGIN IMMEDIATE"
		var timeout int
		if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err == nil && timeout == 0 {
			_, _ = conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", sqliteBusyTimeout))
		}
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			// A fresh context: roll back even when ctx is done.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_, _ = conn.ExecContext(rctx, "ROLLBACK")
		}
	}()
	if dialect == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
			return false, err
		}
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS usher_schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`); err != nil {
		return false, err
	}
	var one int
	err = conn.QueryRowContext(ctx, "SELECT 1 FROM usher_schema_migrations WHERE version = $1", m.version).Scan(&one)
	switch {
	case err == nil:
		_, err = conn.ExecContext(ctx, "COMMIT")
		return false, err
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	for _, stmt := range statements(m.sql) {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("%w in %q", err, firstLine(stmt))
		}
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO usher_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
		m.version, m.name, time.Now().UnixNano()); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return false, err
	}
	return true, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
