package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
)

// failUpdate counts a failed login ($1 realm, $2 user ID) unless the
// account is locked at $6 (now): a lock that has run out starts a new
// count at 1 and is cleared, and a count that reaches $3 (maxFailures,
// when > 0) sets the lock, $4 (now+lockFor). $5 is the update time. It
// returns no row for a locked account or an unknown user. Every
// right-hand side reads the row as it was; on PostgreSQL a concurrent
// writer's change is re-read before the WHERE is decided (READ
// COMMITTED), so that of any number of concurrent failures each sees the
// count the one before it left.
const failUpdate = `UPDATE usher_users SET
	failed_logins = CASE WHEN locked_until <> 0 THEN 1 ELSE failed_logins + 1 END,
	locked_until = CASE WHEN CAST($3 AS BIGINT) > 0 AND (CASE WHEN locked_until <> 0 THEN 1 ELSE failed_logins + 1 END) >= CAST($3 AS BIGINT)
		THEN CAST($4 AS BIGINT) ELSE 0 END,
	version = version + 1, updated_at = $5
WHERE realm = $1 AND id = $2 AND (locked_until = 0 OR locked_until <= $6)
RETURNING failed_logins, locked_until`

// pgRecordFailure is RecordFailedLogin on PostgreSQL in one auto-committed
// statement: failUpdate; the change event ($7, the kind) when the failure
// set a lock; and, when nothing was updated, the stored state of a locked
// account (locked with FOR SHARE, which waits for a concurrent writer and
// reads its result). It returns the state and whether the account was
// locked already, or no row for an unknown user.
var pgRecordFailure = `WITH upd AS (
` + failUpdate + `
), ev AS (
	INSERT INTO usher_changes (realm, pos, kind, user_id, group_name, at)
	SELECT $1, ` + pgPosition + `, CAST($7 AS TEXT), $2, '', $5 FROM upd WHERE upd.locked_until <> 0
), cur AS (
	SELECT failed_logins, locked_until FROM usher_users WHERE realm = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM upd) FOR SHARE
)
SELECT failed_logins, locked_until, false FROM upd
UNION ALL SELECT failed_logins, locked_until, true FROM cur`

// pgResetFailures is ResetFailedLogins on PostgreSQL in one auto-committed
// statement: it locks the row and reads the state it clears, clears a
// count or lock ($3, the update time), and records the change event ($4,
// the kind) when it cleared a lock. It returns 0 for an unknown user.
var pgResetFailures = `WITH old AS (
	SELECT failed_logins, locked_until FROM usher_users WHERE realm = $1 AND id = $2 FOR NO KEY UPDATE
), upd AS (
	UPDATE usher_users u SET failed_logins = 0, locked_until = 0, version = u.version + 1, updated_at = $3
	FROM old WHERE u.realm = $1 AND u.id = $2 AND (old.failed_logins <> 0 OR old.locked_until <> 0)
	RETURNING u.id
), ev AS (
	INSERT INTO usher_changes (realm, pos, kind, user_id, group_name, at)
	SELECT $1, ` + pgPosition + `, CAST($4 AS TEXT), $2, '', $3 FROM old WHERE old.locked_until <> 0 AND EXISTS (SELECT 1 FROM upd)
)
SELECT count(*) FROM old`

