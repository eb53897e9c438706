package userstore

import (
	"context"
	"fmt"
	"iter"
)

// SyncWriter is an optional Store capability for directory sync: write a
// batch of users synced from a directory in one transaction. Callers find
// it by type assertion and fall back to the single-user methods
// (GetUserByExternalID, CreateUser, UpdateUser, SetUserGroups) when a
// store lacks it. memstore and sqlstore implement it; storetest.RunSyncWriter
// checks an implementation.
type SyncWriter interface {
	// UpsertSynced writes users as if each were applied in order by the
	// single-user methods, all in one atomic step: everything or nothing,
	// together with the change-feed events.
	//
	// Each user is matched by its Source and ExternalID (both required);
	// SyncedUser.New is a hint for the lookup and changes none of this.
	//   - When none matches, the user is created as CreateUser would
	//     (a new ID unless set, Version 1, password and login state as
	//     given) and its Attributes are stored without the keys whose value
	//     is empty; the feed records user.created.
	//   - When one matches, the fields a sync owns are set — Username,
	//     Email, Phone, DisplayName, Enabled — and Attributes are merged
	//     into the stored ones: a key with an empty value is removed, keys
	//     not named are kept. ID, password, login state, EmailVerified,
	//     GivenName, FamilyName and CreatedAt are kept. Version and
	//     UpdatedAt move and the feed records user.updated, unless nothing
	//     changed, in which case nothing is written.
	//   - Groups becomes the whole list of the user's groups as with
	//     SetUserGroups: missing groups are created (group.created), and
	//     member.removed then member.added events follow the user's event,
	//     in order of the normalized group name.
	//
	// It returns the users as stored afterwards, groups included, in the
	// order given. An empty batch does nothing. Errors are a *SyncedError
	// naming the first user at fault and wrapping ErrInvalid (a field
	// fails validation, an ExternalID is empty, or two users of the batch
	// have the same Source and ExternalID), ErrConflict (the username is
	// taken by another user); or errors matching ErrClosed, ErrReadOnly or
	// the context's error.
	UpsertSynced(ctx context.Context, users []SyncedUser) ([]User, error)
}

// SyncReader is an optional Store capability for directory sync: read
// many users of a source by external ID in a few queries instead of one
// GetUserByExternalID each. Callers find it by type assertion and fall
// back to GetUserByExternalID. sqlstore implements it.
type SyncReader interface {
	// UsersByExternalID returns the users of source whose external IDs
	// are among externalIDs, groups included, in no particular order. IDs
	// that no user of source has, and empty ones, are left out; the
	// result says nothing about users of other sources.
	UsersByExternalID(ctx context.Context, source string, externalIDs []string) ([]User, error)
	// SyncedStates streams the external ID and enabled state of every
	// user of source that has an external ID, in no particular order,
	// reading a page at a time: what a sync needs to find the users gone
	// from the source without reading every user whole. It stops at the
	// first error, which it yields, and honours break.
	SyncedStates(ctx context.Context, source string) iter.Seq2[SyncedState, error]
}

// SyncedState is what SyncReader.SyncedStates yields for one user.
type SyncedState struct {
	ExternalID string
	Enabled    bool
}

// SyncedUser is one user of a SyncWriter batch: the user's fields as the
// directory has them and the whole list of its groups. User.Groups is
// ignored.
type SyncedUser struct {
	User   User
	Groups []string
	// New says that the caller takes the user for one the store does not
	// hold (a sync's addition). A store may then skip looking the user
	// up, and must find out when it is wrong (the user is stored after
	// all) and do what it would have done without it: New never changes
	// what a batch writes.
	New bool
}

// SyncedError says which user of a SyncWriter batch made it fail. It
// matches what Err matches with errors.Is; the batch wrote nothing.
type SyncedError struct {
	// Index is the user's position in the batch.
	Index      int
	Source     string
	ExternalID string
	Err        error
}

func (e *SyncedError) Error() string {
	return fmt.Sprintf("userstore: synced user %d (source %q, external ID %q): %v", e.Index, e.Source, e.ExternalID, e.Err)
}

func (e *SyncedError) Unwrap() error { return e.Err }
