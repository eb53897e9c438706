package database

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// SQLite in WAL mode appends every commit's pages to the -wal file and
// copies them back into the database file in a checkpoint. By default
// the connection that commits runs the checkpoint when the WAL has grown
// past 1,000 pages, so that a writer, which holds this process's writer
// lock, stops every few transactions to copy and fsync the pages of
// earlier ones: 11% of a bulk directory sync's writer time (issue 11).
//
// A SQLite file that OpenSQLite opens has its connections' automatic
// checkpoints moved to checkpointFallback pages instead, and a goroutine
// of the DB runs a PASSIVE checkpoint (one that blocks no reader or
// writer) after writes, on a connection of its own, beside the writers.
// SQLite starts the log over only at a transaction that began with all
// of it copied, which a writer that follows another at once never does:
// under a sustained load the log grows to checkpointFallback pages, and
// the connection that commits past it checkpoints what the goroutine has
// not copied yet (the last transaction or two) and lets the next
// transaction start the log over. Writes that do not wake the goroutine
// (made on DB.SQL without the writer lock) are covered the same way.
const (
	// checkpointFallback is the WAL size, in pages, at which a committing
	// connection checkpoints itself (4 KiB pages: 16 MiB).
	checkpointFallback = 4096
	// checkpointGap is the least time between two background
	// checkpoints: many small writes share one checkpoint and its two
	// fsyncs.
	checkpointGap = 20 * time.Millisecond
)

// checkpointer runs a DB's background WAL checkpoints.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	wake chan struct{} // a write was committed since the last checkpoint
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func startCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, log: log, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// written tells the checkpointer that a write was committed. It never
// blocks.
func (c *checkpointer) written() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		c.checkpoint()
		select { // writes meanwhile wake the next round
		case <-c.stop:
			return
		case <-time.After(checkpointGap):
		}
	}
}

// checkpoint runs one PASSIVE checkpoint. A failure is logged and tried
// again at the next write: SQLite's own checkpoints cover the WAL
// meanwhile. It is not interrupted by close, which waits for it (a few
// milliseconds; at most the copy of a 16 MiB log): an interrupted query
// is given back to the pool by database/sql on a goroutine of its own,
// which could then still use the file after Close has returned.
func (c *checkpointer) checkpoint() {
	var busy, log, copied int
	if err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied); err != nil {
		c.log.Warn("database: sqlite: background checkpoint failed", "err", err)
	}
}

// close stops the goroutine and waits for it. SQLite checkpoints the WAL
// (and removes it) itself when the last connection to the file closes.
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
