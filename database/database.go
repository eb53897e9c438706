package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL database behind a DB.
type Dialect string

// The dialects Usher speaks.
const (
	// SQLite is modernc.org/sqlite (driver name "sqlite"), 3.35 or later:
	// embedded, no cgo, the default.
	SQLite Dialect = "sqlite"
	// Postgres is PostgreSQL 12 or later through github.com/jackc/pgx/v5/stdlib
	// (driver name "pgx"), for any number of server processes sharing one
	// database.
	Postgres Dialect = "postgres"
)

func (d Dialect) valid() bool { return d == SQLite || d == Postgres }

// sqliteBusyTimeout is how long a SQLite connection waits for another
// process's writer, in milliseconds, before it reports SQLITE_BUSY.
const sqliteBusyTimeout = 10000

// DB is one application database that every Usher SQL store shares: a
// *sql.DB, its dialect, and the lock that serializes this process's
// SQLite writers. Make it with Open, OpenSQLite, OpenPostgres or New. A DB
// is safe for concurrent use.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	own     bool
	log     *slog.Logger

	// writeMu serializes this process's SQLite writers, which would
	// otherwise poll for the database's write lock; other processes still
	// wait through the busy timeout. Unused on PostgreSQL.
	writeMu sync.Mutex
	// holdWriter is whether Tx writes through one connection it keeps,
	// writer (see writer.go); guarded by writeMu.
	holdWriter bool
	writer     *sql.Conn
	// ckpt runs the WAL checkpoints of a SQLite file OpenSQLite opened;
	// nil otherwise.
	ckpt *checkpointer
}

// Option configures a DB.
type Option func(*DB) error

// WithLogger sets where the DB logs the migrations it applies (Info). It
// never logs data. The default discards everything; nil is refused.
func WithLogger(l *slog.Logger) Option {
	return func(d *DB) error {
		if l == nil {
			return errors.New("database: WithLogger: nil logger")
		}
		d.log = l
		return nil
	}
}

// Open opens the database dsn names and pings it:
//
//   - "sqlite:PATH" — the SQLite file at PATH, created when missing (see
//     OpenSQLite); "sqlite::memory:" is a private in-memory database.
//   - "postgres://…" or "postgresql://…" — a PostgreSQL URL as pgx accepts
//     it (see OpenPostgres).
//
// The DB owns its connections: Close closes them. Open does not migrate;
// each SQL store migrates its component when it is made, or the
// application calls Migrate once with every component.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), opts...)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return OpenPostgres(ctx, dsn, opts...)
	}
	// The DSN may hold a password: name only its scheme.
	scheme, _, ok := strings.Cut(dsn, ":")
	if !ok {
		scheme = "none"
	}
	return nil, fmt.Errorf(`database: open: scheme %q: want "sqlite:PATH" or "postgres://…"`, scheme)
}

// OpenSQLite opens (creating it when missing) the SQLite database file at
// path with SQLiteDSN's settings, and checkpoints its write-ahead log in
// the background: its writers leave copying the log into the database
// file to a goroutine of the DB (on a connection of its own, in SQLite's
// PASSIVE mode, which blocks nobody) and do it themselves only when the
// log has grown past 16 MiB, by then mostly copied. Tx writes through one
// connection the DB keeps, so that SQLite's page cache of the database
// stays warm from one transaction to the next (see writer.go). The path
// ":memory:" gives a private in-memory database served by one connection,
// for tests.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("database: open sqlite: path %q must be non-empty and contain neither '?' nor '#'", path)
	}
	if path == ":memory:" {
		db := sql.OpenDB(SQLiteConnector(SQLiteDSN(path)))
		db.SetMaxOpenConns(1)
		return openOwned(ctx, db, SQLite, opts)
	}
	db := sql.OpenDB(SQLiteConnector(fmt.Sprintf("%s&_pragma=wal_autocheckpoint(%d)", SQLiteDSN(path), checkpointFallback)))
	db.SetMaxIdleConns(16)
	d, err := openOwned(ctx, db, SQLite, opts)
	if err != nil {
		return nil, err
	}
	d.ckpt = startCheckpointer(db, d.log)
	d.holdWriter = true
	return d, nil
}

