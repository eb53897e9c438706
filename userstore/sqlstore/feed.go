package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
)

// How change-feed positions (the Seq of userstore.Change) are given out;
// the package documentation says why.
//
// On SQLite, whose transactions hold the database's write lock from their
// first statement, a transaction reads the realm's counter in
// usher_user_feed at its first event and saves it before committing:
// positions are 1, 2, 3... in commit order.
//
// On PostgreSQL an event's position comes from its transaction's ID:
// seq_base + (xid - xid_base) * eventsPerTx + n, where n counts the
// transaction's events from 0 and usher_user_feed_base holds the two
// bases. A reader returns only events below the position of its snapshot's
// xmin (feedHorizon).

// eventsPerTx is how many events one PostgreSQL transaction may append:
// the positions of one transaction ID. It leaves 43 bits of the position
// for transaction IDs, some 8.8e12 transactions after the base.
const eventsPerTx = 1 << 20

var eventsPerTxSQL = strconv.Itoa(eventsPerTx)

// pgPosition is the position of the current transaction's event 0 on
// PostgreSQL. pg_current_xact_id gives the transaction an ID if it has
// none yet. It is NULL, which no insert accepts, when the base is missing.
var pgPosition = `(SELECT b.seq_base + (pg_current_xact_id()::text::bigint - b.xid_base) * ` + eventsPerTxSQL + ` FROM usher_user_feed_base b)`

// pgHorizonXID is, on PostgreSQL, the oldest transaction that may still
// append events that a later statement's snapshot would not see: of the
// running transactions of this statement's snapshot (its xip; or xmax,
// the next ID, when none), those that still run, as pg_stat_activity
// shows them while this statement reads it, in this database — or that
// still run without showing their database (a role this one may not
// see). A transaction of the snapshot that has ended before
// pg_stat_activity is read does not count: it ended before any later
// statement's snapshot, which sees its events. Nor does one of another
// database, which cannot write these tables. The horizon must therefore
// be read in a statement of its own, before the read it bounds
// (pgHorizon): counting a transaction that ended meanwhile would hold
// the horizon back for nothing, and under many short transactions of
// other databases of the same cluster it held it back for seconds.
var pgHorizonXID = `(SELECT least(pg_snapshot_xmax(s)::text::bigint,
	(SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) x WHERE EXISTS (
		SELECT 1 FROM pg_stat_activity a WHERE a.datname = current_database()
		AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)
	OR (NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_xid::text::bigint = x::text::bigint % 4294967296)
		AND pg_xact_status(x) = 'in progress')))
FROM pg_current_snapshot() s)`

// pgHorizon is, on PostgreSQL, the statement that gives the position
// below which every event is settled for any statement that starts after
// it: the first position of pgHorizonXID. Every event below it is
// committed or gone, and every event that becomes visible later lies
// above it. The events of the released schema, below seq_base, are all
// settled.
var pgHorizon = `SELECT greatest(b.seq_base, b.seq_base + (` + pgHorizonXID + ` - b.xid_base) * ` +
	eventsPerTxSQL + `) FROM usher_user_feed_base b`

// settleWait bounds how long Changes waits on PostgreSQL for the
// transactions running when it was called, so that it returns every event
// committed before the call: see settle.
const settleWait = time.Second

