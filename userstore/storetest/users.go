package storetest

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

var userTests = []test{
	{"CreateAndGet", testCreateAndGet},
	{"CreateKeepsGivenID", testCreateKeepsGivenID},
	{"GetByUsernameIgnoresCase", testGetByUsername},
	{"FindUsersByEmail", testFindUsersByEmail},
	{"GetByExternalID", testGetByExternalID},
	{"InvalidInputWritesNothing", testInvalidInput},
	{"UniqueUsername", testUniqueUsername},
	{"StaleVersion", testStaleVersion},
	{"UpdateKeepsProtectedFields", testUpdateKeepsProtected},
	{"Delete", testDelete},
	{"ValuesAreCopies", testValuesAreCopies},
}

func testCreateAndGet(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	locked := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	in := userstore.User{
		Username: "Alice.Smith", Email: "alice@example.com", EmailVerified: true,
		Phone: "+41 79 000 00 00", DisplayName: "Alice Smith", GivenName: "Alice", FamilyName: "Smith",
		Enabled: true, MustChangePassword: true, PasswordHash: "$test$hash",
		FailedLogins: 2, LockedUntil: locked,
		Groups:     []string{"ignored"},
		Attributes: map[string]string{"department": "R&D", "ünïcödé": "✓"},
		Source:     "ldap", ExternalID: "uid=alice",
	}
	before := time.Now().Add(-clockSkew)
	got, err := s.CreateUser(ctx, in)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if got.ID == "" {
		t.Error("CreateUser returned an empty ID")
	}
	if got.Version != 1 {
		t.Errorf("Version = %d, want 1", got.Version)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(clockSkew)) {
		t.Errorf("CreatedAt = %v, want about now", got.CreatedAt)
	}
	if got.UpdatedAt.Before(got.CreatedAt.Add(-timeSlack)) {
		t.Errorf("UpdatedAt %v is before CreatedAt %v", got.UpdatedAt, got.CreatedAt)
	}
	want := in
	want.ID, want.Version, want.CreatedAt, want.UpdatedAt = got.ID, 1, got.CreatedAt, got.UpdatedAt
	want.Groups = nil // groups are not set by CreateUser
	checkUser(t, "CreateUser result", got, want)
	checkUser(t, "GetUser", mustGet(t, s, got.ID), want)

	_, err = s.GetUser(ctx, got.ID+"-missing")
	checkErr(t, "GetUser of an unknown ID", err, userstore.ErrNotFound)
	_, err = s.GetUser(ctx, "")
	checkErr(t, "GetUser of an empty ID", err, userstore.ErrNotFound)
}

func testCreateKeepsGivenID(t *testing.T, s userstore.Store) {
	u := newUser("imported")
	u.ID = "imported-0001"
	got := mustCreate(t, s, u)
	if got.ID != u.ID {
		t.Errorf("CreateUser with ID %q returned ID %q", u.ID, got.ID)
	}
	mustGet(t, s, u.ID)
	dup := newUser("other")
	dup.ID = u.ID
	_, err := s.CreateUser(t.Context(), dup)
	checkErr(t, "CreateUser with a taken ID", err, userstore.ErrConflict)
}

func testGetByUsername(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	names := []struct{ stored, lookup string }{
		{"Alice.Smith", "alice.smith"},
		{"bob", "BOB"},
		{"Jürgen", "JÜRGEN"},
		{"ÉLODIE", "élodie"},
		{"Straße", "STRASSE"}, // full case folding
		{"user@Example.COM", "USER@example.com"},
	}
	created := map[string]userstore.User{}
	for _, n := range names {
		created[n.stored] = mustCreate(t, s, userstore.User{Username: n.stored})
	}
	for _, n := range names {
		for _, lookup := range []string{n.stored, n.lookup, " " + n.lookup + " "} {
			got, err := s.GetUserByUsername(ctx, lookup)
			if err != nil {
				t.Errorf("GetUserByUsername(%q): %v", lookup, err)
				continue
			}
			if got.ID != created[n.stored].ID || got.Username != n.stored {
				t.Errorf("GetUserByUsername(%q) = %q (%s), want %q (%s)", lookup, got.Username, got.ID, n.stored, created[n.stored].ID)
			}
		}
	}
	for _, missing := range []string{"alice", "", "bob2", "Alice.Smith2"} {
		_, err := s.GetUserByUsername(ctx, missing)
		checkErr(t, "GetUserByUsername("+missing+")", err, userstore.ErrNotFound)
	}
}

