package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// RecordFailedLogin adds one to the user's failed-login count and, when the
// count is maxFailures (> 0) or more, sets LockedUntil to now+lockFor; a
// lock that has run out at now starts a new count. The
// count moves in one UPDATE ... RETURNING, so N concurrent calls, from any
// number of processes, raise it by exactly N. It raises the user's Version
// and records a user.updated change.
func (s *Store) RecordFailedLogin(ctx context.Context, id string, maxFailures int, lockFor time.Duration, now time.Time) (userstore.LoginState, error) {
	var st userstore.LoginState
	err := s.write(ctx, "record failed login", true, func(t *tx) error {
		var failed, locked int64
		// Every right-hand side sees the row as it was: "expired" is the
		// old lock having run out at now ($6), which restarts the count.
		err := t.QueryRowContext(ctx, `UPDATE usher_users SET
	failed_logins = CASE WHEN locked_until <> 0 AND locked_until <= $6 THEN 1 ELSE failed_logins + 1 END,
	locked_until = CASE
		WHEN $3 > 0 AND (CASE WHEN locked_until <> 0 AND locked_until <= $6 THEN 1 ELSE failed_logins + 1 END) >= $3 THEN $4
		WHEN locked_until <> 0 AND locked_until <= $6 THEN 0
		ELSE locked_until END,
	version = version + 1, updated_at = $5
WHERE realm = $1 AND id = $2
RETURNING failed_logins, locked_until`,
			s.realm, id, int64(maxFailures), toNS(now.Add(lockFor)), toNS(s.now()), toNS(now)).Scan(&failed, &locked)
		if errors.Is(err, sql.ErrNoRows) {
			return userstore.ErrNotFound
		} else if err != nil {
			return err
		}
		st = userstore.LoginState{FailedLogins: int(failed), LockedUntil: fromNS(locked)}
		return t.emit(ctx, userstore.UserUpdated, id, "", s.now())
	})
	return st, err
}

// ResetFailedLogins sets the count to zero and clears LockedUntil. It
// raises the user's Version and records a user.updated change.
func (s *Store) ResetFailedLogins(ctx context.Context, id string) error {
	return s.write(ctx, "reset failed logins", true, func(t *tx) error {
		now := s.now()
		err := expectOne(t.ExecContext(ctx, `UPDATE usher_users SET failed_logins = 0, locked_until = 0,
	version = version + 1, updated_at = $3 WHERE realm = $1 AND id = $2`, s.realm, id, toNS(now)))
		if err != nil {
			return err
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
	return s.write(ctx, "set password", true, func(t *tx) error {
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
			} else if err != nil {
				return err
			}
			return fmt.Errorf("the password hash changed: %w", userstore.ErrVersionConflict)
		}
		return t.emit(ctx, userstore.UserUpdated, id, "", now)
	})
}
