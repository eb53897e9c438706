package userstore

import (
	"context"
	"time"
)

// Counter is an optional Store capability: count users in one step
// instead of listing them, so that a dashboard can show exact numbers for
// pools of any size. Callers find it by type assertion and fall back to
// counting what ListUsers streams when a store lacks it. memstore and
// sqlstore implement it; storetest.Run checks an implementation.
type Counter interface {
	// CountUsers counts the users opts selects, all of them in one
	// consistent read: how many there are, how many of them are enabled
	// and, when opts.LockedAt is set, how many are locked out at it. The
	// filters mean what they mean in ListOptions; a Group that does not
	// exist matches no one. Errors: ErrClosed, or the context's error.
	CountUsers(ctx context.Context, opts CountOptions) (UserCounts, error)
}

// CountOptions selects the users Counter.CountUsers counts. The zero
// value counts every user of the pool.
type CountOptions struct {
	// Prefix, Group, Role and Source filter as the ListOptions fields of
	// the same names do; an empty one keeps everyone.
	Prefix, Group, Role, Source string
	// LockedAt, when set, makes CountUsers count in UserCounts.Locked the
	// users locked out at it (see User.Locked). Zero counts no one locked.
	LockedAt time.Time
}

// UserCounts is what Counter.CountUsers returns.
type UserCounts struct {
	// Total is the number of users selected.
	Total int
	// Enabled is the number of them whose Enabled is set.
	Enabled int
	// Locked is the number of them locked out at CountOptions.LockedAt,
	// enabled or not; 0 when LockedAt is zero.
	Locked int
}

// Disabled is the number of users selected whose Enabled is not set.
func (c UserCounts) Disabled() int { return c.Total - c.Enabled }
