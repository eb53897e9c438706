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

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/ids"
	"github.com/usher-sdk/usher/userstore"
)

// defaultPageSize is how many rows a stream reads with one query.
const defaultPageSize = 200

// Store is a userstore.Store on a SQL database. Make one with New on the
// application's database.DB, or with OpenSQLite or OpenPostgres. A Store
// is safe for concurrent use, and several Stores, in this process or
// others, may share one database: every write is one transaction,
// together with its change-feed event.
type Store struct {
	base     *database.DB
	db       *sql.DB // base.SQL()
	dialect  database.Dialect
	realm    string
	clock    func() time.Time
	log      *slog.Logger
	readOnly bool
	ownDB    bool
	pageSize int

	closed   atomic.Bool
	analyzed atomic.Bool // analyzeIfNeverAnalyzed has run

	ids ids.Sequence

	stmts sync.Map // query -> *sql.Stmt; see prepared

	audits auditQueue // PostgreSQL's AppendAudit group commit

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

// WithRealm makes the Store serve the user pool name (1 to 200 bytes
// without control characters). Realms sharing a database are independent:
// the same username may exist in each, and each has its own change feed.
// The default is database.DefaultRealm.
func WithRealm(name string) Option { return func(c *config) { c.realm = name } }

// WithoutMigrations keeps New, OpenSQLite and OpenPostgres from
// migrating the schema, for applications that migrate every component at
// once with database.DB.Migrate and Component. The schema must then be
// current: New checks it and refuses an older or newer one with a
// *database.SchemaError.
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
// path with database.OpenSQLite and returns a Store on it that owns it:
// Close closes the database. It is shorthand for an application whose
// only SQL store is this one; one that keeps several components in the
// database opens it once and calls New for each. The path ":memory:"
// gives a private in-memory database, for tests.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*Store, error) {
	db, err := database.OpenSQLite(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	return own(ctx, db, opts)
}

// OpenPostgres connects to the PostgreSQL database dsn with
// database.OpenPostgres and returns a Store that owns the connection pool:
// Close closes it. Like OpenSQLite, it is shorthand for a database that
// serves this store alone.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	db, err := database.OpenPostgres(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	return own(ctx, db, opts)
}

func own(ctx context.Context, db *database.DB, opts []Option) (*Store, error) {
	s, err := New(ctx, db, opts...)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.ownDB = true
	return s, nil
}

// Component returns the user store's schema, to migrate with
// database.DB.Migrate together with the application's other components
// (and then make Stores WithoutMigrations). Its name is "userstore".
func Component() database.Component {
	return database.Component{Name: "userstore", Migrations: migrationFS}
}

// New returns a Store on db. It migrates the core and userstore schema
// unless WithoutMigrations or WithReadOnly is given (then it checks that
// the schema is current) and registers the realm. A database migrated by
// a newer version of Usher than this one is refused with an error
// matching database.ErrSchemaTooNew. The Store does not own db: Close
// leaves it open for the application's other stores.
func New(ctx context.Context, db *database.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: new: nil *database.DB")
	}
	c := config{realm: database.DefaultRealm, migrate: true, clock: time.Now, log: slog.New(slog.DiscardHandler), pageSize: defaultPageSize}
	for _, o := range opts {
		o(&c)
	}
	if err := database.CheckRealm(c.realm); err != nil {
		return nil, fmt.Errorf("sqlstore: new: %w", err)
	}
	s := &Store{base: db, db: db.SQL(), dialect: db.Dialect(), realm: c.realm, clock: c.clock, log: c.log,
		readOnly: c.readOnly, pageSize: c.pageSize, q: newQueries(db.Dialect())}
	if err := db.Prepare(ctx, c.migrate, Component()); err != nil {
		return nil, fmt.Errorf("sqlstore: new: %w", err)
	}
	if !c.readOnly {
		if err := s.ensureRealm(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ensureRealm registers the realm in the core schema and gives it its
// row in usher_user_feed (SQLite's change counter), and on PostgreSQL
// checks the feed's base.
func (s *Store) ensureRealm(ctx context.Context) error {
	if err := s.base.AddRealm(ctx, s.realm); err != nil {
		return s.fail("register realm", err)
	}
	err := s.base.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_user_feed (realm) VALUES ($1) ON CONFLICT DO NOTHING`, s.realm)
		return err
	})
	if err != nil {
		return s.fail("register realm", err)
	}
	return s.fail("check change feed", s.checkFeedBase(ctx))
}

// Realm returns the name of the user pool the Store serves.
func (s *Store) Realm() string { return s.realm }

// DB returns the Store's database, for health checks and for reading the
// schema; writing to the usher_ tables behind the Store's back breaks its
// change feed.
func (s *Store) DB() *database.DB { return s.base }

// Close closes the database when the Store owns it (OpenSQLite,
// OpenPostgres). Every later call returns an error matching
// userstore.ErrClosed; closing again returns nil.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.closeStmts()
	if s.ownDB {
		// The DB's Close, not its *sql.DB's: it also stops the DB's
		// background checkpoints.
		if err := s.base.Close(); err != nil {
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

// lockWriter serializes this process's SQLite writers for a write made
// outside write; the returned function unlocks.
func (s *Store) lockWriter() func() { return s.base.LockWriter() }

// tx is a write transaction that can append change-feed events.
type tx struct {
	*sql.Tx
	s *Store
	// n counts the events appended so far; the first has position first.
	n     int64
	first int64
	based bool
}

// write runs fn in a write transaction and commits it when fn returns nil.
// No lock is taken for the change feed: events get their positions from
// the transaction itself (see emit), so writers of a realm run side by
// side on PostgreSQL. On SQLite, whose transactions hold the database's
// write lock, the realm's counter is saved before the commit.
func (s *Store) write(ctx context.Context, op string, fn func(*tx) error) error {
	if err := s.writable(ctx, op); err != nil {
		return err
	}
	err := s.base.Tx(ctx, func(sqlTx *sql.Tx) error {
		t := &tx{Tx: sqlTx, s: s}
		if err := fn(t); err != nil {
			return err
		}
		return t.saveCounter(ctx)
	})
	return s.fail(op, err)
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
	if s.dialect != database.Postgres {
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
	if i := strings.IndexByte(after, 0); i >= 0 && s.dialect == database.Postgres {
		return after[:i]
	}
	return after
}
