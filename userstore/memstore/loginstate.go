package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// RecordFailedLogin counts a wrong password as userstore.LoginStateStore
// says. During a lock (LockedUntil after now) it changes nothing and
// returns the stored state with AlreadyLocked set. Otherwise it adds one
// to the count (a lock that has run out at now starts a new count at 1
// and is cleared) and, when the count is maxFailures (> 0) or more, sets
// LockedUntil to now+lockFor. A counted failure raises the user's Version;
// only the one that sets a lock records a user.updated change.
func (s *Store) RecordFailedLogin(ctx context.Context, id string, maxFailures int, lockFor time.Duration, now time.Time) (userstore.LoginState, error) {
	if err := s.lock(ctx, "record failed login"); err != nil {
		return userstore.LoginState{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return userstore.LoginState{}, fmt.Errorf("memstore: record failed login: %w", userstore.ErrNotFound)
	}
	if r.u.Locked(now) {
		return userstore.LoginState{FailedLogins: r.u.FailedLogins, LockedUntil: r.u.LockedUntil, AlreadyLocked: true}, nil
	}
	if !r.u.LockedUntil.IsZero() { // a lock that has run out
		r.u.FailedLogins, r.u.LockedUntil = 0, time.Time{}
	}
	r.u.FailedLogins++
	if maxFailures > 0 && r.u.FailedLogins >= maxFailures {
		r.u.LockedUntil = now.Add(lockFor).UTC()
	}
	s.bump(r, !r.u.LockedUntil.IsZero())
	return userstore.LoginState{FailedLogins: r.u.FailedLogins, LockedUntil: r.u.LockedUntil}, nil
}

// ResetFailedLogins sets the count to zero and clears LockedUntil. When
// there is something to clear it raises the user's Version, and when it
// clears a lock (in force or run out) it records a user.updated change.
func (s *Store) ResetFailedLogins(ctx context.Context, id string) error {
	if err := s.lock(ctx, "reset failed logins"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return fmt.Errorf("memstore: reset failed logins: %w", userstore.ErrNotFound)
	}
	if r.u.FailedLogins == 0 && r.u.LockedUntil.IsZero() {
		return nil
	}
	locked := !r.u.LockedUntil.IsZero()
	r.u.FailedLogins, r.u.LockedUntil = 0, time.Time{}
	s.bump(r, locked)
	return nil
}

// SetPassword replaces the password hash with newHash and sets the
// MustChangePassword flag, if the stored hash is expectedHash; otherwise it
// changes nothing and returns an error matching ErrVersionConflict. It
// resets the failed-login count and lock, raises the user's Version and
// records a user.updated change.
func (s *Store) SetPassword(ctx context.Context, id, expectedHash, newHash string, mustChange bool) error {
	if err := s.lock(ctx, "set password"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return fmt.Errorf("memstore: set password: %w", userstore.ErrNotFound)
	}
	if r.u.PasswordHash != expectedHash {
		return fmt.Errorf("memstore: set password: the password hash changed: %w", userstore.ErrVersionConflict)
	}
	r.u.PasswordHash, r.u.MustChangePassword = newHash, mustChange
	r.u.FailedLogins, r.u.LockedUntil = 0, time.Time{}
	s.bump(r, true)
	return nil
}

// bump raises a user's Version and UpdatedAt after a write and, with
// news, records the change. The caller holds the write lock.
func (s *Store) bump(r *userRec, news bool) {
	now := s.now()
	r.u.Version++
	r.u.UpdatedAt = now
	if news {
		s.emit(userstore.UserUpdated, r.u.ID, "", now)
	}
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
