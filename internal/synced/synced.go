// Package synced holds what the user stores' SyncWriter implementations
// (userstore/memstore, userstore/sqlstore) share, so that they refuse the
// same batches and apply a synced user the same way.
package synced

import (
	"fmt"
	"maps"

	"github.com/usher-sdk/usher/userstore"
)

// MergeAttributes returns stored with the entries of set merged in: a key
// with an empty value is removed, others are set. It returns nil for an
// empty result and never changes its arguments.
func MergeAttributes(stored, set map[string]string) map[string]string {
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

// CheckBatch validates a SyncWriter batch before anything is written:
// every user passes check (userstore.User.Validate when check is nil), has an
// ExternalID, and has a Source and ExternalID no other user of the batch
// has; every group name is valid. It returns each user's wanted groups as
// normalized name -> first spelling. An error is a *userstore.SyncedError naming the
// user. memstore and sqlstore use it so that they refuse the same
// batches.
func CheckBatch(users []userstore.SyncedUser, check func(userstore.User) error) ([]map[string]string, error) {
	if check == nil {
		check = userstore.User.Validate
	}
	type key struct{ source, externalID string }
	wants := make([]map[string]string, len(users))
	seen := make(map[key]int, len(users))
	for i, su := range users {
		u := su.User
		fail := func(err error) ([]map[string]string, error) {
			return nil, &userstore.SyncedError{Index: i, Source: u.Source, ExternalID: u.ExternalID, Err: err}
		}
		if u.ExternalID == "" {
			return fail(&userstore.ValidationError{Field: "ExternalID", Reason: "must not be empty"})
		}
		if err := check(u); err != nil {
			return fail(err)
		}
		k := key{u.Source, u.ExternalID}
		if j, dup := seen[k]; dup {
			return fail(&userstore.ValidationError{Field: "ExternalID", Reason: fmt.Sprintf("is also that of user %d of the batch", j)})
		}
		seen[k] = i
		want := make(map[string]string, len(su.Groups))
		for _, name := range su.Groups {
			if err := (userstore.Group{Name: name}).Validate(); err != nil {
				return fail(err)
			}
			norm := userstore.NormalizeUsername(name)
			if _, dup := want[norm]; !dup {
				want[norm] = name
			}
		}
		wants[i] = want
	}
	return wants, nil
}

// Apply returns stored with the fields a sync owns taken from synced
// (Username, Email, Phone, DisplayName, Enabled, and Attributes merged by
// MergeAttributes), and whether any of them changed. Every other
// field of stored is kept. memstore and sqlstore use it to update a
// matched user.
func Apply(stored, synced userstore.User) (next userstore.User, changed bool) {
	next = stored
	next.Username, next.Email, next.Phone, next.DisplayName, next.Enabled =
		synced.Username, synced.Email, synced.Phone, synced.DisplayName, synced.Enabled
	next.Attributes = MergeAttributes(stored.Attributes, synced.Attributes)
	changed = next.Username != stored.Username || next.Email != stored.Email || next.Phone != stored.Phone ||
		next.DisplayName != stored.DisplayName || next.Enabled != stored.Enabled ||
		!maps.Equal(next.Attributes, stored.Attributes)
	return next, changed
}