func testFindUsersByEmail(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	shared := []userstore.User{
		mustCreate(t, s, userstore.User{Username: "s1", Email: "shared@example.com"}),
		mustCreate(t, s, userstore.User{Username: "s2", Email: "Shared@Example.com"}),
		mustCreate(t, s, userstore.User{Username: "s3", Email: "SHARED@EXAMPLE.COM"}),
	}
	unique := mustCreate(t, s, userstore.User{Username: "u1", Email: "unique@example.com"})
	mustCreate(t, s, userstore.User{Username: "none"})

	for _, tt := range []struct {
		email string
		limit int
		want  int
	}{
		{"shared@example.com", 0, 3},
		{"SHARED@example.com", -1, 3},
		{"shared@example.com", 2, 2},
		{"shared@example.com", 1, 1},
		{"shared@example.com", 10, 3},
		{"unique@example.com", 2, 1},
		{"Unique@EXAMPLE.com", 0, 1},
		{"missing@example.com", 2, 0},
		{"", 0, 0},
	} {
		got, err := s.FindUsersByEmail(ctx, tt.email, tt.limit)
		if err != nil {
			t.Errorf("FindUsersByEmail(%q, %d): %v", tt.email, tt.limit, err)
			continue
		}
		if len(got) != tt.want {
			t.Errorf("FindUsersByEmail(%q, %d) returned %d users, want %d", tt.email, tt.limit, len(got), tt.want)
		}
		for _, u := range got {
			if !strings.EqualFold(u.Email, tt.email) {
				t.Errorf("FindUsersByEmail(%q) returned %q", tt.email, u.Email)
			}
		}
	}
	got, err := s.FindUsersByEmail(ctx, "shared@example.com", 0)
	if err == nil && !equalSets(ids(got), ids(shared)) {
		t.Errorf("FindUsersByEmail returned %v, want %v", ids(got), ids(shared))
	}
	got, err = s.FindUsersByEmail(ctx, "unique@example.com", 2)
	if err == nil && (len(got) != 1 || got[0].ID != unique.ID) {
		t.Errorf("FindUsersByEmail(unique) = %v, want [%s]", ids(got), unique.ID)
	}
}

func testGetByExternalID(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	a := newUser("a")
	a.Source, a.ExternalID = "ldap", "uid=same"
	b := newUser("b")
	b.Source, b.ExternalID = "csv", "uid=same"
	a, b = mustCreate(t, s, a), mustCreate(t, s, b)
	// Users without an external ID do not collide.
	mustCreate(t, s, userstore.User{Username: "c", Source: "ldap"})
	mustCreate(t, s, userstore.User{Username: "d", Source: "ldap"})

	for _, tt := range []struct{ source, ext, want string }{{"ldap", "uid=same", a.ID}, {"csv", "uid=same", b.ID}} {
		got, err := s.GetUserByExternalID(ctx, tt.source, tt.ext)
		if err != nil || got.ID != tt.want {
			t.Errorf("GetUserByExternalID(%q, %q) = %q, %v; want %q", tt.source, tt.ext, got.ID, err, tt.want)
		}
	}
	for _, tt := range []struct{ source, ext string }{{"ldap", "uid=other"}, {"graph", "uid=same"}, {"ldap", ""}} {
		_, err := s.GetUserByExternalID(ctx, tt.source, tt.ext)
		checkErr(t, "GetUserByExternalID("+tt.source+", "+tt.ext+")", err, userstore.ErrNotFound)
	}

	dup := newUser("e")
	dup.Source, dup.ExternalID = "ldap", "uid=same"
	_, err := s.CreateUser(ctx, dup)
	checkErr(t, "CreateUser with a taken external ID", err, userstore.ErrConflict)
	b.Source = "ldap"
	_, err = s.UpdateUser(ctx, b)
	checkErr(t, "UpdateUser to a taken external ID", err, userstore.ErrConflict)
}

