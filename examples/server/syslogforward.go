package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/ids"
	"github.com/usher-sdk/usher/userstore"
)

// The forwarder: the process holding the receiver's lease reads the audit
// trail after its cursor in batches, in insertion order (usher_audit.n),
// sends each batch, and moves the cursor (renewing the lease) once the
// batch counts as sent. Lease times are this process's wall clock in Unix
// ms: clocks of processes sharing a database that differ by seconds
// cost duplicates at a takeover, never events.

// syslogStopGrace is how long stop lets events that are ready go out.
const syslogStopGrace = 2 * time.Second

// start readies the receiver's cursor in db and starts forwarding. A
// receiver never forwarded to starts after the newest event of the audit
// trail (older events are in the database, not sent); one forwarded to
// before resumes where it stopped, however long ago.
func (s *syslogSink) start(db *database.DB) error {
	s.db = db
	holder, err := ids.Random(rand.Reader)
	if err != nil {
		return fmt.Errorf("syslog: %w", err)
	}
	s.holder = holder
	if db.Dialect() == database.SQLite {
		// SQLite numbers a row under the database's write lock and
		// commits in that order: a hole never fills.
		s.gapGrace = 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	unlock := db.LockWriter()
	_, err = db.SQL().ExecContext(ctx, `INSERT INTO usher_server_syslog (target, position, holder, lease_until, updated_at)
SELECT CAST($1 AS TEXT), COALESCE(MAX(n), 0), '', 0, CAST($2 AS BIGINT) FROM usher_audit WHERE true ON CONFLICT (target) DO NOTHING`,
		s.target(), time.Now().UnixMilli())
	unlock()
	if err != nil {
		return fmt.Errorf("syslog: cursor: %w", err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.run(rctx)
	return nil
}

// stop lets the events that are ready go out for a moment, stops
// forwarding and hands the lease on; what is left waits in the audit
// trail for the next forwarder. It is for app.close, called once.
func (s *syslogSink) stop() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		select {
		case <-s.done:
		case <-time.After(syslogStopGrace):
		}
		s.cancel()
		<-s.done
	})
}

// run takes the lease whenever it is free or expired and forwards while
// it holds it, until ctx is done or stop.
func (s *syslogSink) run(ctx context.Context) {
	defer close(s.done)
	for !s.stopped(ctx) {
		pos, ok, err := s.acquire(ctx)
		if err != nil && ctx.Err() == nil {
			s.logger.Warn("syslog: cannot take the forwarding lease", "err", err)
		}
		if ok {
			s.leading.Store(true)
			pos = s.lead(ctx, pos)
			s.leading.Store(false)
			if s.stopped(ctx) {
				s.release(pos)
				return
			}
			continue
		}
		s.sleep(ctx, s.leaseTTL/4, false)
	}
}

// stopped reports whether ctx is done or stop was called.
func (s *syslogSink) stopped(ctx context.Context) bool {
	select {
	case <-s.stopping:
		return true
	default:
		return ctx.Err() != nil
	}
}

// sleep waits d, or until stop, ctx is done or, when woken is set, an
// event is appended in this process.
func (s *syslogSink) sleep(ctx context.Context, d time.Duration, woken bool) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	wake := s.wake
	if !woken {
		wake = nil // a process that does not forward has no use for it
	}
	select {
	case <-t.C:
	case <-wake:
	case <-s.stopping:
	case <-ctx.Done():
	}
}

// lead forwards from pos while this process holds the lease, and returns
// the position reached once it has lost or given it up (stop, ctx).
func (s *syslogSink) lead(ctx context.Context, pos int64) int64 {
	var conn net.Conn
	fresh := false // conn has delivered nothing yet
	defer func() {
		if conn != nil {
			_ = conn.Close()
		}
	}()
	backoff := time.Second
	var nextDial time.Time
	now := time.Now()
	validUntil, renewAt := now.Add(s.leaseTTL), now.Add(s.leaseTTL/4)
	gaps := map[int64]time.Time{}
	for ctx.Err() == nil {
		now = time.Now()
		if !now.Before(renewAt) {
			ok, err := s.renew(ctx, pos)
			switch {
			case err != nil:
				s.logger.Warn("syslog: cannot renew the forwarding lease", "err", err)
				renewAt = now.Add(time.Second)
			case !ok:
				s.logger.Info("syslog: another server process forwards now")
				return pos
			default:
				validUntil, renewAt = now.Add(s.leaseTTL), now.Add(s.leaseTTL/4)
			}
		}
		if time.Until(validUntil) < s.leaseTTL/5 {
			// Another process may take over soon: leave it to that one.
			s.logger.Warn("syslog: forwarding lease about to expire unrenewed; pausing")
			return pos
		}
		wait := s.poll
		if conn == nil && now.Before(nextDial) {
			wait = nextDial.Sub(now)
		} else {
			msgs, ns, blocked, err := s.next(ctx, pos, gaps, now)
			switch {
			case err != nil:
				if ctx.Err() == nil {
					s.logger.Warn("syslog: cannot read the audit trail", "err", err)
				}
				wait = 5 * time.Second
			case len(msgs) == 0:
				if blocked {
					wait = 100 * time.Millisecond
				}
			default:
				if conn == nil {
					conn, err = s.dial(ctx)
					if err != nil {
						conn = nil
						s.logger.Warn("syslog: receiver unreachable; events wait in the audit trail", "addr", s.addr, "err", err, "retry_in", backoff)
						nextDial, backoff = now.Add(backoff), min(backoff*2, 30*time.Second)
						continue
					}
					fresh = true
				}
				n, err := s.deliver(conn, msgs)
				if n > 0 {
					pos = ns[n-1]
					s.sent.Add(int64(n))
					fresh = false
					backoff = time.Second
					for g := range gaps {
						if g <= pos {
							delete(gaps, g)
						}
					}
					ok, rerr := s.renew(ctx, pos)
					switch {
					case rerr != nil:
						s.logger.Warn("syslog: cannot record the forwarding position", "err", rerr)
						renewAt = now // try again before the next batch
					case !ok:
						s.logger.Info("syslog: another server process forwards now")
						return pos
					default:
						validUntil, renewAt = now.Add(s.leaseTTL), now.Add(s.leaseTTL/4)
					}
				}
				if err != nil {
					_ = conn.Close()
					conn = nil
					s.logger.Warn("syslog: delivery failed; reconnecting", "addr", s.addr, "err", err)
					if fresh {
						// A new connection that fails at once is a receiver
						// that is not well: back off as for a failed dial.
						nextDial, backoff = now.Add(backoff), min(backoff*2, 30*time.Second)
					}
				}
				continue // more may be ready
			}
		}
		if s.stopped(ctx) {
			return pos // stopping, and nothing more can go out now
		}
		s.sleep(ctx, min(wait, time.Until(renewAt)), true)
	}
	return pos
}

