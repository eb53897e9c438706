// Package sqlstore is an authrequest.Store on the application's shared
// database (database.DB, SQLite or PostgreSQL), in the tables
// usher_authrequest_*, with a durable outbox for callback deliveries
// (authrequest/outbox, on River). Its schema is the "authrequest"
// database.Component (Component), which New migrates together with
// River's ("river", outbox.Component) in one step. It passes
// authrequest/storetest.
//
// Every change to a request is stored in one transaction together with
// the deliveries it causes, so that a callback is recorded if and only if
// its event is, and is then delivered at least once, also across crashes,
// once StartDelivery runs in some process.
//
// Concurrency, also across processes sharing a PostgreSQL database:
// UpdateRequest and UpdatePreApproval read their row with SELECT … FOR
// UPDATE, so that two concurrent answers never both see a pending request;
// CreateRequest with singlePending first takes a transaction-scoped
// advisory lock on the user and application (pg_advisory_xact_lock), so
// that of concurrent creators only one stores a pending request. On SQLite
// every write transaction holds the database's write lock from its start
// (database.DB.Tx), which serializes them anyway.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/outbox"
	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/ids"
)

//go:embed migrations
var migrationFS embed.FS

// Component returns the schema of the store, named "authrequest", to
// migrate with database.DB.Migrate together with the application's other
// components, and with outbox.Component, which the store needs too.
func Component() database.Component {
	return database.Component{Name: "authrequest", Migrations: migrationFS}
}

// Store is an authrequest.Store on a database.DB. Make it with New. It is
// safe for concurrent use, also by several processes sharing the
// database. After Close every method returns authrequest.ErrClosed.
type Store struct {
	db        *database.DB
	out       *outbox.Outbox
	noMigrate bool
	outCfg    outbox.Config
	log       *slog.Logger
	now       func() time.Time
	rand      io.Reader
	seq       ids.Sequence

	mu       sync.Mutex
	started  bool
	closed   atomic.Bool
	closeErr error
}

var _ authrequest.Store = (*Store)(nil)

// Option sets a dependency of a Store.
type Option func(*Store)

// WithClock sets the clock of the times the store sets (IDs, CreatedAt,
// UpdatedAt). Default: time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithoutMigrations makes New check that the schema ("authrequest" and
// "river") is current instead of migrating it.
func WithoutMigrations() Option { return func(s *Store) { s.noMigrate = true } }

// WithOutbox sets how the store's outbox delivers (workers, timeouts,
// retries, retention); zero fields take outbox's defaults.
func WithOutbox(c outbox.Config) Option { return func(s *Store) { s.outCfg = c } }

// WithLogger sets where the outbox logs delivery failures. Default:
// discard. It never logs a delivery's variables.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// New returns a Store on db, migrating the "authrequest" and "river"
// components (and the database's core) in one step unless
// WithoutMigrations is given. It does not own db. The store records
// deliveries at once; it makes them only after StartDelivery.
func New(ctx context.Context, db *database.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil database")
	}
	s := &Store{db: db, now: time.Now, rand: rand.Reader, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("sqlstore: nil Option")
		}
		o(s)
	}
	if s.now == nil || s.log == nil {
		return nil, errors.New("sqlstore: nil clock or logger")
	}
	if err := db.Prepare(ctx, !s.noMigrate, Component(), outbox.Component()); err != nil {
		return nil, fmt.Errorf("sqlstore: authrequest schema: %w", err)
	}
	out, err := outbox.New(db, s.outCfg, outbox.WithLogger(s.log))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	s.out = out
	return s, nil
}

// Outbox returns the store's outbox, for its Stats and Pending.
func (s *Store) Outbox() *outbox.Outbox { return s.out }

// StartDelivery starts delivering, through sender, the deliveries recorded
// by any process sharing the database, those recorded before the call
// included (see outbox.Outbox.Start). It returns at once; the workers run
// until Close or until ctx ends. It can be called once per store.
func (s *Store) StartDelivery(ctx context.Context, sender authrequest.Sender) error {
	if s.closed.Load() {
		return authrequest.ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("sqlstore: delivery already started")
	}
	if err := s.out.Start(ctx, sender); err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	s.started = true
	return nil
}

// closeTimeout bounds how long Close waits for attempts under way.
const closeTimeout = 20 * time.Second

// Close stops the delivery workers, waiting up to 20 s for the attempts
// under way (those cut short are tried again later, by this or another
// process: nothing recorded is lost), and makes every later call return
// authrequest.ErrClosed. It does not close the database. Closing twice is
// harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Swap(true) {
		return s.closeErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := s.out.Close(ctx); err != nil {
		s.closeErr = fmt.Errorf("sqlstore: close: %w", err)
	}
	return s.closeErr
}

// begin is where every method starts.
func (s *Store) begin(ctx context.Context) error {
	if s.closed.Load() {
		return authrequest.ErrClosed
	}
	return ctx.Err()
}

func (s *Store) newID() (string, time.Time, error) {
	now := s.now().UTC().Round(0)
	id, err := s.seq.Next(now, s.rand)
	if err != nil {
		return "", now, fmt.Errorf("sqlstore: id: %w", err)
	}
	return id, now, nil
}

// tx runs fn in a transaction; see database.DB.Tx.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.db.Tx(ctx, fn)
}

func (s *Store) postgres() bool { return s.db.Dialect() == database.Postgres }

// forUpdate is the row-locking suffix of a SELECT inside a transaction:
// FOR UPDATE on PostgreSQL; nothing on SQLite, whose write transactions
// hold the database's write lock from their start.
func (s *Store) forUpdate() string {
	if s.postgres() {
		return " FOR UPDATE"
	}
	return ""
}

// collate makes ORDER BY on text compare bytes, as Go does: PostgreSQL's
// default collation follows the locale.
func (s *Store) collate() string {
	if s.postgres() {
		return ` COLLATE "C"`
	}
	return ""
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nameKey(name string) string { return strings.ToLower(name) }

func isUnique(err error) bool {
	if err == nil {
		return false
	}
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "unique") || strings.Contains(m, "duplicate key")
}

// wrap prefixes a database error, keeping the sentinels of authrequest
// (and fn's errors) as they are.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	for _, e := range []error{authrequest.ErrNotFound, authrequest.ErrConflict, authrequest.ErrInvalid,
		authrequest.ErrPendingExists, authrequest.ErrClosed, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return err
		}
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// notFound turns sql.ErrNoRows into authrequest.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return authrequest.ErrNotFound
	}
	return err
}

// affected returns ErrNotFound when a statement changed no row.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return authrequest.ErrNotFound
	}
	return nil
}
