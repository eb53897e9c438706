package userstore

import (
	"context"
	"iter"
	"time"
)

// UserReader reads users.
type UserReader interface {
	// GetUser returns the user with the given ID, or ErrNotFound.
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByUsername finds a user by username without regard to case,
	// or returns ErrNotFound.
	GetUserByUsername(ctx context.Context, username string) (User, error)
	// FindUsersByEmail returns up to limit users whose e-mail equals email
	// without regard to case (limit <= 0 means all). Callers that need a
	// unique e-mail ask for 2 and treat two as ambiguous.
	FindUsersByEmail(ctx context.Context, email string, limit int) ([]User, error)
	// GetUserByExternalID finds the user linked to a directory entry, or
	// returns ErrNotFound.
	GetUserByExternalID(ctx context.Context, source, externalID string) (User, error)
	// ListUsers streams users in ascending ID order, filtered and paged by
	// opts. The stream stops at the first error, which it yields, and
	// honours break. It never holds more than a page in memory.
	ListUsers(ctx context.Context, opts ListOptions) iter.Seq2[User, error]
}

// UserWriter creates, updates and deletes users. Each call is atomic:
// it writes everything or nothing, together with its change-feed event.
type UserWriter interface {
	// CreateUser stores a new user and returns it with ID, times and
	// Version 1 set. The ID of u is ignored unless set, in which case it is
	// kept (for imports). Groups are ignored; FailedLogins and LockedUntil
	// are stored as given. Errors: ErrInvalid, ErrConflict.
	CreateUser(ctx context.Context, u User) (User, error)
	// UpdateUser replaces the stored user u.ID with u, if u.Version is the
	// stored version, and returns it with the new Version. Groups,
	// CreatedAt, FailedLogins and LockedUntil are not changed by it.
	// Errors: ErrNotFound, ErrVersionConflict, ErrInvalid, ErrConflict.
	UpdateUser(ctx context.Context, u User) (User, error)
	// DeleteUser removes a user, its memberships and tokens, or returns
	// ErrNotFound.
	DeleteUser(ctx context.Context, id string) error
}

// LoginStateStore changes the state that logins write. Each method is a
// single atomic update in the store, so that every process sharing it sees
// exact counts: N concurrent failures of an unlocked account raise the
// count by exactly N, until one of them locks it.
//
// Which login-state changes are news: RecordFailedLogin and
// ResetFailedLogins record a user.updated change exactly when they set or
// clear a lock (LockedUntil): the failure that locks the account, and a
// reset that clears a LockedUntil, whether the lock was still in force or
// had run out. Counting is not news: a failure that does not lock,
// including the first after a lock ran out (which drops the old
// LockedUntil), and a reset of a count without a lock record no change, so
// that wrong passwords cannot flood the feed. Both raise the user's
// Version whenever they change anything, and change nothing at all (not
// even Version) when there is nothing to change.
type LoginStateStore interface {
	// RecordFailedLogin records one wrong password for the user at now.
	//
	// During a lock (LockedUntil after now) it changes nothing: not the
	// count, not the lock time, not Version, no change event, so that
	// wrong passwords cannot extend a lock or keep an account locked for
	// ever. It returns the stored state with AlreadyLocked set.
	//
	// Otherwise it adds one to the count and, when the count reaches
	// maxFailures (> 0), sets LockedUntil to now+lockFor. A lock that has
	// run out at now ends its series: this failure is the first of a new
	// one (the count restarts at 1 and LockedUntil is cleared, so an
	// account is locked again only after maxFailures new failures). It
	// returns the state after the update, AlreadyLocked false.
	//
	// So the failure that locked the account is the one whose result has
	// AlreadyLocked false and LockedUntil after now: of any number of
	// concurrent failures, exactly one. Errors: ErrNotFound.
	RecordFailedLogin(ctx context.Context, id string, maxFailures int, lockFor time.Duration, now time.Time) (LoginState, error)
	// ResetFailedLogins sets the count to zero and clears LockedUntil.
	// Errors: ErrNotFound.
	ResetFailedLogins(ctx context.Context, id string) error
	// SetPassword replaces the user's password hash with newHash, and
	// sets MustChangePassword to mustChange, if the stored hash is still
	// expectedHash ("" for a user without one); it is a compare-and-set,
	// atomic against every other write. It resets the failed-login count
	// and lock and raises Version. When the stored hash is another, it
	// changes nothing and returns an error matching ErrVersionConflict, so
	// that a write based on an old read (a rehash after a login, a change
	// racing another) cannot overwrite a password set in between.
	// Errors: ErrNotFound, ErrVersionConflict.
	SetPassword(ctx context.Context, id, expectedHash, newHash string, mustChange bool) error
}

