package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// RecordFailedLogin adds one to the user's failed-login count and, when the
// count is maxFailures (> 0) or more, sets LockedUntil to now+lockFor. A
// lock that has run out at now starts a new count. It raises the user's
// Version and records a user.updated change.
func (s *Store) RecordFailedLogin(ctx context.Context, id string, maxFailures int, lockFor time.Duration, now time.Time) (userstore.LoginState, error) {
	if err := s.lock(ctx, "record failed login"); err != nil {
		return userstore.LoginState{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return userstore.LoginState{}, fmt.Errorf("memstore: record failed login: %w", userstore.ErrNotFound)
	}
	if !r.u.LockedUntil.IsZero() && !now.Before(r.u.LockedUntil) {
		r.u.FailedLogins, r.u.LockedUntil = 0, time.Time{}
	}
	r.u.FailedLogins++
	if maxFailures > 0 && r.u.FailedLogins >= maxFailures {
		r.u.LockedUntil = now.Add(lockFor).UTC()
	}
	s.touch(r)
	return userstore.LoginState{FailedLogins: r.u.FailedLogins, LockedUntil: r.u.LockedUntil}, nil
}

// ResetFailedLogins sets the count to zero and clears LockedUntil. It
// raises the user's Version and records a user.updated change.
func (s *Store) ResetFailedLogins(ctx context.Context, id string) error {
	if err := s.lock(ctx, "reset failed logins"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return fmt.Errorf("memstore: reset failed logins: %w", userstore.ErrNotFound)
	}
	r.u.FailedLogins, r.u.LockedUntil = 0, time.Time{}
	s.touch(r)
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
	s.touch(r)
	return nil
}

// touch raises a user's Version and UpdatedAt after a write and records the
// change. The caller holds the write lock.
func (s *Store) touch(r *userRec) {
	now := s.now()
	r.u.Version++
	r.u.UpdatedAt = now
	s.emit(userstore.UserUpdated, r.u.ID, "", now)
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
