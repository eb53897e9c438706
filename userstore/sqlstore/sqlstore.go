package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/usher-sdk/usher/userstore"
)

// Dialect names the SQL database behind a Store.
type Dialect string

// The dialects a Store speaks.
const (
	// SQLite is modernc.org/sqlite (driver name "sqlite"), 3.35 or later.
	SQLite Dialect = "sqlite"
	// Postgres is PostgreSQL 12 or later through github.com/jackc/pgx/v5/stdlib
	// (driver name "pgx").
	Postgres Dialect = "postgres"
)

func (d Dialect) valid() bool { return d == SQLite || d == Postgres }

// DefaultRealm is the realm of a Store opened without WithRealm.
const DefaultRealm = "default"

// defaultPageSize is how many rows a stream reads with one query.
const defaultPageSize = 200

// sqliteBusyTimeout is how long a SQLite connection waits for another
// writer, in milliseconds, before it reports SQLITE_BUSY.
const sqliteBusyTimeout = 10000

// Store is a userstore.Store on a SQL database. Make one with OpenSQLite,
// OpenPostgres or New. A Store is safe for concurrent use, and several
// Stores, in this process or others, may share one database: every write
// is one transaction, together with its change-feed event.
type Store struct {
	db       *sql.DB
	dialect  Dialect
	realm    string
	clock    func() time.Time
	log      *slog.Logger
	readOnly bool
	ownDB    bool
	pageSize int

	closed atomic.Bool

	// writeMu serializes this process's SQLite writers, which would
	// otherwise poll for the database lock; other processes still wait
	// through the busy timeout.
	writeMu sync.Mutex

	idMu   sync.Mutex
	lastID [16]byte

	stmts sync.Map // query -> *sql.Stmt; see prepared

	q queries
}

var _ userstore.Store = (*Store)(nil)

// config is what options set.
type config struct {
	realm    string
	migrate  bool
	clock    func() time.Time
	log      *slog.Logger
	readOnly bool
	pageSize int
}

// Option configures a Store.
type Option func(*config)

// WithRealm makes the Store serve the user pool name. Realms sharing a
// database are independent: the same username may exist in each, and each
// has its own change feed. The default is DefaultRealm.
func WithRealm(name string) Option { return func(c *config) { c.realm = name } }

// WithoutMigrations keeps Open and New from migrating the schema, for
// operators who run Migrate themselves. The schema must then be current.
func WithoutMigrations() Option { return func(c *config) { c.migrate = false } }

// WithClock sets the clock that stamps created, updated, change and audit
// times and the time part of new IDs. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithLogger sets where the Store logs migrations and similar events; it
// never logs user data. The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithReadOnly makes every write fail with an error matching
// userstore.ErrReadOnly and skips migrations; reads work as usual.
func WithReadOnly() Option { return func(c *config) { c.readOnly, c.migrate = true, false } }

// WithPageSize sets how many rows a stream (ListUsers, Changes, Audit...)
// reads with one query, and so holds in memory. The default is 200.
func WithPageSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.pageSize = n
		}
	}
}

// OpenSQLite opens (creating it when missing) the SQLite database file at
// path in WAL mode with a busy timeout, foreign keys on and immediate
// write transactions, migrates it unless WithoutMigrations is given, and
// returns a Store that owns it: Close closes the database.
//
// The path ":memory:" gives a private in-memory database served by one
// connection, for tests.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlstore: open sqlite: path %q must be non-empty and contain neither '?' nor '#'", path)
	}
	db, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
	} else {
		db.SetMaxIdleConns(16)
	}
	s, err := New(ctx, db, SQLite, opts...)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.ownDB = true
	return s, nil
}

// SQLiteDSN returns the modernc.org/sqlite data source name OpenSQLite
// uses for the file at path: WAL, synchronous NORMAL, a 10 s busy timeout,
// foreign keys on and BEGIN IMMEDIATE for transactions. Use it to open the
// database yourself for New or Migrate.
func SQLiteDSN(path string) string {
	return fmt.Sprintf("%s?_busy_timeout=%d&_foreign_keys=1&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate", path, sqliteBusyTimeout)
}

// OpenPostgres connects to the PostgreSQL database dsn (a URL or key=value
// string as pgx accepts), migrates it unless WithoutMigrations is given,
// and returns a Store that owns the connection pool: Close closes it.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s, err := New(ctx, db, Postgres, opts...)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.ownDB = true
	return s, nil
}