func testInvalidInput(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	valid := mustCreate(t, s, newUser("valid"))
	seq := lastSeq(t, s)
	for _, tt := range []struct {
		name  string
		user  userstore.User
		field string
	}{
		{"empty username", userstore.User{}, "Username"},
		{"leading space", userstore.User{Username: " bob"}, "Username"},
		{"trailing space", userstore.User{Username: "bob "}, "Username"},
		{"control character", userstore.User{Username: "bo\x00b"}, "Username"},
		{"newline", userstore.User{Username: "bo\nb"}, "Username"},
		{"invalid UTF-8", userstore.User{Username: "bo\xffb"}, "Username"},
		{"too long", userstore.User{Username: strings.Repeat("ü", userstore.MaxUsernameLength+1)}, "Username"},
		{"bad e-mail", userstore.User{Username: "bob", Email: "not-an-address"}, "Email"},
		{"e-mail with name", userstore.User{Username: "bob", Email: "Bob <bob@example.com>"}, "Email"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, tt.user)
			checkErr(t, "CreateUser", err, userstore.ErrInvalid)
			var ve *userstore.ValidationError
			if errors.As(err, &ve) && ve.Field != tt.field {
				t.Errorf("CreateUser: ValidationError.Field = %q, want %q", ve.Field, tt.field)
			} else if err != nil && !errors.As(err, &ve) {
				t.Errorf("CreateUser: error %v is not a *userstore.ValidationError", err)
			}

			u := valid
			u.Username, u.Email = tt.user.Username, tt.user.Email
			_, err = s.UpdateUser(ctx, u)
			checkErr(t, "UpdateUser", err, userstore.ErrInvalid)
		})
	}
	users := mustCollect(t, "ListUsers", s.ListUsers(ctx, userstore.ListOptions{}))
	if len(users) != 1 {
		t.Errorf("after invalid input the store holds %d users, want 1", len(users))
	}
	checkUser(t, "user after invalid updates", mustGet(t, s, valid.ID), valid)
	if c := changes(t, s, seq); len(c) != 0 {
		t.Errorf("invalid input recorded %d changes: %+v", len(c), c)
	}
}

func testUniqueUsername(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	bob := mustCreate(t, s, newUser("bob"))
	carol := mustCreate(t, s, newUser("carol"))
	seq := lastSeq(t, s)
	for _, name := range []string{"bob", "BOB", "Bob"} {
		_, err := s.CreateUser(ctx, newUser(name))
		checkErr(t, "CreateUser("+name+")", err, userstore.ErrConflict)
	}
	carol.Username = "BoB"
	_, err := s.UpdateUser(ctx, carol)
	checkErr(t, "UpdateUser to a taken username", err, userstore.ErrConflict)
	if c := changes(t, s, seq); len(c) != 0 {
		t.Errorf("refused writes recorded %d changes", len(c))
	}

	// A user may change the case of their own username.
	bob.Username = "Bob"
	bob, err = s.UpdateUser(ctx, bob)
	if err != nil {
		t.Fatalf("UpdateUser changing the case of the username: %v", err)
	}
	if got, err := s.GetUserByUsername(ctx, "bob"); err != nil || got.Username != "Bob" {
		t.Errorf("GetUserByUsername after a case change = %q, %v; want Bob", got.Username, err)
	}
	// A renamed user frees the old name.
	bob.Username = "robert"
	if _, err := s.UpdateUser(ctx, bob); err != nil {
		t.Fatalf("UpdateUser renaming: %v", err)
	}
	if _, err := s.GetUserByUsername(ctx, "bob"); !errors.Is(err, userstore.ErrNotFound) {
		t.Errorf("GetUserByUsername of the old name: %v, want ErrNotFound", err)
	}
	mustCreate(t, s, newUser("BOB"))
}

