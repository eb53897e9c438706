// Package outbox delivers authrequest callbacks durably: a Delivery is
// recorded as a River job (github.com/riverqueue/river) in the same
// database transaction as the event that causes it, and workers hand it to
// an authrequest.Sender with bounded concurrency, a timeout per attempt and
// retries with exponential backoff and jitter, until it succeeds, fails
// permanently or runs out of attempts. A delivery that finally fails is
// told to the Sender, whose Error callbacks are recorded in its stead.
//
// Delivery is at least once: a process killed during an attempt leaves the
// job running, and River's rescuer retries it after Config.RescueAfter; the
// Delivery's ID (the Standard Webhooks webhook-id) lets receivers drop the
// duplicate. Any number of processes sharing one PostgreSQL database
// deliver each job once in normal operation, as River locks the jobs it
// fetches.
//
// The jobs live in River's tables (river_job and the rest) in the
// application's database, made by the "river" Component, which runs River's
// own migrator inside the one migration step of package database (on
// PostgreSQL in two transactions: River's version 4 adds an enum value
// that later versions use). On a SQLite file (River's riversqlite driver)
// River opens a small pool of its own on the application's file, with
// SQLiteDSN's WAL, 10 s busy timeout and immediate transactions, whose
// writes queue behind the DB's writer lock like the application's own, so
// that neither starves the other. On PostgreSQL River uses its
// database/sql driver over the application's pgx pool. Either way the
// workers poll for new jobs every Config.PollInterval (database/sql cannot
// LISTEN, and River wakes its workers on a commit only for jobs inserted
// outside a transaction, never the outbox's): 10 ms on SQLite, 20 ms on
// PostgreSQL, where an idle poll is a cheap indexed statement. Run
// internal/cmd/authbench to see what the interval does to the latency.
//
// A job's arguments hold the delivery's variables (user names, e-mail
// addresses, answers), so finished jobs are kept only briefly:
// Config.Retention for delivered ones, Config.FailedRetention for those
// that failed.
package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/database"
)

// Queue is the River queue of the deliveries, and Kind their job kind.
const (
	Queue = "usher_authrequest"
	Kind  = "usher_authrequest_delivery"
)

// ComponentName is the name of River's component in usher_migrations.
const ComponentName = "river"

// Defaults of Config.
const (
	DefaultWorkers            = 8
	DefaultAttemptTimeout     = 15 * time.Second
	DefaultMaxAttempts        = 10
	DefaultPollInterval       = 20 * time.Millisecond // PostgreSQL; SQLite's is DefaultSQLitePollInterval
	DefaultSQLitePollInterval = 10 * time.Millisecond
	DefaultRetention          = 10 * time.Minute
	DefaultFailedRetention    = 24 * time.Hour
	// MaxDeliveries bounds the deliveries one Insert records.
	MaxDeliveries = 1000
)

// fetchCooldown is the least time between two fetches of a process's
// workers. River's default, 100 ms, would cap a process at Workers
// deliveries per 100 ms, as a fetch takes at most as many jobs as there
// are free workers.
const fetchCooldown = 5 * time.Millisecond

// ErrNotStarted is returned by Stop when Start was not called.
var ErrNotStarted = errors.New("outbox: not started")

// Config tunes the workers. Its zero value works.
type Config struct {
	// Workers is how many deliveries this process makes at once
	// (DefaultWorkers, 8).
	Workers int
	// AttemptTimeout bounds one attempt, Sender.Send included
	// (DefaultAttemptTimeout, 15 s).
	AttemptTimeout time.Duration
	// MaxAttempts is how many attempts a delivery gets before it finally
	// fails (DefaultMaxAttempts, 10).
	MaxAttempts int
	// NextRetry returns how long to wait after the failed attempt number
	// attempt (from 1) before the next. The default doubles from 1 s up to
	// one hour, each wait drawn at random between half and all of it
	// (jitter), so that ten attempts span about eight minutes.
	NextRetry func(attempt int) time.Duration
	// RescueAfter is how long a job may stay running before River's
	// rescuer, run by the elected leader among the processes, deems its
	// process dead and schedules it again (default four times
	// AttemptTimeout). It must be more than AttemptTimeout.
	RescueAfter time.Duration
	// PollInterval is how often workers look for new jobs
	// (DefaultSQLitePollInterval, 10 ms, on SQLite; DefaultPollInterval,
	// 20 ms, on PostgreSQL).
	PollInterval time.Duration
	// Retention is how long delivered jobs are kept (DefaultRetention,
	// 10 min), FailedRetention those that failed (DefaultFailedRetention,
	// 24 h). Both hold user data; keep them short.
	Retention       time.Duration
	FailedRetention time.Duration
}

