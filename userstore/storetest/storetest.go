// Package storetest is the conformance suite for implementations of
// [userstore.Store]. Every store that ships with Usher passes it, and a
// third-party store can run it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) userstore.Store {
//			s := mystore.Open(...)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite uses only the standard library's testing package, so that an
// implementer needs none of Usher's test dependencies. It compares errors
// with errors.Is and errors.As, so stores may wrap the userstore sentinels.
//
// It checks what the userstore contract states, and where the contract
// leaves a choice open it asks only what every sensible store does:
//
//   - IDs are compared as strings; the suite does not assume IDs follow
//     creation order, nor that change-feed Seq starts at 1 or is dense
//     (1, 2, 3...): it checks that Seq increases and that a follower
//     passing the last Seq it saw misses nothing.
//   - Times may be stored with microsecond precision.
//   - Group names the suite sorts (ListGroups, User.Groups) order the same
//     by bytes and by case-folded form, so either order passes.
//   - Every write to a user raises its Version. UpdateUser and SetPassword
//     record a user.updated change; RecordFailedLogin and
//     ResetFailedLogins record one exactly when they set or clear
//     LockedUntil, and change nothing at all (Version included) during a
//     lock or when there is nothing to reset. Membership changes record
//     member.added and member.removed.
//     DeleteUser and DeleteGroup record user.deleted and group.deleted and
//     may or may not record member.removed for the memberships they remove.
//   - Group IDs are 32 lower-case hex digits. Group and member events
//     written by the GroupStore methods carry the group's ID.
//   - Roles come back sorted by bytes, each once, case kept; nil and
//     empty are alike. SetPassword, login-state and group writes keep them.
//   - ListUsers with a Group that does not exist lists no one; ListMembers
//     of a group that does not exist yields ErrNotFound.
//   - The user CreateUser and UpdateUser return, groups included, is the
//     one GetUser returns next.
//   - Lookups normalize their input like stored names: GetUserByUsername
//     and FindUsersByEmail ignore case and surrounding space; an empty
//     external ID or e-mail matches no one.
//   - A token needs Kind, UserID and Hash (an error otherwise) and belongs
//     to an existing user (ErrNotFound otherwise); a second token of a kind
//     with the same hash is ErrConflict.
//   - Adding a member twice or removing a non-member records no change.
//   - SetPassword compares the expected hash byte for byte ("" is the hash
//     of a user without a password, not a wildcard); when it differs, the
//     call matches ErrVersionConflict and writes nothing, not even a
//     change event. Of concurrent calls expecting one hash, one succeeds.
//   - AuditFilter.Since keeps events at or after Since.
//   - Close makes later calls fail with ErrClosed; a second Close may
//     return anything but must not panic.
package storetest

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// Run runs the conformance suite against the stores newStore makes. Each
// subtest calls newStore once and expects a fresh, empty, open store;
// newStore should register closing it with t.Cleanup, and that cleanup must
// tolerate a store the test has closed already. Subtests run in parallel,
// so newStore must be safe to call from several goroutines at once.
func Run(t *testing.T, newStore func(t *testing.T) userstore.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Users", userTests},
		{"List", listTests},
		{"Roles", roleTests},
		{"Groups", groupTests},
		{"GroupIDs", groupIDTests},
		{"Tokens", tokenTests},
		{"TokenList", tokenListTests},
		{"Changes", changeTests},
		{"Audit", auditTests},
		{"LoginState", loginStateTests},
		{"Concurrency", concurrencyTests},
		{"Count", countTests},
		{"Close", closeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					s := newStore(t)
					if s == nil {
						t.Fatal("newStore returned nil")
					}
					tt.run(t, s)
				})
			}
		})
	}
}

// test is one subtest of the suite, run on a fresh store.
type test struct {
	name string
	run  func(t *testing.T, s userstore.Store)
}

// timeSlack is how far two times may differ and count as the same, as
// stores may keep microseconds only.
const timeSlack = time.Microsecond

// clockSkew is how far a store's clock (a database server's, say) may be
// from the test's when the suite checks that a time is about now.
const clockSkew = time.Minute

func sameTime(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -timeSlack && d < timeSlack
}

// newUser returns a valid, enabled user with an e-mail derived from name.
func newUser(name string) userstore.User {
	return userstore.User{Username: name, Email: name + "@example.com", Enabled: true}
}

// mustCreate creates a user or stops the test.
func mustCreate(t *testing.T, s userstore.Store, u userstore.User) userstore.User {
	t.Helper()
	got, err := s.CreateUser(t.Context(), u)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", u.Username, err)
	}
	return got
}

// mustGet reads a user or stops the test.
func mustGet(t *testing.T, s userstore.Store, id string) userstore.User {
	t.Helper()
	got, err := s.GetUser(t.Context(), id)
	if err != nil {
		t.Fatalf("GetUser(%q): %v", id, err)
	}
	return got
}

// collect drains a stream, stopping at its first error.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// mustCollect drains a stream or stops the test.
func mustCollect[T any](t *testing.T, what string, seq iter.Seq2[T, error]) []T {
	t.Helper()
	out, err := collect(seq)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return out
}

// checkErr reports an error unless err matches target.
func checkErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want one matching %v", what, err, target)
	}
}

// ids returns the IDs of users, in order.
func ids(users []userstore.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// sortedIDs returns the IDs of users in ascending order.
func sortedIDs(users ...userstore.User) []string {
	out := ids(users)
	slices.Sort(out)
	return out
}

// userDiff describes how got differs from want, or returns "" when they
// are the same: times within timeSlack, nil and empty maps and slices
// alike.
func userDiff(got, want userstore.User) string {
	for _, p := range []struct{ g, w *time.Time }{
		{&got.LockedUntil, &want.LockedUntil},
		{&got.CreatedAt, &want.CreatedAt},
		{&got.UpdatedAt, &want.UpdatedAt},
	} {
		if sameTime(*p.g, *p.w) {
			*p.g = *p.w
		}
	}
	if len(got.Groups) == 0 && len(want.Groups) == 0 {
		got.Groups, want.Groups = nil, nil
	}
	if len(got.Roles) == 0 && len(want.Roles) == 0 {
		got.Roles, want.Roles = nil, nil
	}
	if maps.Equal(got.Attributes, want.Attributes) {
		got.Attributes = want.Attributes
	}
	if reflect.DeepEqual(got, want) {
		return ""
	}
	var diff string
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		if g, w := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
			diff += fmt.Sprintf("\n\t%s: got %v, want %v", gv.Type().Field(i).Name, g, w)
		}
	}
	return diff
}

// checkUser reports how got differs from want.
func checkUser(t *testing.T, what string, got, want userstore.User) {
	t.Helper()
	if d := userDiff(got, want); d != "" {
		t.Errorf("%s: user differs:%s", what, d)
	}
}

// changes returns the store's change events after seq.
func changes(t *testing.T, s userstore.Store, after int64) []userstore.Change {
	t.Helper()
	return mustCollect(t, "Changes", s.Changes(t.Context(), after))
}

// lastSeq returns the Seq of the store's last change event, or 0.
func lastSeq(t *testing.T, s userstore.Store) int64 {
	t.Helper()
	c := changes(t, s, 0)
	if len(c) == 0 {
		return 0
	}
	return c[len(c)-1].Seq
}

func isNotFound(err error) bool { return errors.Is(err, userstore.ErrNotFound) }