// GroupStore keeps groups and memberships. Membership changes are atomic
// with their change-feed events.
type GroupStore interface {
	// CreateGroup stores a new group. Errors: ErrInvalid, ErrConflict.
	CreateGroup(ctx context.Context, g Group) (Group, error)
	// GetGroup finds a group by name without regard to case.
	GetGroup(ctx context.Context, name string) (Group, error)
	// GetGroupByID returns the group with the given ID, or ErrNotFound.
	GetGroupByID(ctx context.Context, id string) (Group, error)
	// UpdateGroup changes description and metadata, if g.Version is current.
	UpdateGroup(ctx context.Context, g Group) (Group, error)
	// UpdateGroupByID applies u to the group u.Group.ID in one atomic step,
	// if u.Group.Version is the stored version: it renames the group to
	// u.Group.Name (memberships follow; a name another group has is
	// refused with ErrConflict), replaces description and metadata, and
	// adds and removes members. It records group.updated (with the new
	// name) when name, description or metadata changed (nil and empty
	// metadata alike), raising Version, then member.removed and then
	// member.added events, each in ascending user ID order; membership
	// changes alone do not raise Version. When nothing changes it writes
	// nothing. It returns the group as
	// stored. On any error nothing is written. Errors: ErrNotFound (the
	// group, or a user to add), ErrVersionConflict, ErrConflict, ErrInvalid.
	UpdateGroupByID(ctx context.Context, u GroupUpdate) (Group, error)
	// DeleteGroup removes a group and its memberships.
	DeleteGroup(ctx context.Context, name string) error
	// ListGroups streams groups in ascending name order.
	ListGroups(ctx context.Context) iter.Seq2[Group, error]
	// AddMember adds a user to a group; adding a member twice is not an
	// error. Errors: ErrNotFound for an unknown group or user.
	AddMember(ctx context.Context, group, userID string) error
	// RemoveMember removes a user from a group; removing a non-member is
	// not an error.
	RemoveMember(ctx context.Context, group, userID string) error
	// SetUserGroups makes groups the whole list of the user's groups,
	// creating groups that do not exist yet.
	SetUserGroups(ctx context.Context, userID string, groups []string) error
	// ListMembers streams the members of a group in ascending ID order.
	ListMembers(ctx context.Context, group string) iter.Seq2[User, error]
}

// TokenStore keeps single-use secrets (reset tokens, activation codes) by
// their hash only; the secret itself is never given to the store.
type TokenStore interface {
	// PutToken stores t. With replace, the user's other tokens of the same
	// kind are removed in the same transaction.
	PutToken(ctx context.Context, t Token, replace bool) error
	// UserTokens returns the user's tokens of a kind, unexpired or not.
	UserTokens(ctx context.Context, kind, userID string) ([]Token, error)
	// ConsumeToken removes and returns the token of a kind with the given
	// hash. Of concurrent callers exactly one gets it; the others get
	// ErrNotFound. Expiry is the caller's to check.
	ConsumeToken(ctx context.Context, kind, hash string) (Token, error)
	// DeleteTokens removes the user's tokens of a kind (all kinds when
	// kind is empty).
	DeleteTokens(ctx context.Context, kind, userID string) error
	// ListTokens returns a page of the tokens of q.Kind, every user's,
	// oldest first: ascending CreatedAt, then ascending Hash (compared
	// byte by byte), so that paging with q.After never skips or repeats a
	// token, even among tokens created at the same instant. A page shorter
	// than the limit is the last. Errors: ErrInvalid (no Kind, a Limit
	// over MaxTokenPage).
	ListTokens(ctx context.Context, q TokenQuery) ([]Token, error)
}

// Page sizes of TokenStore.ListTokens.
const (
	// DefaultTokenPage is the page size when TokenQuery.Limit is 0 or less.
	DefaultTokenPage = 100
	// MaxTokenPage is the largest TokenQuery.Limit.
	MaxTokenPage = 1000
)

// TokenQuery selects a page of TokenStore.ListTokens.
type TokenQuery struct {
	// Kind is the kind of tokens to list. Required.
	Kind string
	// After is the cursor: only tokens after it in the listing order are
	// listed. The zero TokenCursor starts at the oldest;
	// TokenCursor{CreatedAt: last.CreatedAt, Hash: last.Hash} of the last
	// token of a page gives the next page.
	After TokenCursor
	// Limit caps the page: 0 or less means DefaultTokenPage; more than
	// MaxTokenPage is refused (ErrInvalid).
	Limit int
	// UnexpiredAt, when set, keeps only the tokens not expired at it (see
	// Token.Expired): those without ExpiresAt or expiring after it.
	UnexpiredAt time.Time
}

// TokenCursor is a position in the order of TokenStore.ListTokens: a
// token's CreatedAt and Hash. The zero TokenCursor is before every token.
type TokenCursor struct {
	CreatedAt time.Time
	Hash      string
}

// IsZero reports whether c is the zero TokenCursor, the start of a listing.
func (c TokenCursor) IsZero() bool { return c.CreatedAt.IsZero() && c.Hash == "" }

// ChangeFeed reads the store's ordered, durable change events.
//
// The feed is gap-free for its followers: a follower that saves the Seq of
// the last event it handled and passes it to the next Changes never misses
// an event and never sees one twice, however many writers, in however
// many processes, write meanwhile. A store ensures this by making an event
// visible only once no event with a smaller Seq can still appear (every
// write that could record one has committed or failed). Gap-free does not
// mean dense: Seqs increase along the feed but may skip numbers (sqlstore
// on PostgreSQL derives them from transaction IDs), so a follower must
// never wait for Seq+1.
//
// An event names what changed, not how; a follower reads the record again.
// The events of one write are consecutive, and a write that began after
// another had returned comes after it in the feed; writes that ran at the
// same time may come in either order (a follower that reads again sees the
// same result either way).
type ChangeFeed interface {
	// Changes streams events with Seq > after in ascending Seq order; 0
	// reads the feed from its start. A follower saves the last Seq it
	// handled and passes it next time, also across upgrades of the store.
	Changes(ctx context.Context, after int64) iter.Seq2[Change, error]
}

// AuditLog records and reads the audit trail.
type AuditLog interface {
	// AppendAudit records an event; ID and Time are set when empty.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// Audit streams events matching f, newest first.
	Audit(ctx context.Context, f AuditFilter) iter.Seq2[AuditEvent, error]
}

// Store is everything a user pool needs from storage. Implementations are
// safe for concurrent use and pass storetest.Run.
type Store interface {
	UserReader
	UserWriter
	LoginStateStore
	GroupStore
	TokenStore
	ChangeFeed
	AuditLog
	// Close releases the store's resources; later calls return ErrClosed.
	Close() error
}