func testStaleVersion(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	v1 := mustCreate(t, s, newUser("dave"))
	edit := v1
	edit.DisplayName = "Dave"
	v2, err := s.UpdateUser(ctx, edit)
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if v2.Version <= v1.Version {
		t.Errorf("Version after update = %d, want more than %d", v2.Version, v1.Version)
	}
	if v2.UpdatedAt.Before(v1.UpdatedAt.Add(-timeSlack)) {
		t.Errorf("UpdatedAt went back: %v -> %v", v1.UpdatedAt, v2.UpdatedAt)
	}
	checkUser(t, "GetUser after update", mustGet(t, s, v1.ID), v2)

	seq := lastSeq(t, s)
	stale := v1
	stale.DisplayName = "Stale"
	_, err = s.UpdateUser(ctx, stale)
	checkErr(t, "UpdateUser with a stale version", err, userstore.ErrVersionConflict)
	future := v2
	future.Version += 10
	_, err = s.UpdateUser(ctx, future)
	checkErr(t, "UpdateUser with a future version", err, userstore.ErrVersionConflict)
	checkUser(t, "GetUser after refused updates", mustGet(t, s, v1.ID), v2)
	if c := changes(t, s, seq); len(c) != 0 {
		t.Errorf("refused updates recorded %d changes", len(c))
	}

	missing := newUser("ghost")
	missing.ID, missing.Version = v1.ID+"-missing", 1
	_, err = s.UpdateUser(ctx, missing)
	checkErr(t, "UpdateUser of an unknown ID", err, userstore.ErrNotFound)
}

func testUpdateKeepsProtected(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("erin"))
	if err := s.SetUserGroups(ctx, u.ID, []string{"g1", "g2"}); err != nil {
		t.Fatalf("SetUserGroups: %v", err)
	}
	now := time.Now()
	for range 2 {
		if _, err := s.RecordFailedLogin(ctx, u.ID, 2, time.Hour, now); err != nil {
			t.Fatalf("RecordFailedLogin: %v", err)
		}
	}
	before := mustGet(t, s, u.ID)
	if before.FailedLogins != 2 || before.LockedUntil.IsZero() {
		t.Fatalf("after 2 failures: FailedLogins %d, LockedUntil %v", before.FailedLogins, before.LockedUntil)
	}

	edit := before
	edit.Groups = nil
	edit.CreatedAt = time.Time{}
	edit.FailedLogins, edit.LockedUntil = 0, time.Time{}
	edit.Email, edit.Enabled, edit.DisplayName = "erin@example.org", false, "Erin"
	edit.Attributes = map[string]string{"k": "v"}
	edit.PasswordHash, edit.MustChangePassword = "$new$hash", true
	got, err := s.UpdateUser(ctx, edit)
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	want := edit
	want.Groups, want.CreatedAt = []string{"g1", "g2"}, before.CreatedAt
	want.FailedLogins, want.LockedUntil = before.FailedLogins, before.LockedUntil
	want.UpdatedAt, want.Version = got.UpdatedAt, got.Version
	checkUser(t, "UpdateUser result", got, want)
	checkUser(t, "GetUser after update", mustGet(t, s, u.ID), want)
	if got.Version <= before.Version {
		t.Errorf("Version %d after update, want more than %d", got.Version, before.Version)
	}
}

