package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/usher-sdk/usher/userstore"
)

var listTests = []test{
	{"AllInIDOrder", testListAll},
	{"Pages", testListPages},
	{"Filters", testListFilters},
	{"FilteredPages", testListFilteredPages},
	{"Break", testListBreak},
	{"CancelledContext", testListCancelled},
}

// createN creates n users named prefix00, prefix01, ...
func createN(t *testing.T, s userstore.Store, prefix string, n int) []userstore.User {
	t.Helper()
	out := make([]userstore.User, n)
	for i := range out {
		out[i] = mustCreate(t, s, newUser(fmt.Sprintf("%s%02d", prefix, i)))
	}
	return out
}

func testListAll(t *testing.T, s userstore.Store) {
	if got := mustCollect(t, "ListUsers of an empty store", s.ListUsers(t.Context(), userstore.ListOptions{})); len(got) != 0 {
		t.Errorf("empty store lists %d users", len(got))
	}
	users := createN(t, s, "user", 25)
	got := mustCollect(t, "ListUsers", s.ListUsers(t.Context(), userstore.ListOptions{}))
	if want := sortedIDs(users...); !slices.Equal(ids(got), want) {
		t.Fatalf("ListUsers = %v, want %v (ascending IDs)", ids(got), want)
	}
	byID := map[string]userstore.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	for _, u := range got {
		checkUser(t, "listed user", u, byID[u.ID])
	}
}

