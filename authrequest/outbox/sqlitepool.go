package outbox

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	"github.com/usher-sdk/usher/database"
)

// River's own work on SQLite (fetching jobs, recording their outcome,
// electing a leader, cleaning up) would, on the application's pool, wait
// for the database's write lock in SQLite's busy handler, which polls with
// growing sleeps, while the application's writers queue for it in Go
// (database.DB.Tx) and hand it on to each other at once: under a steady
// load of writes River starved (a leader re-election timed out after 5 s,
// deliveries fell half a minute behind). So on a SQLite file River gets a
// small pool of its own on the same file, with the same settings, whose
// connections take the DB's writer lock (database.DB.LockWriter) for each
// transaction and each statement outside one, and so queue in Go with the
// application's writers, in turn. Reads inside River's transactions are
// serialized too, which costs little: River's transactions are short.

// riverPool returns the *sql.DB River works on and a function that closes
// it (nil when River uses the DB's own pool: PostgreSQL, or an in-memory
// SQLite database, which only its one connection can reach).
func riverPool(ctx context.Context, db *database.DB) (*sql.DB, func() error, error) {
	if db.Dialect() != database.SQLite {
		return db.SQL(), nil, nil
	}
	var file string
	err := db.SQL().QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file)
	if err != nil {
		return nil, nil, fmt.Errorf("outbox: sqlite file: %w", err)
	}
	if file == "" {
		return db.SQL(), nil, nil
	}
	// database.SQLiteConnector: the same settings, and River's long
	// queries are parsed once per connection.
	inner := database.SQLiteConnector(database.SQLiteDSN(file))
	c := &lockedConnector{drv: inner.Driver(), inner: inner, dsn: database.SQLiteDSN(file), lock: db.LockWriter}
	pool := sql.OpenDB(c)
	pool.SetMaxOpenConns(4)
	pool.SetMaxIdleConns(4)
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, nil, fmt.Errorf("outbox: sqlite: %w", err)
	}
	return pool, pool.Close, nil
}

// lockedConnector makes connections whose writes take the writer lock.
type lockedConnector struct {
	drv   driver.Driver
	inner driver.Connector // nil: drv.Open(dsn)
	dsn   string
	lock  func() (unlock func())
}

func (c *lockedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var conn driver.Conn
	var err error
	if c.inner != nil {
		conn, err = c.inner.Connect(ctx)
	} else {
		conn, err = c.drv.Open(c.dsn)
	}
	if err != nil {
		return nil, err
	}
	for _, need := range []bool{
		func() bool { _, ok := conn.(driver.ConnBeginTx); return ok }(),
		func() bool { _, ok := conn.(driver.ExecerContext); return ok }(),
		func() bool { _, ok := conn.(driver.QueryerContext); return ok }(),
		func() bool { _, ok := conn.(driver.ConnPrepareContext); return ok }(),
	} {
		if !need {
			_ = conn.Close()
			return nil, errors.New("outbox: sqlite driver lacks a context interface")
		}
	}
	return &lockedConn{Conn: conn, lock: c.lock}, nil
}

func (c *lockedConnector) Driver() driver.Driver { return c.drv }

// lockedConn holds the writer lock from BeginTx to Commit or Rollback,
// and around each statement outside a transaction (until its rows are
// closed). database/sql uses a connection from one goroutine at a time.
type lockedConn struct {
	driver.Conn
	lock   func() (unlock func())
	mu     sync.Mutex // guards unlock against Close from the pool's cleaner
	unlock func()     // set while a transaction holds the lock
}

func (c *lockedConn) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unlock != nil {
		c.unlock()
		c.unlock = nil
	}
}

func (c *lockedConn) inTx() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unlock != nil
}

func (c *lockedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	unlock := c.lock()
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		unlock()
		return nil, err
	}
	c.mu.Lock()
	c.unlock = unlock
	c.mu.Unlock()
	return &lockedTx{Tx: tx, c: c}, nil
}

// Begin is driver.Conn's; database/sql calls BeginTx.
func (c *lockedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *lockedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if !c.inTx() {
		defer c.lock()()
	}
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *lockedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.inTx() {
		return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	unlock := c.lock()
	rows, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	if err != nil {
		unlock()
		return nil, err
	}
	return &lockedRows{Rows: rows, unlock: unlock}, nil
}

func (c *lockedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &lockedStmt{Stmt: st, c: c}, nil
}

// CheckNamedValue lets the driver convert its own argument types.
func (c *lockedConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *lockedConn) Close() error {
	c.release()
	return c.Conn.Close()
}

func (c *lockedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *lockedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

type lockedTx struct {
	driver.Tx
	c *lockedConn
}

func (t *lockedTx) Commit() error {
	defer t.c.release()
	return t.Tx.Commit()
}

func (t *lockedTx) Rollback() error {
	defer t.c.release()
	return t.Tx.Rollback()
}

type lockedRows struct {
	driver.Rows
	once   sync.Once
	unlock func()
}

func (r *lockedRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.unlock)
	return err
}

// lockedStmt is a prepared statement, run under the lock outside a
// transaction like the connection's own statements.
type lockedStmt struct {
	driver.Stmt
	c *lockedConn
}

func (s *lockedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if !s.c.inTx() {
		defer s.c.lock()()
	}
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	return nil, errors.New("outbox: sqlite statement lacks ExecContext")
}

func (s *lockedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, errors.New("outbox: sqlite statement lacks QueryContext")
	}
	if s.c.inTx() {
		return q.QueryContext(ctx, args)
	}
	unlock := s.c.lock()
	rows, err := q.QueryContext(ctx, args)
	if err != nil {
		unlock()
		return nil, err
	}
	return &lockedRows{Rows: rows, unlock: unlock}, nil
}
