package userstore

import "time"

// User is one account of a user pool.
type User struct {
	// ID is assigned by the store on create and never changes.
	ID string
	// Username is unique in the pool without regard to case; it is stored
	// as given and compared in its NormalizeUsername form.
	Username      string
	Email         string
	EmailVerified bool
	Phone         string
	DisplayName   string
	GivenName     string
	FamilyName    string
	Enabled       bool
	// MustChangePassword is set when an admin sets a password; login then
	// reports ErrPasswordChangeRequired until the user changes it.
	MustChangePassword bool
	// PasswordHash is an encoded hash the hasher registry recognises, or
	// empty for a user without a local password.
	PasswordHash string
	// FailedLogins counts wrong passwords in a row; LockedUntil is the end
	// of the current lock-out, zero when not locked. Both are written only
	// through LoginStateStore so that they stay exact under concurrency.
	FailedLogins int
	LockedUntil  time.Time
	// Groups are the names of the groups the user belongs to, sorted. They
	// are filled on read; membership is changed through GroupStore.
	Groups []string
	// Roles are the application roles the user holds (for authorization,
	// e.g. from a claims mapping), compared exactly (case matters). Stores
	// keep them sorted and without duplicates, nil for none; at most
	// MaxRoles of at most MaxRoleLength characters each (see Validate).
	// CreateUser and UpdateUser store them as given; SyncWriter leaves
	// them alone (a directory's roles travel in Attributes).
	Roles []string
	// Attributes are free profile attributes.
	Attributes map[string]string
	// Source and ExternalID link a user to a directory entry (for sync);
	// the pair is unique when ExternalID is not empty.
	Source     string
	ExternalID string

	CreatedAt time.Time
	UpdatedAt time.Time
	// Version increases with every write; UpdateUser refuses a stale one
	// with ErrVersionConflict.
	Version int64
}

// Locked reports whether the user is locked out at now.
func (u User) Locked(now time.Time) bool { return !u.LockedUntil.IsZero() && now.Before(u.LockedUntil) }

// Group is a named set of users.
type Group struct {
	// ID is assigned by the store on create (32 lower-case hex digits) and
	// never changes, also when the group is renamed; the ID given to
	// CreateGroup is ignored. Read a group by it with GetGroupByID.
	ID string
	// Name is unique in the pool without regard to case. It changes only
	// through UpdateGroupByID (a rename); memberships follow it.
	Name        string
	Description string
	Metadata    map[string]string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// LoginState is a user's lock-out state after RecordFailedLogin.
type LoginState struct {
	FailedLogins int
	LockedUntil  time.Time
	// AlreadyLocked is true when the account was locked at the time of
	// the failure: it was not counted and nothing changed. The failure
	// that locked the account is the one with AlreadyLocked false and
	// LockedUntil after its time.
	AlreadyLocked bool
}

// GroupUpdate is one atomic change of a group, for
// GroupStore.UpdateGroupByID.
type GroupUpdate struct {
	// Group names the group by ID and carries the Version it was read at,
	// and its new Name (a rename when it differs from the stored one;
	// empty keeps the name), Description and Metadata (both replaced).
	Group Group
	// AddMembers and RemoveMembers are user IDs to add and remove; adding
	// a member or removing a non-member changes nothing. An ID in both is
	// refused with ErrInvalid.
	AddMembers, RemoveMembers []string
}