func testListPages(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	users := createN(t, s, "page", 25)
	want := sortedIDs(users...)
	var got []string
	after, pages := "", 0
	for {
		page := mustCollect(t, "ListUsers page", s.ListUsers(ctx, userstore.ListOptions{After: after, Limit: 10}))
		if len(page) == 0 {
			break
		}
		if len(page) > 10 {
			t.Fatalf("page of %d users, limit 10", len(page))
		}
		pages++
		got = append(got, ids(page)...)
		after = page[len(page)-1].ID
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if pages != 3 {
		t.Errorf("25 users in pages of 10 gave %d pages, want 3", pages)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
	// After need not be an existing ID.
	mid := want[12]
	rest := mustCollect(t, "ListUsers", s.ListUsers(ctx, userstore.ListOptions{After: mid + "\x00"}))
	if !slices.Equal(ids(rest), want[13:]) {
		t.Errorf("after %q: %v, want %v", mid+"\\x00", ids(rest), want[13:])
	}
	if rest := mustCollect(t, "ListUsers", s.ListUsers(ctx, userstore.ListOptions{After: want[24]})); len(rest) != 0 {
		t.Errorf("after the last ID: %d users", len(rest))
	}
}

func testListFilters(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	mk := func(name, source string, enabled bool) userstore.User {
		u := newUser(name)
		u.Source, u.Enabled = source, enabled
		return mustCreate(t, s, u)
	}
	admin1 := mk("admin1", "ldap", true)
	admin2 := mk("Admin2", "", false)
	ädmin := mk("ädmin", "ldap", true)
	bob := mk("bob", "csv", true)
	carol := mk("carol", "ldap", false)
	for _, m := range []struct {
		group string
		users []userstore.User
	}{{"ops", []userstore.User{admin1, bob}}, {"empty", nil}} {
		if _, err := s.CreateGroup(ctx, userstore.Group{Name: m.group}); err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		for _, u := range m.users {
			if err := s.AddMember(ctx, m.group, u.ID); err != nil {
				t.Fatalf("AddMember: %v", err)
			}
		}
	}
	yes, no := true, false
	for _, tt := range []struct {
		name string
		opts userstore.ListOptions
		want []userstore.User
	}{
		{"prefix", userstore.ListOptions{Prefix: "adm"}, []userstore.User{admin1, admin2}},
		{"prefix ignores case", userstore.ListOptions{Prefix: "ADMIN"}, []userstore.User{admin1, admin2}},
		{"prefix non-ASCII", userstore.ListOptions{Prefix: "ÄD"}, []userstore.User{ädmin}},
		{"prefix whole name", userstore.ListOptions{Prefix: "bob"}, []userstore.User{bob}},
		{"prefix no match", userstore.ListOptions{Prefix: "zed"}, nil},
		{"group", userstore.ListOptions{Group: "ops"}, []userstore.User{admin1, bob}},
		{"group ignores case", userstore.ListOptions{Group: "OPS"}, []userstore.User{admin1, bob}},
		{"empty group", userstore.ListOptions{Group: "empty"}, nil},
		{"unknown group", userstore.ListOptions{Group: "nope"}, nil},
		{"source", userstore.ListOptions{Source: "ldap"}, []userstore.User{admin1, ädmin, carol}},
		{"enabled", userstore.ListOptions{Enabled: &yes}, []userstore.User{admin1, ädmin, bob}},
		{"disabled", userstore.ListOptions{Enabled: &no}, []userstore.User{admin2, carol}},
		{"source and enabled", userstore.ListOptions{Source: "ldap", Enabled: &no}, []userstore.User{carol}},
		{"group and prefix", userstore.ListOptions{Group: "ops", Prefix: "a"}, []userstore.User{admin1}},
	} {
		got, err := collect(s.ListUsers(ctx, tt.opts))
		if err != nil {
			t.Errorf("%s: ListUsers: %v", tt.name, err)
			continue
		}
		if want := sortedIDs(tt.want...); !slices.Equal(ids(got), want) {
			t.Errorf("%s: ListUsers(%+v) = %v, want %v", tt.name, tt.opts, ids(got), want)
		}
	}
	// Listed users carry their groups.
	for _, u := range mustCollect(t, "ListUsers", s.ListUsers(ctx, userstore.ListOptions{Group: "ops"})) {
		if !slices.Equal(u.Groups, []string{"ops"}) {
			t.Errorf("listed user %s has groups %v, want [ops]", u.Username, u.Groups)
		}
	}
}

// testListFilteredPages pages through a filter whose matches are spread
// over the users, crossing page boundaries.
func testListFilteredPages(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	var want []userstore.User
	for i := range 30 {
		u := newUser(fmt.Sprintf("f%02d", i))
		u.Enabled = i%3 == 0
		u = mustCreate(t, s, u)
		if u.Enabled {
			want = append(want, u)
		}
	}
	yes := true
	var got []string
	after := ""
	for range 10 {
		page := mustCollect(t, "ListUsers page", s.ListUsers(ctx, userstore.ListOptions{After: after, Limit: 4, Enabled: &yes}))
		if len(page) == 0 {
			break
		}
		got = append(got, ids(page)...)
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, sortedIDs(want...)) {
		t.Errorf("filtered pages = %v, want %v", got, sortedIDs(want...))
	}
}

func testListBreak(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	createN(t, s, "brk", 5)
	n := 0
	for _, err := range s.ListUsers(ctx, userstore.ListOptions{}) {
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		n++
		if n == 2 {
			break
		}
	}
	// The store works on after a consumer stopped early.
	mustCreate(t, s, newUser("after-break"))
	if got := mustCollect(t, "ListUsers", s.ListUsers(ctx, userstore.ListOptions{})); len(got) != 6 {
		t.Errorf("ListUsers after a break lists %d users, want 6", len(got))
	}
	for _, err := range s.ListGroups(ctx) {
		if err != nil {
			t.Fatalf("ListGroups: %v", err)
		}
		break
	}
	for _, err := range s.Changes(ctx, 0) {
		if err != nil {
			t.Fatalf("Changes: %v", err)
		}
		break
	}
	for _, err := range s.Audit(ctx, userstore.AuditFilter{}) {
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		break
	}
}

func testListCancelled(t *testing.T, s userstore.Store) {
	users := createN(t, s, "c", 3)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := collect(s.ListUsers(ctx, userstore.ListOptions{})); err == nil {
		t.Error("ListUsers with a cancelled context yielded no error")
	}
	if _, err := s.GetUser(ctx, users[0].ID); err == nil {
		t.Error("GetUser with a cancelled context returned no error")
	}
	if _, err := s.CreateUser(ctx, newUser("cancelled")); err == nil {
		t.Error("CreateUser with a cancelled context returned no error")
	}
	if _, err := s.GetUserByUsername(t.Context(), "cancelled"); err == nil {
		t.Error("CreateUser with a cancelled context wrote the user")
	}
}