// settle waits, on PostgreSQL, until no transaction that was running when
// it was called can still hold the feed's horizon back (or settleWait has
// passed, or ctx ends), so that a Changes called after a write returned
// yields its event. Writes of the same database that run longer only
// delay their younger events to a later call; nothing is skipped either
// way, as every page applies its own horizon.
func (s *Store) settle(ctx context.Context) error {
	if s.dialect != database.Postgres {
		return nil
	}
	var target, horizon int64
	err := s.db.QueryRowContext(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, `+pgHorizonXID).Scan(&target, &horizon)
	deadline := time.Now().Add(settleWait)
	for pause := 500 * time.Microsecond; err == nil && horizon < target && time.Now().Before(deadline); pause = min(2*pause, 50*time.Millisecond) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		err = s.db.QueryRowContext(ctx, `SELECT `+pgHorizonXID).Scan(&horizon)
	}
	return err
}

// positions reserves k positions for events of the transaction and
// returns the first.
func (t *tx) positions(ctx context.Context, k int) (int64, error) {
	if !t.based {
		first, err := t.firstPosition(ctx)
		if err != nil {
			return 0, err
		}
		t.first, t.based = first, true
	}
	if t.s.dialect == database.Postgres && t.n+int64(k) > eventsPerTx {
		return 0, fmt.Errorf("more than %d change-feed events in one transaction: %w", eventsPerTx, userstore.ErrInvalid)
	}
	p := t.first + t.n
	t.n += int64(k)
	return p, nil
}

// firstPosition returns the position of the transaction's first event.
func (t *tx) firstPosition(ctx context.Context) (int64, error) {
	var p int64
	if t.s.dialect == database.Postgres {
		err := t.QueryRowContext(ctx, `SELECT `+pgPosition).Scan(&p)
		return p, err
	}
	for range 2 {
		err := t.QueryRowContext(ctx, `SELECT seq + 1 FROM usher_user_feed WHERE realm = $1`, t.s.realm).Scan(&p)
		if !errors.Is(err, sql.ErrNoRows) {
			return p, err
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO usher_user_feed (realm, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING`, t.s.realm); err != nil {
			return 0, err
		}
	}
	return 0, errors.New("realm row vanished")
}

// saveCounter saves the realm's counter on SQLite after the transaction
// appended events.
func (t *tx) saveCounter(ctx context.Context) error {
	if t.s.dialect == database.Postgres || t.n == 0 {
		return nil
	}
	_, err := t.ExecContext(ctx, `UPDATE usher_user_feed SET seq = $2 WHERE realm = $1`, t.s.realm, t.first+t.n-1)
	return err
}

// emit appends a change-feed event to the transaction.
func (t *tx) emit(ctx context.Context, kind userstore.ChangeKind, userID, group string, at time.Time) error {
	return t.emitGroup(ctx, kind, userID, group, "", at)
}

// emitGroup is emit for a group or member event, with the group's ID.
func (t *tx) emitGroup(ctx context.Context, kind userstore.ChangeKind, userID, group, groupID string, at time.Time) error {
	pos, err := t.positions(ctx, 1)
	if err != nil {
		return err
	}
	_, err = t.ExecContext(ctx, `INSERT INTO usher_changes (realm, pos, kind, user_id, group_name, group_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.s.realm, pos, string(kind), userID, group, groupID, toNS(at))
	return err
}

// checkFeedBase makes sure, on PostgreSQL, that the positions new
// transactions get lie above every stored one. They do as long as the
// database stays in its cluster, whose transaction IDs only grow; a
// database restored into another cluster (pg_dump and restore, logical
// replication) may meet lower IDs. Then the base moves above the stored
// positions, before this Store writes: every process that opens the
// restored database checks, under the base row's lock.
func (s *Store) checkFeedBase(ctx context.Context) error {
	if s.dialect != database.Postgres {
		return nil
	}
	return s.base.Tx(ctx, func(tx *sql.Tx) error {
		var xidBase, seqBase int64
		if err := tx.QueryRowContext(ctx, `SELECT xid_base, seq_base FROM usher_user_feed_base FOR UPDATE`).Scan(&xidBase, &seqBase); err != nil {
			return fmt.Errorf("feed base: %w", err)
		}
		// A snapshot taken once the lock is held: next is above the ID of
		// every transaction that may have written with the current base.
		var next int64
		var last sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
	(SELECT max((SELECT max(c.pos) FROM usher_changes c WHERE c.realm = f.realm)) FROM usher_user_feed f)`).Scan(&next, &last)
		if err != nil {
			return err
		}
		if next-xidBase > (math.MaxInt64-seqBase)/eventsPerTx {
			return errors.New("the change feed's positions are used up: transaction IDs are too far above its base")
		}
		if next > xidBase && seqBase+(next-xidBase)*eventsPerTx > last.Int64 {
			return nil
		}
		s.log.WarnContext(ctx, "sqlstore: transaction IDs are below the change feed's base (a restored database?); moving the base above the stored events",
			"realm", s.realm, "xid_base", xidBase, "next_xid", next, "last_seq", last.Int64)
		_, err = tx.ExecContext(ctx, `UPDATE usher_user_feed_base SET xid_base = $1, seq_base = $2`, next-1, max(last.Int64, seqBase-1)+1)
		return err
	})
}
