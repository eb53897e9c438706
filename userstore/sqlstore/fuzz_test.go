package sqlstore_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// FuzzUserRoundTrip stores users whose text comes from outside (username,
// e-mail, display name, an attribute) in SQLite: the store either refuses
// the input with ErrInvalid (an invalid username or e-mail, text that is
// not UTF-8 or holds NUL) and writes nothing, or gives every field back
// unchanged and finds the user by its case-folded username.
func FuzzUserRoundTrip(f *testing.F) {
	for _, seed := range [][4]string{
		{"alice", "alice@example.com", "Alice", "x"},
		{"Ærøskøbing", "", "Straße", "ß"},
		{"a'b\"c;--", "x@y.z", "DROP TABLE usher_users;", "\x00"},
		{"İstanbul", "", "", "\xff"},
		{" padded", "not an address", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	f.Fuzz(func(t *testing.T, username, email, display, attr string) {
		in := userstore.User{Username: username, Email: email, DisplayName: display, Attributes: map[string]string{"k": attr}}
		u, err := s.CreateUser(ctx, in)
		switch {
		case errors.Is(err, userstore.ErrInvalid):
			if in.Validate() == nil && utf8.ValidString(display+attr) && !strings.ContainsRune(display+attr, 0) {
				t.Fatalf("refused valid input: %v", err)
			}
			return
		case errors.Is(err, userstore.ErrConflict):
			return // a case variant of an earlier input
		case err != nil:
			t.Fatal(err)
		}
		defer func() {
			if err := s.DeleteUser(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}()
		got, err := s.GetUserByUsername(ctx, userstore.NormalizeUsername(username))
		if err != nil {
			t.Fatalf("lookup by the folded username: %v", err)
		}
		if got.ID != u.ID || got.Username != username || got.Email != email || got.DisplayName != display || !maps.Equal(got.Attributes, in.Attributes) {
			t.Fatalf("round trip changed the user: got %+v, stored %+v", got, in)
		}
	})
}
