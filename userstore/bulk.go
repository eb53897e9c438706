package userstore

import (
	"context"
	"fmt"
	"maps"
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
	// Each user is matched by its Source and ExternalID (both required).
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

// SyncedUser is one user of a SyncWriter batch: the user's fields as the
// directory has them and the whole list of its groups. User.Groups is
// ignored.
type SyncedUser struct {
	User   User
	Groups []string
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

// MergeSyncedAttributes returns stored with the entries of set merged in:
// a key with an empty value is removed, others are set. It returns nil for
// an empty result and never changes its arguments. SyncWriter
// implementations use it to apply SyncedUser attributes.
func MergeSyncedAttributes(stored, set map[string]string) map[string]string {
	out := make(map[string]string, len(stored)+len(set))
	for k, v := range stored {
		out[k] = v
	}
	for k, v := range set {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// CheckSyncedBatch validates a SyncWriter batch before anything is written:
// every user passes check (User.Validate when check is nil), has an
// ExternalID, and has a Source and ExternalID no other user of the batch
// has; every group name is valid. It returns each user's wanted groups as
// normalized name -> first spelling. An error is a *SyncedError naming the
// user. SyncWriter implementations use it so that they refuse the same
// batches.
func CheckSyncedBatch(users []SyncedUser, check func(User) error) ([]map[string]string, error) {
	if check == nil {
		check = User.Validate
	}
	type key struct{ source, externalID string }
	wants := make([]map[string]string, len(users))
	seen := make(map[key]int, len(users))
	for i, su := range users {
		u := su.User
		fail := func(err error) ([]map[string]string, error) {
			return nil, &SyncedError{Index: i, Source: u.Source, ExternalID: u.ExternalID, Err: err}
		}
		if u.ExternalID == "" {
			return fail(&ValidationError{Field: "ExternalID", Reason: "must not be empty"})
		}
		if err := check(u); err != nil {
			return fail(err)
		}
		k := key{u.Source, u.ExternalID}
		if j, dup := seen[k]; dup {
			return fail(&ValidationError{Field: "ExternalID", Reason: fmt.Sprintf("is also that of user %d of the batch", j)})
		}
		seen[k] = i
		want := make(map[string]string, len(su.Groups))
		for _, name := range su.Groups {
			if err := (Group{Name: name}).Validate(); err != nil {
				return fail(err)
			}
			norm := NormalizeUsername(name)
			if _, dup := want[norm]; !dup {
				want[norm] = name
			}
		}
		wants[i] = want
	}
	return wants, nil
}

// ApplySynced returns stored with the fields a sync owns taken from synced
// (Username, Email, Phone, DisplayName, Enabled, and Attributes merged by
// MergeSyncedAttributes), and whether any of them changed. Every other
// field of stored is kept. SyncWriter implementations use it to update a
// matched user.
func ApplySynced(stored, synced User) (next User, changed bool) {
	next = stored
	next.Username, next.Email, next.Phone, next.DisplayName, next.Enabled =
		synced.Username, synced.Email, synced.Phone, synced.DisplayName, synced.Enabled
	next.Attributes = MergeSyncedAttributes(stored.Attributes, synced.Attributes)
	changed = next.Username != stored.Username || next.Email != stored.Email || next.Phone != stored.Phone ||
		next.DisplayName != stored.DisplayName || next.Enabled != stored.Enabled ||
		!maps.Equal(next.Attributes, stored.Attributes)
	return next, changed
}
