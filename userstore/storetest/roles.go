package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/usher-sdk/usher/userstore"
)

var roleTests = []test{
	{"StoredSortedWithoutDuplicates", testRolesSorted},
	{"UpdateChangesRoles", testRolesUpdate},
	{"InvalidRolesWriteNothing", testRolesInvalid},
	{"ListByRole", testRolesList},
	{"ValuesAreCopies", testRolesCopies},
}

func testRolesSorted(t *testing.T, s userstore.Store) {
	in := newUser("roles")
	in.Roles = []string{"viewer", "Admin", "admin", "viewer", "ünïcödé"}
	got := mustCreate(t, s, in)
	want := []string{"Admin", "admin", "viewer", "ünïcödé"}
	if !slices.Equal(got.Roles, want) {
		t.Errorf("CreateUser: Roles = %q, want %q (sorted, duplicates once, case kept)", got.Roles, want)
	}
	if r := mustGet(t, s, got.ID).Roles; !slices.Equal(r, want) {
		t.Errorf("GetUser: Roles = %q, want %q", r, want)
	}
	if r := mustGet(t, s, mustCreate(t, s, newUser("none")).ID).Roles; len(r) != 0 {
		t.Errorf("a user created without roles has %q", r)
	}
}

func testRolesUpdate(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("promoted"))
	seq := lastSeq(t, s)
	u.Roles = []string{"operator", "auditor"}
	got, err := s.UpdateUser(ctx, u)
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if want := []string{"auditor", "operator"}; !slices.Equal(got.Roles, want) || !slices.Equal(mustGet(t, s, u.ID).Roles, want) {
		t.Errorf("after UpdateUser Roles = %q (stored %q), want %q", got.Roles, mustGet(t, s, u.ID).Roles, want)
	}
	if got.Version != u.Version+1 {
		t.Errorf("Version = %d, want %d", got.Version, u.Version+1)
	}
	c := changes(t, s, seq)
	if len(c) != 1 || c[0].Kind != userstore.UserUpdated || c[0].UserID != u.ID {
		t.Errorf("changes after a role update = %+v, want one user.updated", c)
	}
	// The roles a stale update carries are not written.
	stale := u
	stale.Roles = []string{"root"}
	_, err = s.UpdateUser(ctx, stale)
	checkErr(t, "UpdateUser at a stale version", err, userstore.ErrVersionConflict)
	got.Roles = nil
	cleared, err := s.UpdateUser(ctx, got)
	if err != nil {
		t.Fatalf("UpdateUser clearing roles: %v", err)
	}
	if len(cleared.Roles) != 0 || len(mustGet(t, s, u.ID).Roles) != 0 {
		t.Errorf("after clearing, Roles = %q", mustGet(t, s, u.ID).Roles)
	}
	// Password and login-state writes keep the roles.
	withRoles := cleared
	withRoles.Roles = []string{"keep"}
	withRoles, err = s.UpdateUser(ctx, withRoles)
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if err := s.SetPassword(ctx, u.ID, withRoles.PasswordHash, "$test$new", false); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if _, err := s.RecordFailedLogin(ctx, u.ID, 1, 0, withRoles.UpdatedAt); err != nil {
		t.Fatalf("RecordFailedLogin: %v", err)
	}
	if err := s.SetUserGroups(ctx, u.ID, []string{"g"}); err != nil {
		t.Fatalf("SetUserGroups: %v", err)
	}
	if r := mustGet(t, s, u.ID).Roles; !slices.Equal(r, []string{"keep"}) {
		t.Errorf("after password, login-state and group writes Roles = %q, want [keep]", r)
	}
}

func testRolesInvalid(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	valid := mustCreate(t, s, newUser("valid"))
	seq := lastSeq(t, s)
	many := make([]string, userstore.MaxRoles+1)
	for i := range many {
		many[i] = "role-" + strings.Repeat("x", i)
	}
	for _, tt := range []struct {
		name  string
		roles []string
	}{
		{"empty role", []string{"a", ""}},
		{"leading space", []string{" a"}},
		{"trailing space", []string{"a "}},
		{"control character", []string{"a\x00b"}},
		{"newline", []string{"a\nb"}},
		{"invalid UTF-8", []string{"a\xffb"}},
		{"too long", []string{strings.Repeat("ü", userstore.MaxRoleLength+1)}},
		{"too many", many},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := newUser("bob")
			in.Roles = tt.roles
			_, err := s.CreateUser(ctx, in)
			checkErr(t, "CreateUser", err, userstore.ErrInvalid)
			var ve *userstore.ValidationError
			if !errors.As(err, &ve) || ve.Field != "Roles" {
				t.Errorf("CreateUser: error %v is not a *userstore.ValidationError for Roles", err)
			}
			u := valid
			u.Roles = tt.roles
			_, err = s.UpdateUser(ctx, u)
			checkErr(t, "UpdateUser", err, userstore.ErrInvalid)
		})
	}
	// Duplicates count once towards MaxRoles.
	dup := newUser("dup")
	dup.Roles = make([]string, userstore.MaxRoles*2)
	for i := range dup.Roles {
		dup.Roles[i] = "r" + strings.Repeat("x", i%userstore.MaxRoles)
	}
	if _, err := s.CreateUser(ctx, dup); err != nil {
		t.Errorf("CreateUser with %d distinct roles given twice: %v", userstore.MaxRoles, err)
	}
	seq2 := lastSeq(t, s)
	checkUser(t, "user after invalid updates", mustGet(t, s, valid.ID), valid)
	if c := changes(t, s, seq); len(c) != 1 || seq2 == seq {
		t.Errorf("invalid roles recorded changes: %+v", c)
	}
}

func testRolesList(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	admin := newUser("admin")
	admin.Roles = []string{"admin", "user"}
	a := mustCreate(t, s, admin)
	plain := newUser("plain")
	plain.Roles = []string{"user"}
	p := mustCreate(t, s, plain)
	upper := newUser("upper")
	upper.Roles = []string{"Admin"}
	u := mustCreate(t, s, upper)
	mustCreate(t, s, newUser("nobody"))
	for _, tt := range []struct {
		role string
		want []string
	}{
		{"admin", sortedIDs(a)},
		{"Admin", sortedIDs(u)},
		{"user", sortedIDs(a, p)},
		{"adm", nil},
		{"missing", nil},
	} {
		got := ids(mustCollect(t, "ListUsers by role", s.ListUsers(ctx, userstore.ListOptions{Role: tt.role})))
		if !slices.Equal(got, tt.want) && (len(got) != 0 || len(tt.want) != 0) {
			t.Errorf("ListUsers(Role %q) = %q, want %q", tt.role, got, tt.want)
		}
	}
	got := ids(mustCollect(t, "ListUsers by role and prefix", s.ListUsers(ctx, userstore.ListOptions{Role: "user", Prefix: "pl"})))
	if !slices.Equal(got, sortedIDs(p)) {
		t.Errorf("ListUsers(Role user, Prefix pl) = %q, want %q", got, sortedIDs(p))
	}
}

func testRolesCopies(t *testing.T, s userstore.Store) {
	in := newUser("copies")
	in.Roles = []string{"a", "b"}
	u := mustCreate(t, s, in)
	in.Roles[0] = "changed by caller"
	u.Roles[1] = "changed after create"
	got := mustGet(t, s, u.ID)
	got.Roles[0] = "changed after read"
	if r := mustGet(t, s, u.ID).Roles; !slices.Equal(r, []string{"a", "b"}) {
		t.Errorf("roles changed through a caller's slice: %q", r)
	}
}