// New returns a Store on db, which speaks dialect. It pings db, migrates
// it unless WithoutMigrations or WithReadOnly is given, and registers the
// realm. The Store does not own db: Close leaves it open. A SQLite db
// should be opened with SQLiteDSN's settings (at least foreign keys on and
// a busy timeout).
func New(ctx context.Context, db *sql.DB, dialect Dialect, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: new: nil *sql.DB")
	}
	if !dialect.valid() {
		return nil, fmt.Errorf("sqlstore: new: unknown dialect %q", dialect)
	}
	c := config{realm: DefaultRealm, migrate: true, clock: time.Now, log: slog.New(slog.DiscardHandler), pageSize: defaultPageSize}
	for _, o := range opts {
		o(&c)
	}
	if c.realm == "" || len(c.realm) > 200 || strings.ContainsFunc(c.realm, func(r rune) bool { return r < 0x20 }) {
		return nil, fmt.Errorf("sqlstore: new: realm %q must be 1 to 200 bytes without control characters", c.realm)
	}
	s := &Store{db: db, dialect: dialect, realm: c.realm, clock: c.clock, log: c.log,
		readOnly: c.readOnly, pageSize: c.pageSize, q: newQueries(dialect)}
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("sqlstore: new: %w", err)
	}
	if c.migrate {
		if err := migrate(ctx, db, dialect, c.log); err != nil {
			return nil, err
		}
	}
	if !c.readOnly {
		if err := s.ensureRealm(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ensureRealm creates the realm's change counter when missing.
func (s *Store) ensureRealm(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO usher_realms (realm, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING`, s.realm); err != nil {
		return s.fail("register realm", err)
	}
	return nil
}

// Realm returns the name of the user pool the Store serves.
func (s *Store) Realm() string { return s.realm }

// Dialect returns the dialect of the Store's database.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns the Store's database handle, for health checks and for
// reading the schema; writing to the usher_ tables behind the Store's back
// breaks its change feed.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database when the Store owns it (OpenSQLite,
// OpenPostgres). Every later call returns an error matching
// userstore.ErrClosed; closing again returns nil.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.closeStmts()
	if s.ownDB {
		if err := s.db.Close(); err != nil {
			return fmt.Errorf("sqlstore: close: %w", err)
		}
	}
	return nil
}

// now reads the clock in UTC without a monotonic reading.
func (s *Store) now() time.Time { return s.clock().UTC() }

// ready checks ctx and whether the Store is closed, before an operation.
func (s *Store) ready(ctx context.Context, op string) error {
	if s.closed.Load() {
		return fmt.Errorf("sqlstore: %s: %w", op, userstore.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	return nil
}

// writable is ready for writes: it also refuses them in read-only mode.
func (s *Store) writable(ctx context.Context, op string) error {
	if err := s.ready(ctx, op); err != nil {
		return err
	}
	if s.readOnly {
		return fmt.Errorf("sqlstore: %s: %w", op, userstore.ErrReadOnly)
	}
	return nil
}

// lockWriter serializes this process's SQLite writers; the returned
// function unlocks. It is a no-op on PostgreSQL, whose row locks suffice.
func (s *Store) lockWriter() func() {
	if s.dialect != SQLite {
		return func() {}
	}
	s.writeMu.Lock()
	return s.writeMu.Unlock
}

// tx is a write transaction that can append change-feed events.
type tx struct {
	*sql.Tx
	s        *Store
	seq      int64 // last Seq allocated
	startSeq int64
}

// write runs fn in a write transaction and commits it when fn returns nil.
// With feed, it first locks the realm's change counter, so that the events
// fn emits get Seqs in commit order and every writer of the realm waits
// its turn; the counter is saved before the commit.
func (s *Store) write(ctx context.Context, op string, feed bool, fn func(*tx) error) error {
	if err := s.writable(ctx, op); err != nil {
		return err
	}
	defer s.lockWriter()()
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(op, err)
	}
	t := &tx{Tx: sqlTx, s: s}
	err = func() error {
		if feed {
			if err := t.lockFeed(ctx); err != nil {
				return err
			}
		}
		if err := fn(t); err != nil {
			return err
		}
		if t.seq != t.startSeq {
			if _, err := t.ExecContext(ctx, `UPDATE usher_realms SET seq = $2 WHERE realm = $1`, s.realm, t.seq); err != nil {
				return err
			}
		}
		return t.Commit()
	}()
	if err != nil {
		_ = t.Rollback()
		return s.fail(op, err)
	}
	return nil
}

// lockFeed reads and locks the realm's change counter, creating it when
// missing.
func (t *tx) lockFeed(ctx context.Context) error {
	for range 2 {
		err := t.QueryRowContext(ctx, t.s.q.lockRealm, t.s.realm).Scan(&t.seq)
		if !errors.Is(err, sql.ErrNoRows) {
			t.startSeq = t.seq
			return err
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO usher_realms (realm, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING`, t.s.realm); err != nil {
			return err
		}
	}
	return errors.New("realm row vanished")
}

// emit appends a change-feed event; the transaction must have been begun
// with feed.
func (t *tx) emit(ctx context.Context, kind userstore.ChangeKind, userID, group string, at time.Time) error {
	t.seq++
	_, err := t.ExecContext(ctx, `INSERT INTO usher_changes (realm, seq, kind, user_id, group_name, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.s.realm, t.seq, string(kind), userID, group, toNS(at))
	return err
}

// toNS and fromNS convert times to and from Unix nanoseconds, with 0 for
// the zero time.
// Times outside the range of int64 nanoseconds (years 1678 to 2262) are
// clamped to its ends.
func toNS(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.After(maxTime):
		return math.MaxInt64
	case t.Before(minTime):
		return math.MinInt64 + 1
	}
	return t.UnixNano()
}

var (
	maxTime = time.Unix(0, math.MaxInt64)
	minTime = time.Unix(0, math.MinInt64+1)
)

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// cannotStore reports whether one of the strings among args cannot be
// stored in the database, so that no stored record can match it:
// PostgreSQL's text holds no NUL byte.
func (s *Store) cannotStore(args ...any) bool {
	if s.dialect != Postgres {
		return false
	}
	for _, a := range args {
		if v, ok := a.(string); ok && strings.IndexByte(v, 0) >= 0 {
			return true
		}
	}
	return false
}

// cursor makes a string keyset cursor storable. On PostgreSQL, whose
// text holds no NUL byte, "a\x00b" becomes "a": no stored string lies
// between them.
func (s *Store) cursor(after string) string {
	if i := strings.IndexByte(after, 0); i >= 0 && s.dialect == Postgres {
		return after[:i]
	}
	return after
}