// SQLiteDSN returns the modernc.org/sqlite data source name OpenSQLite
// uses for the file at path: WAL, synchronous NORMAL, a 10 s busy timeout,
// foreign keys on, BEGIN IMMEDIATE for transactions, temporary data (the
// statement journals of multi-row writes) in memory rather than in
// temporary files, and a page cache of up to 16 MiB per connection
// (SQLite's default is 2 MiB: a batch of 1,000 synced users touches more,
// and spilled pages to the log in the middle of its transaction). The
// cache grows only with the pages a connection reads or writes. Use it
// to open the database yourself for New; such a database checkpoints its
// log the way SQLite does by default.
func SQLiteDSN(path string) string {
	return fmt.Sprintf("%s?_busy_timeout=%d&_foreign_keys=1&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate&_pragma=temp_store(memory)&_pragma=cache_size(-16384)", path, sqliteBusyTimeout)
}

// OpenPostgres connects to the PostgreSQL database dsn (a URL or key=value
// string as pgx accepts) with a pool that keeps every connection it opened
// (up to 100, PostgreSQL's default max_connections) for 5 minutes idle.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("database: open postgres: %w", err)
	}
	db.SetMaxIdleConns(100) // no new sessions under a steady load
	db.SetConnMaxIdleTime(5 * time.Minute)
	return openOwned(ctx, db, Postgres, opts)
}

func openOwned(ctx context.Context, db *sql.DB, dialect Dialect, opts []Option) (*DB, error) {
	d, err := newDB(ctx, db, dialect, opts)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	d.own = true
	return d, nil
}

// New wraps a *sql.DB the application opened itself, which speaks
// dialect, and pings it. The DB does not own db: Close leaves it open. A
// SQLite db must be opened with SQLiteDSN's settings (at least foreign keys
// on, a busy timeout and immediate transactions); a PostgreSQL db through
// pgx's stdlib driver.
func New(ctx context.Context, db *sql.DB, dialect Dialect, opts ...Option) (*DB, error) {
	if db == nil {
		return nil, errors.New("database: new: nil *sql.DB")
	}
	return newDB(ctx, db, dialect, opts)
}

func newDB(ctx context.Context, db *sql.DB, dialect Dialect, opts []Option) (*DB, error) {
	if !dialect.valid() {
		return nil, fmt.Errorf("database: unknown dialect %q", dialect)
	}
	d := &DB{sql: db, dialect: dialect, log: slog.New(slog.DiscardHandler)}
	var errs []error
	for _, o := range opts {
		if o == nil {
			errs = append(errs, errors.New("database: nil Option"))
			continue
		}
		errs = append(errs, o(d))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ping(ctx, db, dialect); err != nil {
		return nil, fmt.Errorf("database: %s: %w", dialect, err)
	}
	return d, nil
}

// ping checks that the database answers. A SQLite file that another
// connection is turning into WAL mode at that moment (several processes
// opening a new database at once) refuses the journal_mode pragma of a new
// connection with SQLITE_BUSY without waiting, so a busy answer is tried
// again, for up to the busy timeout.
func ping(ctx context.Context, db *sql.DB, dialect Dialect) error {
	deadline := time.Now().Add(sqliteBusyTimeout * time.Millisecond)
	wait := 5 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		if err == nil || dialect != SQLite || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

func isBusy(err error) bool {
	e, ok := errors.AsType[*sqlite.Error](err)
	return ok && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// SQL returns the database handle, for the SQL stores built on the DB,
// health checks and an application's own tables. Writing to Usher's
// tables (usher_…) behind the stores' backs breaks their change feeds.
func (d *DB) SQL() *sql.DB { return d.sql }

// Dialect returns the database's dialect.
func (d *DB) Dialect() Dialect { return d.dialect }

// Close closes the database when the DB owns it (Open, OpenSQLite,
// OpenPostgres) and does nothing otherwise. Close it after the stores
// built on it.
func (d *DB) Close() error {
	if !d.own {
		return nil
	}
	if d.ckpt != nil {
		d.ckpt.close()
	}
	d.releaseWriter()
	if err := d.sql.Close(); err != nil {
		return fmt.Errorf("database: close: %w", err)
	}
	return nil
}
