package sqlstore

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Audit events are appended on every refused login, so under attack they
// are most of a database's writes. On PostgreSQL, concurrent AppendAudit
// calls of a Store share INSERTs (group commit): a call joins the queue,
// and while one INSERT runs, the calls that arrive meanwhile gather for the
// next, which one of them leads. Every call returns once the INSERT holding
// its event has committed, with that INSERT's error, so an event is as
// durable as with an INSERT of its own; a lone call waits for nobody.

// auditBatchMax is how many events one INSERT holds at most (9 parameters
// each).
const auditBatchMax = 100

// auditInsertTimeout bounds a batch INSERT, which runs apart from the
// leading caller's context so that one caller giving up cannot fail the
// others' events.
const auditInsertTimeout = 30 * time.Second

// auditQueue is the Store's queue of events waiting for an INSERT.
type auditQueue struct {
	mu      sync.Mutex
	pending []*auditCall
	busy    bool // an INSERT runs, or its leader is about to start it
}

// auditCall is one AppendAudit waiting in the queue: its INSERT's values,
// and where it learns its outcome or that it leads the next INSERT.
type auditCall struct {
	args []any
	done chan error    // the outcome of the INSERT that held the event
	lead chan struct{} // this call leads the next INSERT
}

// appendAuditBatched appends one event's values (auditInsert's
// parameters) through the queue.
func (s *Store) appendAuditBatched(ctx context.Context, args []any) error {
	c := &auditCall{args: args, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	q := &s.audits
	q.mu.Lock()
	q.pending = append(q.pending, c)
	leads := !q.busy
	q.busy = true
	q.mu.Unlock()
	if !leads {
		// No giving up on ctx here: the call may be handed the lead, and
		// the wait lasts one INSERT at most.
		select {
		case err := <-c.done:
			return err
		case <-c.lead:
		}
	}

	q.mu.Lock()
	n := min(len(q.pending), auditBatchMax)
	batch := q.pending[:n:n]
	q.pending = q.pending[n:]
	q.mu.Unlock()

	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditInsertTimeout)
	err := s.insertAudits(ictx, batch)
	cancel()
	for _, b := range batch {
		b.done <- err
	}

	q.mu.Lock()
	if len(q.pending) > 0 {
		q.pending[0].lead <- struct{}{}
	} else {
		q.busy = false
	}
	q.mu.Unlock()
	return <-c.done
}

// insertAudits writes a batch of events with one INSERT.
func (s *Store) insertAudits(ctx context.Context, batch []*auditCall) error {
	if len(batch) == 1 {
		_, err := cached{s}.ExecContext(ctx, auditInsert, batch[0].args...)
		return err
	}
	args := make([]any, 0, len(batch)*len(batch[0].args))
	for _, b := range batch {
		args = append(args, b.args...)
	}
	query := strings.Replace(auditInsert, "($1, $2, $3, $4, $5, $6, $7, $8, $9)", s.placeholders(len(batch), 9, 1), 1)
	_, err := s.db.ExecContext(ctx, query, args...)
	return err
}