func testDelete(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("frank"))
	other := mustCreate(t, s, newUser("grace"))
	if err := s.SetUserGroups(ctx, u.ID, []string{"staff"}); err != nil {
		t.Fatalf("SetUserGroups: %v", err)
	}
	if err := s.AddMember(ctx, "staff", other.ID); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	for _, tok := range []userstore.Token{
		{Kind: "reset", UserID: u.ID, Hash: "h-frank-1"},
		{Kind: "activation", UserID: u.ID, Hash: "h-frank-2"},
		{Kind: "reset", UserID: other.ID, Hash: "h-grace"},
	} {
		if err := s.PutToken(ctx, tok, false); err != nil {
			t.Fatalf("PutToken: %v", err)
		}
	}

	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.GetUser(ctx, u.ID)
	checkErr(t, "GetUser after delete", err, userstore.ErrNotFound)
	_, err = s.GetUserByUsername(ctx, "frank")
	checkErr(t, "GetUserByUsername after delete", err, userstore.ErrNotFound)
	if got := mustCollect(t, "ListMembers", s.ListMembers(ctx, "staff")); !equalSets(ids(got), []string{other.ID}) {
		t.Errorf("members after delete = %v, want [%s]", ids(got), other.ID)
	}
	for _, kind := range []string{"reset", "activation"} {
		if toks, err := s.UserTokens(ctx, kind, u.ID); err != nil || len(toks) != 0 {
			t.Errorf("UserTokens(%s) after delete = %d tokens, %v", kind, len(toks), err)
		}
	}
	_, err = s.ConsumeToken(ctx, "reset", "h-frank-1")
	checkErr(t, "ConsumeToken of a deleted user's token", err, userstore.ErrNotFound)
	if toks, err := s.UserTokens(ctx, "reset", other.ID); err != nil || len(toks) != 1 {
		t.Errorf("another user's tokens after delete: %d, %v; want 1", len(toks), err)
	}
	err = s.DeleteUser(ctx, u.ID)
	checkErr(t, "DeleteUser twice", err, userstore.ErrNotFound)

	// The username is free again, and the new user starts without groups.
	again := mustCreate(t, s, newUser("Frank"))
	if g := mustGet(t, s, again.ID).Groups; len(g) != 0 {
		t.Errorf("a new user with a deleted user's name has groups %v", g)
	}
}

func testValuesAreCopies(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	in := newUser("heidi")
	in.Attributes = map[string]string{"a": "1"}
	u := mustCreate(t, s, in)
	in.Attributes["a"] = "changed by caller"
	if err := s.SetUserGroups(ctx, u.ID, []string{"x", "y"}); err != nil {
		t.Fatalf("SetUserGroups: %v", err)
	}
	got := mustGet(t, s, u.ID)
	want := maps.Clone(got.Attributes)
	got.Attributes["a"] = "changed after read"
	got.Groups[0] = "changed"
	again := mustGet(t, s, u.ID)
	if again.Attributes["a"] != "1" || want["a"] != "1" {
		t.Errorf("attributes changed by caller's map: %v", again.Attributes)
	}
	if again.Groups[0] != "x" {
		t.Errorf("groups changed by caller's slice: %v", again.Groups)
	}

	g, err := s.CreateGroup(ctx, userstore.Group{Name: "meta", Metadata: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	g.Metadata["k"] = "changed"
	if g2, err := s.GetGroup(ctx, "meta"); err != nil || g2.Metadata["k"] != "v" {
		t.Errorf("group metadata changed by caller's map: %v, %v", g2.Metadata, err)
	}

	data := []byte("opaque")
	if err := s.PutToken(ctx, userstore.Token{Kind: "k", UserID: u.ID, Hash: "h", Data: data}, false); err != nil {
		t.Fatalf("PutToken: %v", err)
	}
	data[0] = 'X'
	toks, err := s.UserTokens(ctx, "k", u.ID)
	if err != nil || len(toks) != 1 || string(toks[0].Data) != "opaque" {
		t.Errorf("token data changed by caller's slice: %v, %v", toks, err)
	}
}

// equalSets reports whether a and b hold the same strings, in any order.
func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}