// next reads the batch after pos and formats the events ready to go: ns
// holds their positions. It stops before a hole in the numbering that may
// still fill (PostgreSQL: an INSERT not committed yet), reporting
// blocked, until the hole has stood for gapGrace; gaps records when each
// hole was first seen.
func (s *syslogSink) next(ctx context.Context, pos int64, gaps map[int64]time.Time, now time.Time) (msgs [][]byte, ns []int64, blocked bool, err error) {
	type row struct {
		n     int64
		realm string
		e     userstore.AuditEvent
	}
	rows, err := database.QueryAll(ctx, s.db.SQL(), func(r *sql.Rows) (row, error) {
		var (
			x        row
			at       int64
			kind, id string
		)
		err := r.Scan(&x.n, &x.realm, &id, &at, &kind, &x.e.UserID, &x.e.Login, &x.e.Remote, &x.e.Reason)
		x.e.ID, x.e.Kind, x.e.Time = id, userstore.AuditKind(kind), time.Unix(0, at)
		return x, err
	}, `SELECT n, substr(realm, 1, 200), substr(id, 1, 64), at, substr(kind, 1, 64), substr(user_id, 1, 256), substr(login, 1, 512),
substr(remote, 1, 256), substr(reason, 1, 2048) FROM usher_audit WHERE n > $1 ORDER BY n LIMIT $2`, pos, s.batch)
	if err != nil {
		return nil, nil, false, err
	}
	expect := pos + 1
	for _, r := range rows {
		if r.n != expect && s.gapGrace > 0 {
			first, ok := gaps[expect]
			if !ok {
				first = now
				gaps[expect] = now
			}
			if now.Sub(first) < s.gapGrace {
				blocked = true
				break
			}
		}
		msgs = append(msgs, s.format(poolOf(r.realm), r.e))
		ns = append(ns, r.n)
		expect = r.n + 1
	}
	return msgs, ns, blocked, nil
}

// poolOf names a realm's user pool in messages as the tee of each pool's
// store did: "users", "admin", or an application's realm.
func poolOf(realm string) string {
	switch realm {
	case database.DefaultRealm:
		return "users"
	case adminRealm:
		return "admin"
	}
	return realm
}

// acquire takes the receiver's lease when it is free, expired or already
// this process's, and returns the cursor's position.
func (s *syslogSink) acquire(ctx context.Context) (pos int64, ok bool, err error) {
	now := time.Now()
	defer s.db.LockWriter()()
	err = s.db.SQL().QueryRowContext(ctx, `UPDATE usher_server_syslog SET holder = $1, lease_until = $2, updated_at = $3
WHERE target = $4 AND (holder = $1 OR lease_until < $3) RETURNING position`,
		s.holder, now.Add(s.leaseTTL).UnixMilli(), now.UnixMilli(), s.target()).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return pos, err == nil, err
}

// renew records pos and extends the lease; false: another process holds
// it now.
func (s *syslogSink) renew(ctx context.Context, pos int64) (bool, error) {
	now := time.Now()
	defer s.db.LockWriter()()
	res, err := s.db.SQL().ExecContext(ctx, `UPDATE usher_server_syslog SET position = $1, lease_until = $2, updated_at = $3 WHERE target = $4 AND holder = $5`,
		pos, now.Add(s.leaseTTL).UnixMilli(), now.UnixMilli(), s.target(), s.holder)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// release records pos and frees the lease at once, for the next process.
func (s *syslogSink) release(pos int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	defer s.db.LockWriter()()
	_, err := s.db.SQL().ExecContext(ctx, `UPDATE usher_server_syslog SET position = $1, lease_until = 0, updated_at = $2 WHERE target = $3 AND holder = $4`,
		pos, time.Now().UnixMilli(), s.target(), s.holder)
	if err != nil {
		s.logger.Warn("syslog: cannot hand the forwarding lease on; another process takes over once it expires", "err", err)
	}
}
