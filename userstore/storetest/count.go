package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// countTests check the optional userstore.Counter; they skip on a store
// that does not implement it.
var countTests = []test{
	{"Empty", testCountEmpty},
	{"Filters", testCountFilters},
	{"AgreesWithList", testCountAgreesWithList},
	{"FollowsWrites", testCountFollowsWrites},
	{"Locked", testCountLocked},
	{"Errors", testCountErrors},
}

// counter returns s as a Counter, or skips the test.
func counter(t *testing.T, s userstore.Store) userstore.Counter {
	t.Helper()
	c, ok := s.(userstore.Counter)
	if !ok {
		t.Skip("the store does not implement userstore.Counter")
	}
	return c
}

// mustCount counts or stops the test.
func mustCount(t *testing.T, c userstore.Counter, opts userstore.CountOptions) userstore.UserCounts {
	t.Helper()
	got, err := c.CountUsers(t.Context(), opts)
	if err != nil {
		t.Fatalf("CountUsers(%+v): %v", opts, err)
	}
	return got
}

func checkCounts(t *testing.T, what string, got, want userstore.UserCounts) {
	t.Helper()
	if got != want {
		t.Errorf("%s: CountUsers = %+v, want %+v", what, got, want)
	}
}

func testCountEmpty(t *testing.T, s userstore.Store) {
	c := counter(t, s)
	checkCounts(t, "empty store", mustCount(t, c, userstore.CountOptions{}), userstore.UserCounts{})
	checkCounts(t, "empty store, locked now", mustCount(t, c, userstore.CountOptions{LockedAt: time.Now()}), userstore.UserCounts{})
}

// countFixture creates users for the filter tests:
//
//	name     enabled  source  roles         groups
//	alice    yes      ldap    admin         staff
//	alfred   no       ldap    admin, audit  staff, ops
//	bob      yes      csv     audit         ops
//	carol    yes      -       -             -
//	dave     no       -       -             staff
func countFixture(t *testing.T, s userstore.Store) {
	t.Helper()
	ctx := t.Context()
	for _, f := range []struct {
		name    string
		enabled bool
		source  string
		roles   []string
		groups  []string
	}{
		{"alice", true, "ldap", []string{"admin"}, []string{"staff"}},
		{"alfred", false, "ldap", []string{"admin", "audit"}, []string{"staff", "ops"}},
		{"bob", true, "csv", []string{"audit"}, []string{"ops"}},
		{"carol", true, "", nil, nil},
		{"dave", false, "", nil, []string{"staff"}},
	} {
		u := newUser(f.name)
		u.Enabled, u.Source, u.Roles = f.enabled, f.source, f.roles
		if f.source != "" {
			u.ExternalID = f.name
		}
		u = mustCreate(t, s, u)
		if len(f.groups) > 0 {
			if err := s.SetUserGroups(ctx, u.ID, f.groups); err != nil {
				t.Fatalf("SetUserGroups(%q): %v", f.name, err)
			}
		}
	}
	if _, err := s.CreateGroup(ctx, userstore.Group{Name: "empty"}); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
}

func testCountFilters(t *testing.T, s userstore.Store) {
	c := counter(t, s)
	countFixture(t, s)
	for _, tt := range []struct {
		name string
		opts userstore.CountOptions
		want userstore.UserCounts
	}{
		{"all", userstore.CountOptions{}, userstore.UserCounts{Total: 5, Enabled: 3}},
		{"prefix", userstore.CountOptions{Prefix: "al"}, userstore.UserCounts{Total: 2, Enabled: 1}},
		{"prefix ignores case and space", userstore.CountOptions{Prefix: " AL"}, userstore.UserCounts{Total: 2, Enabled: 1}},
		{"prefix of no one", userstore.CountOptions{Prefix: "zed"}, userstore.UserCounts{}},
		{"group", userstore.CountOptions{Group: "staff"}, userstore.UserCounts{Total: 3, Enabled: 1}},
		{"group ignores case", userstore.CountOptions{Group: "OPS"}, userstore.UserCounts{Total: 2, Enabled: 1}},
		{"empty group", userstore.CountOptions{Group: "empty"}, userstore.UserCounts{}},
		{"missing group", userstore.CountOptions{Group: "nosuch"}, userstore.UserCounts{}},
		{"role", userstore.CountOptions{Role: "audit"}, userstore.UserCounts{Total: 2, Enabled: 1}},
		{"role is exact", userstore.CountOptions{Role: "Admin"}, userstore.UserCounts{}},
		{"source", userstore.CountOptions{Source: "ldap"}, userstore.UserCounts{Total: 2, Enabled: 1}},
		{"group and source", userstore.CountOptions{Group: "ops", Source: "csv"}, userstore.UserCounts{Total: 1, Enabled: 1}},
		{"group, prefix and role", userstore.CountOptions{Group: "staff", Prefix: "al", Role: "admin"}, userstore.UserCounts{Total: 2, Enabled: 1}},
		{"NUL byte", userstore.CountOptions{Source: "ld\x00ap"}, userstore.UserCounts{}},
	} {
		checkCounts(t, tt.name, mustCount(t, c, tt.opts), tt.want)
	}
}

