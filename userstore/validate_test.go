package userstore

import (
	"net/mail"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeUsername(t *testing.T) {
	for in, want := range map[string]string{
		"  Alice@Example.COM ": "alice@example.com",
		"bob":                  "bob",
		"Jürgen":               "jürgen",
		"STRASSE":              "strasse",
		"Straße":               "strasse", // full folding
		"\u212Aelvin":          "kelvin",  // the Kelvin sign folds to k
		"":                     "",
	} {
		assert.Equal(t, want, NormalizeUsername(in), "%q", in)
	}
}

// FuzzNormalizeUsername: the ASCII fast path gives what Unicode case
// folding gives.
func FuzzNormalizeUsername(f *testing.F) {
	f.Add("Alice@Example.COM")
	f.Add(" x\t")
	f.Add("Ǆ")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := NormalizeUsername(s), folder.String(strings.TrimSpace(s)); got != want {
			t.Fatalf("NormalizeUsername(%q) = %q, folding gives %q", s, got, want)
		}
	})
}

// FuzzPlainAddress: an address the fast path accepts is one that
// mail.ParseAddress accepts as itself, with no name.
func FuzzPlainAddress(f *testing.F) {
	for _, s := range []string{"bulk00001@bulk.usher.test", "a.b+c@x-y.z", ".a@b", "a..b@c", "a@b.", "a@", "@b", "a@b@c", "\"a\"@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !plainAddress(s) {
			return
		}
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || a.Name != "" {
			t.Fatalf("plainAddress(%q) but ParseAddress gives %+v, %v", s, a, err)
		}
	})
}

func TestValidateEmail(t *testing.T) {
	for s, ok := range map[string]bool{
		"bulk00001@bulk.usher.test": true, "a.b+c@x-y.z": true, "Frank <frank@x.test>": false,
		"a..b@c": false, ".a@b": false, "a@b": true, `"quoted"@x.test`: false /* ParseAddress gives it unquoted */, "no-at": false, "a@b@c": false,
	} {
		assert.Equal(t, ok, validateEmail(s) == nil, "%q", s)
	}
}