func (c Config) withDefaults() (Config, error) {
	if c.Workers < 0 || c.AttemptTimeout < 0 || c.MaxAttempts < 0 || c.RescueAfter < 0 || c.PollInterval < 0 || c.Retention < 0 || c.FailedRetention < 0 {
		return c, errors.New("outbox: negative Config value")
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.NextRetry == nil {
		c.NextRetry = backoff
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = 4 * c.AttemptTimeout
	}
	if c.RescueAfter <= c.AttemptTimeout {
		return c, fmt.Errorf("outbox: RescueAfter %s must be more than AttemptTimeout %s", c.RescueAfter, c.AttemptTimeout)
	}

	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.FailedRetention == 0 {
		c.FailedRetention = DefaultFailedRetention
	}
	return c, nil
}

// backoff is the default NextRetry: 1 s, 2 s, 4 s, … up to one hour, with
// jitter over the upper half.
func backoff(attempt int) time.Duration {
	d := time.Hour
	if attempt >= 1 && attempt <= 12 {
		d = min(time.Second<<(attempt-1), time.Hour)
	}
	return d/2 + rand.N(d/2+1)
}

// Option sets a dependency of the Outbox.
type Option func(*Outbox) error

// WithLogger sets where the outbox and River log (failed attempts at Warn,
// final failures at Error; never a delivery's variables). The default
// discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *Outbox) error {
		if l == nil {
			return errors.New("outbox: WithLogger: nil logger")
		}
		o.log = l
		return nil
	}
}

// Stats are counters of what this process's Outbox did since New.
type Stats struct {
	// Inserted counts deliveries recorded by Insert (and Error callbacks
	// recorded for final failures), whether or not their transaction
	// committed.
	Inserted uint64
	// Delivered counts successful attempts.
	Delivered uint64
	// Retried counts failed attempts that will be tried again.
	Retried uint64
	// Failed counts deliveries that finally failed (permanently or out of
	// attempts).
	Failed uint64
}

// Outbox records deliveries as River jobs and, once started, delivers
// them. It is safe for concurrent use.
type Outbox struct {
	db     *database.DB
	cfg    Config
	log    *slog.Logger
	client *river.Client[*sql.Tx]
	// closePool closes River's own pool, if it has one (riverPool).
	closePool func() error

	sender atomic.Pointer[senderBox]

	mu      sync.Mutex
	started bool

	inserted, delivered, retried, failed atomic.Uint64
}

type senderBox struct{ authrequest.Sender }

// args is a delivery as River's job arguments.
type args struct {
	authrequest.Delivery
}

func (args) Kind() string { return Kind }

func (args) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: Queue} }

// riverDriver returns River's driver for the DB's dialect.
func riverDriver(d database.Dialect, pool *sql.DB) (riverdriver.Driver[*sql.Tx], error) {
	switch d {
	case database.SQLite:
		return riversqlite.New(pool), nil
	case database.Postgres:
		return riverdatabasesql.New(pool), nil
	}
	return nil, fmt.Errorf("outbox: unsupported dialect %q", d)
}

// Component is River's schema as a database Component named "river": one
// Step per version of River's main migration line for the dialect, each
// running River's migrator inside the one migration transaction. Migrate
// it with the components of the stores (sqlstore.New does).
func Component() database.Component {
	return database.Component{Name: ComponentName, Steps: riverSteps}
}

func riverSteps(d database.Dialect) []database.Step {
	drv, err := riverDriver(d, nil)
	if err != nil {
		return nil
	}
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil
	}
	var out []database.Step
	addsEnumValue := false
	for _, v := range m.AllVersions() {
		out = append(out, database.Step{
			Version: v.Version,
			Name:    fmt.Sprintf("river_%03d_%s", v.Version, strings.ReplaceAll(v.Name, " ", "_")),
			Up: func(ctx context.Context, tx *sql.Tx) error {
				// River deprecates MigrateTx because some of its
				// migrations cannot share a transaction: on PostgreSQL,
				// version 4 adds an enum value that later versions use,
				// which CommitBefore handles; TestComponent migrates a
				// fresh database of each dialect.
				//lint:ignore SA1019 the one migration step is the point
				_, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{TargetVersion: v.Version})
				return err
			},
			// PostgreSQL cannot use an enum value in the transaction that
			// added it.
			CommitBefore: addsEnumValue,
		})
		addsEnumValue = d == database.Postgres && strings.Contains(strings.ToUpper(v.SQLUp), "ADD VALUE")
	}
	return out
}