// testCountAgreesWithList checks that CountUsers counts what ListUsers
// lists, with each filter and with Enabled.
func testCountAgreesWithList(t *testing.T, s userstore.Store) {
	c := counter(t, s)
	countFixture(t, s)
	listed := func(opts userstore.ListOptions) int {
		return len(mustCollect(t, "ListUsers", s.ListUsers(t.Context(), opts)))
	}
	yes := true
	for _, o := range []userstore.CountOptions{
		{}, {Prefix: "a"}, {Group: "staff"}, {Role: "admin"}, {Source: "csv"}, {Group: "ops", Role: "audit"},
	} {
		l := userstore.ListOptions{Prefix: o.Prefix, Group: o.Group, Role: o.Role, Source: o.Source}
		want := userstore.UserCounts{Total: listed(l)}
		l.Enabled = &yes
		want.Enabled = listed(l)
		checkCounts(t, "as listed", mustCount(t, c, o), want)
	}
}

func testCountFollowsWrites(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	c := counter(t, s)
	users := createN(t, s, "w", 12)
	checkCounts(t, "after create", mustCount(t, c, userstore.CountOptions{}), userstore.UserCounts{Total: 12, Enabled: 12})
	u := users[3]
	u.Enabled = false
	if _, err := s.UpdateUser(ctx, u); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	checkCounts(t, "after disabling one", mustCount(t, c, userstore.CountOptions{}), userstore.UserCounts{Total: 12, Enabled: 11})
	for _, u := range users[:2] {
		if err := s.DeleteUser(ctx, u.ID); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
	}
	checkCounts(t, "after deleting two", mustCount(t, c, userstore.CountOptions{}), userstore.UserCounts{Total: 10, Enabled: 9})
	if err := s.SetUserGroups(ctx, users[5].ID, []string{"g"}); err != nil {
		t.Fatalf("SetUserGroups: %v", err)
	}
	checkCounts(t, "member of g", mustCount(t, c, userstore.CountOptions{Group: "g"}), userstore.UserCounts{Total: 1, Enabled: 1})
	if err := s.DeleteUser(ctx, users[5].ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	checkCounts(t, "deleted member of g", mustCount(t, c, userstore.CountOptions{Group: "g"}), userstore.UserCounts{})
}

func testCountLocked(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	c := counter(t, s)
	now := time.Now().UTC().Truncate(time.Second)
	create := func(name string, enabled bool, lockedUntil time.Time) userstore.User {
		u := newUser(name)
		u.Enabled, u.LockedUntil = enabled, lockedUntil
		return mustCreate(t, s, u)
	}
	create("free", true, time.Time{})
	create("expired", true, now.Add(-time.Minute))
	create("locked", true, now.Add(time.Hour))
	create("disabled-locked", false, now.Add(time.Hour))
	create("locked-for-ever", true, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	failing := create("failing", true, time.Time{})
	// The failure that locks the account locks it from now to now+10m.
	for range 3 {
		if _, err := s.RecordFailedLogin(ctx, failing.ID, 3, 10*time.Minute, now); err != nil {
			t.Fatalf("RecordFailedLogin: %v", err)
		}
	}
	for _, tt := range []struct {
		name string
		at   time.Time
		want int
	}{
		{"no LockedAt", time.Time{}, 0},
		{"now", now, 4},
		{"a minute ago", now.Add(-2 * time.Minute), 5},
		{"at the end of the failing lock", now.Add(10 * time.Minute), 3},
		{"in two hours", now.Add(2 * time.Hour), 1},
		{"before 1970", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), 5},
	} {
		checkCounts(t, "locked at "+tt.name, mustCount(t, c, userstore.CountOptions{LockedAt: tt.at}), userstore.UserCounts{Total: 6, Enabled: 5, Locked: tt.want})
	}
	checkCounts(t, "locked with prefix", mustCount(t, c, userstore.CountOptions{LockedAt: now, Prefix: "lock"}), userstore.UserCounts{Total: 2, Enabled: 2, Locked: 2})
	if err := s.ResetFailedLogins(ctx, failing.ID); err != nil {
		t.Fatalf("ResetFailedLogins: %v", err)
	}
	checkCounts(t, "after reset", mustCount(t, c, userstore.CountOptions{LockedAt: now}), userstore.UserCounts{Total: 6, Enabled: 5, Locked: 3})
}

func testCountErrors(t *testing.T, s userstore.Store) {
	c := counter(t, s)
	mustCreate(t, s, newUser("x"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.CountUsers(ctx, userstore.CountOptions{}); err == nil {
		t.Error("CountUsers with a cancelled context succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err := c.CountUsers(t.Context(), userstore.CountOptions{})
	checkErr(t, "CountUsers after Close", err, userstore.ErrClosed)
}