// RecordFailedLogin counts a wrong password as userstore.LoginStateStore
// says: nothing changes during a lock (the result has AlreadyLocked set);
// otherwise the count moves, a lock that has run out starts a new count,
// and the count reaching maxFailures (> 0) locks the account until
// now+lockFor. A counted failure raises the user's Version; only the one
// that locks records a user.updated change.
//
// On PostgreSQL it is one statement that takes no lock but the user's
// row, so that failures of different users never wait for each other and
// N concurrent failures of one user, from any number of processes, are
// counted exactly until one of them locks. On SQLite it is one write
// transaction.
func (s *Store) RecordFailedLogin(ctx context.Context, id string, maxFailures int, lockFor time.Duration, now time.Time) (userstore.LoginState, error) {
	const op = "record failed login"
	var (
		failed, locked int64
		already        bool
	)
	updated := s.now()
	args := []any{s.realm, id, int64(maxFailures), toNS(now.Add(lockFor)), toNS(updated), toNS(now)}
	var err error
	if s.dialect == database.Postgres {
		if err := s.writable(ctx, op); err != nil {
			return userstore.LoginState{}, err
		}
		if s.cannotStore(id) {
			return userstore.LoginState{}, fmt.Errorf("sqlstore: %s: %w", op, userstore.ErrNotFound)
		}
		err = cached{s}.QueryRowContext(ctx, s.q.recordFailure, append(args, string(userstore.UserUpdated))...).Scan(&failed, &locked, &already)
		if errors.Is(err, sql.ErrNoRows) {
			err = userstore.ErrNotFound
		}
		err = s.fail(op, err)
	} else {
		err = s.write(ctx, op, func(t *tx) error {
			err := t.QueryRowContext(ctx, failUpdate, args...).Scan(&failed, &locked)
			if errors.Is(err, sql.ErrNoRows) { // locked, or unknown
				already = true
				err = t.QueryRowContext(ctx, `SELECT failed_logins, locked_until FROM usher_users WHERE realm = $1 AND id = $2`, s.realm, id).Scan(&failed, &locked)
				if errors.Is(err, sql.ErrNoRows) {
					return userstore.ErrNotFound
				}
				return err
			}
			if err != nil || locked == 0 {
				return err
			}
			return t.emit(ctx, userstore.UserUpdated, id, "", updated)
		})
	}
	if err != nil {
		return userstore.LoginState{}, err
	}
	return userstore.LoginState{FailedLogins: int(failed), LockedUntil: fromNS(locked), AlreadyLocked: already}, nil
}

// ResetFailedLogins sets the count to zero and clears LockedUntil. When
// there is something to clear, it raises the user's Version; when it
// clears a lock (whether or not it has run out), it records a
// user.updated change. On PostgreSQL it is one statement that locks only
// the user's row.
func (s *Store) ResetFailedLogins(ctx context.Context, id string) error {
	const op = "reset failed logins"
	now := s.now()
	if s.dialect == database.Postgres {
		if err := s.writable(ctx, op); err != nil {
			return err
		}
		if s.cannotStore(id) {
			return fmt.Errorf("sqlstore: %s: %w", op, userstore.ErrNotFound)
		}
		var n int
		err := cached{s}.QueryRowContext(ctx, s.q.resetFailures, s.realm, id, toNS(now), string(userstore.UserUpdated)).Scan(&n)
		if err == nil && n == 0 {
			err = userstore.ErrNotFound
		}
		return s.fail(op, err)
	}
	return s.write(ctx, op, func(t *tx) error {
		var failed, locked int64
		err := t.QueryRowContext(ctx, `SELECT failed_logins, locked_until FROM usher_users WHERE realm = $1 AND id = $2`, s.realm, id).Scan(&failed, &locked)
		if errors.Is(err, sql.ErrNoRows) {
			return userstore.ErrNotFound
		}
		if err != nil || (failed == 0 && locked == 0) {
			return err
		}
		if _, err := t.ExecContext(ctx, `UPDATE usher_users SET failed_logins = 0, locked_until = 0,
	version = version + 1, updated_at = $3 WHERE realm = $1 AND id = $2`, s.realm, id, toNS(now)); err != nil {
			return err
		}
		if locked == 0 {
			return nil
		}
		return t.emit(ctx, userstore.UserUpdated, id, "", now)
	})
}

// SetPassword replaces the password hash with newHash and sets the
// MustChangePassword flag, if the stored hash is expectedHash: one UPDATE
// whose WHERE compares the hash, so that of concurrent writers from the
// same expected hash, in any process, exactly one succeeds. The others,
// and a stale expectedHash, get an error matching ErrVersionConflict and
// change nothing. It resets the failed-login count and lock, raises the
// user's Version and records a user.updated change.
func (s *Store) SetPassword(ctx context.Context, id, expectedHash, newHash string, mustChange bool) error {
	return s.write(ctx, "set password", func(t *tx) error {
		now := s.now()
		res, err := t.ExecContext(ctx, `UPDATE usher_users SET password_hash = $4, must_change_password = $5,
	failed_logins = 0, locked_until = 0, version = version + 1, updated_at = $6
WHERE realm = $1 AND id = $2 AND password_hash = $3`, s.realm, id, expectedHash, newHash, mustChange, toNS(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// Nothing matched: tell a missing user from a changed hash.
			var one int
			err := t.QueryRowContext(ctx, `SELECT 1 FROM usher_users WHERE realm = $1 AND id = $2`, s.realm, id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return userstore.ErrNotFound
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("the password hash changed: %w", userstore.ErrVersionConflict)
		}
		return t.emit(ctx, userstore.UserUpdated, id, "", now)
	})
}