// New makes an Outbox on db, whose "river" Component must be migrated
// (Component). It only records deliveries until Start. On a SQLite file
// River works on a small pool of its own (see Close), whose writes queue
// with the DB's (database.DB.LockWriter).
func New(db *database.DB, cfg Config, opts ...Option) (*Outbox, error) {
	if db == nil {
		return nil, errors.New("outbox: nil DB")
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
		if db.Dialect() == database.SQLite {
			cfg.PollInterval = DefaultSQLitePollInterval
		}
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	o := &Outbox{db: db, cfg: cfg, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("outbox: nil Option")
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	pool, closePool, err := riverPool(context.Background(), db)
	if err != nil {
		return nil, err
	}
	o.closePool = closePool
	drv, err := riverDriver(db.Dialect(), pool)
	if err != nil {
		o.closeRiverPool()
		return nil, err
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{o: o}); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	client, err := river.NewClient(drv, &river.Config{
		Logger:               o.log,
		Queues:               map[string]river.QueueConfig{Queue: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.AttemptTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		// One more attempt than the configuration gives, for a rescued
		// last attempt to record its Error callbacks (see worker.Work).
		MaxAttempts:                 cfg.MaxAttempts + 1,
		FetchCooldown:               min(cfg.PollInterval, fetchCooldown),
		FetchPollInterval:           cfg.PollInterval,
		CompletedJobRetentionPeriod: cfg.Retention,
		CancelledJobRetentionPeriod: cfg.FailedRetention,
		DiscardedJobRetentionPeriod: cfg.FailedRetention,
	})
	if err != nil {
		o.closeRiverPool()
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o.client = client
	return o, nil
}

func (o *Outbox) closeRiverPool() {
	if o.closePool != nil {
		_ = o.closePool()
	}
}

// Close stops the workers as Stop does, waiting up to ctx, and releases
// the connections River holds of its own (on a SQLite file). The Outbox
// cannot be used after Close; the DB stays open.
func (o *Outbox) Close(ctx context.Context) error {
	err := o.Stop(ctx)
	if errors.Is(err, ErrNotStarted) {
		err = nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closePool != nil {
		err = errors.Join(err, o.closePool())
		o.closePool = nil
	}
	return err
}

// Insert records ds in tx, the transaction of the event that causes them,
// so that they are delivered if and only if it commits. At most
// MaxDeliveries at once; none is a no-op.
func (o *Outbox) Insert(ctx context.Context, tx *sql.Tx, ds []authrequest.Delivery) error {
	switch {
	case len(ds) == 0:
		return nil
	case len(ds) > MaxDeliveries:
		return fmt.Errorf("outbox: %d deliveries at once, at most %d: %w", len(ds), MaxDeliveries, authrequest.ErrInvalid)
	case tx == nil:
		return errors.New("outbox: nil transaction")
	}
	for _, d := range ds {
		if d.ID == "" {
			return fmt.Errorf("outbox: delivery without an ID: %w", authrequest.ErrInvalid)
		}
	}
	if len(ds) == 1 {
		if _, err := o.client.InsertTx(ctx, tx, args{ds[0]}, nil); err != nil {
			return fmt.Errorf("outbox: insert: %w", err)
		}
	} else {
		ps := make([]river.InsertManyParams, len(ds))
		for i, d := range ds {
			ps[i] = river.InsertManyParams{Args: args{d}}
		}
		if _, err := o.client.InsertManyTx(ctx, tx, ps); err != nil {
			return fmt.Errorf("outbox: insert: %w", err)
		}
	}
	o.inserted.Add(uint64(len(ds)))
	return nil
}

// Start starts delivering the recorded deliveries through sender, in the
// background, until Stop or until ctx ends. Starting twice is an error.
func (o *Outbox) Start(ctx context.Context, sender authrequest.Sender) error {
	if sender == nil {
		return errors.New("outbox: nil Sender")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.started {
		return errors.New("outbox: already started")
	}
	o.sender.Store(&senderBox{sender})
	if err := o.client.Start(ctx); err != nil {
		return fmt.Errorf("outbox: start: %w", err)
	}
	o.started = true
	return nil
}

// Stop stops fetching deliveries and waits for the attempts under way to
// end, or for ctx; when ctx ends first, the attempts are cancelled, and
// their jobs are tried again later (by this or another process). Stop is
// the graceful counterpart of a crash.
func (o *Outbox) Stop(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.started {
		return ErrNotStarted
	}
	o.started = false
	err := o.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = errors.Join(err, o.client.StopAndCancel(sctx))
	}
	if err != nil {
		return fmt.Errorf("outbox: stop: %w", err)
	}
	return nil
}

// Stats returns the counters of this process's Outbox.
func (o *Outbox) Stats() Stats {
	return Stats{
		Inserted:  o.inserted.Load(),
		Delivered: o.delivered.Load(),
		Retried:   o.retried.Load(),
		Failed:    o.failed.Load(),
	}
}

// Pending counts the deliveries in the database, of every process, not yet
// delivered nor finally failed.
func (o *Outbox) Pending(ctx context.Context) (int, error) {
	var n int
	err := o.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE queue = $1 AND kind = $2
	AND state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`, Queue, Kind).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("outbox: pending: %w", err)
	}
	return n, nil
}

// worker makes one attempt of a delivery.
type worker struct {
	river.WorkerDefaults[args]
	o *Outbox
}

func (w *worker) Timeout(*river.Job[args]) time.Duration { return w.o.cfg.AttemptTimeout }

func (w *worker) NextRetry(job *river.Job[args]) time.Time {
	return time.Now().Add(w.o.cfg.NextRetry(job.Attempt))
}

func (w *worker) Work(ctx context.Context, job *river.Job[args]) error {
	o := w.o
	box := o.sender.Load()
	if box == nil {
		return river.JobSnooze(time.Second) // cannot happen: Start stores it first
	}
	d := job.Args.Delivery
	err := box.Send(ctx, d)
	if err == nil {
		o.delivered.Add(1)
		return nil
	}
	permanent := errors.Is(err, authrequest.ErrPermanent)
	// River allows one attempt more than the configuration (New): the last
	// configured attempt ends the delivery, and the extra one is there for
	// a last attempt whose process died before it could record the
	// failure, which River's rescuer schedules again.
	if !permanent && job.Attempt < o.cfg.MaxAttempts {
		o.retried.Add(1)
		o.log.WarnContext(ctx, "outbox: delivery attempt failed", "delivery", d.ID, "attempt", job.Attempt, "error", err)
		return err
	}
	// The Error callbacks must not be lost: record them before the job
	// ends, in a context that outlives the attempt's timeout.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.cfg.AttemptTimeout)
	defer cancel()
	if rerr := o.recordFailure(rctx, box.Sender, d, err); rerr != nil {
		if errors.Is(rerr, authrequest.ErrInvalid) {
			// Deliveries that can never be recorded (no ID, too many):
			// a bug of the Sender, not worth trying forever.
			o.log.ErrorContext(ctx, "outbox: the Error callbacks of a failed delivery are invalid; dropped", "delivery", d.ID, "error", rerr)
		} else {
			// The database is unreachable: keep the job, and with it the
			// promise of its Error callbacks, and try again later.
			o.log.ErrorContext(ctx, "outbox: cannot record the failure of a delivery; trying it again", "delivery", d.ID, "error", rerr)
			return river.JobSnooze(o.cfg.NextRetry(job.Attempt))
		}
	}
	o.failed.Add(1)
	o.log.ErrorContext(ctx, "outbox: delivery failed", "delivery", d.ID, "attempt", job.Attempt, "permanent", permanent, "error", err)
	return river.JobCancel(err)
}

// recordFailure asks the sender for the Error callbacks of d's failure
// and records them.
func (o *Outbox) recordFailure(ctx context.Context, s authrequest.Sender, d authrequest.Delivery, err error) error {
	es := s.Failed(ctx, d, err)
	if len(es) == 0 {
		return nil
	}
	return o.db.Tx(ctx, func(tx *sql.Tx) error { return o.Insert(ctx, tx, es) })
}
