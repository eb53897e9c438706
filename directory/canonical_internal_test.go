package directory

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encoderCanonical is Canonical as it was first written: the record
// through encoding/json's Encoder. Canonical must give the same bytes,
// or signatures made by one version would not verify in the other.
func encoderCanonical(r Record) []byte {
	r.Groups = canonicalSet(r.Groups)
	r.Roles = canonicalSet(r.Roles)
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r)
	return []byte(strings.TrimSuffix(b.String(), "\n"))
}

func TestCanonicalIsEncoderOutput(t *testing.T) {
	tests := []struct {
		name string
		r    Record
	}{
		{"empty", Record{}},
		{"plain", Record{Source: "ldap://dc1", ExternalID: "5eed0001-0000", Username: "bulk00001", FullName: "Bulk User 00001",
			CorporateEmail: "bulk00001@bulk.usher.test", Phone: "+1 555 0000001", Groups: []string{"a", "b"}, Roles: []string{"admin"}, Enabled: true}},
		{"html is not escaped", Record{FullName: "R&D <team>", Groups: []string{"R&D"}}},
		{"quotes and backslashes", Record{FullName: `say "hi" \ bye`, Username: `EXAMPLE\frank`}},
		{"control characters", Record{FullName: "tab\there\nnewline\x00nul\x7fdel"}},
		{"unicode", Record{FullName: "Jürgen Ñandú 日本", Groups: []string{"Zürich", "Team\u2028Line\u2029"}}},
		{"invalid UTF-8", Record{FullName: "bad \xff\xfe byte", Groups: []string{"\xc3"}}},
		{"sets made canonical", Record{Groups: []string{" b ", "a", "", "b", "a"}, Roles: []string{"z", "y"}}},
		{"nil and empty sets", Record{Groups: nil, Roles: []string{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, string(encoderCanonical(tc.r)), string(tc.r.Canonical()))
		})
	}
}

func TestCanonicalViewDoesNotCopyCanonicalSets(t *testing.T) {
	in := []string{"a", "b"}
	got := canonicalView(in)
	require.Len(t, got, 2)
	assert.Same(t, &in[0], &got[0])
	assert.Equal(t, []string{}, canonicalView(nil))
	assert.Equal(t, []string{"a", "b"}, canonicalView([]string{"b", "a", "a"}))
	r := RecordOf(Entry{Groups: in})
	in[0] = "changed"
	assert.Equal(t, []string{"a", "b"}, r.Groups, "RecordOf copies: a source may reuse its slices")
}

func FuzzCanonical(f *testing.F) {
	f.Add("ldap://dc1", "bulk00001", "Bulk User", "a", " b", "R&D", true)
	f.Add("", `EXAMPLE\frank`, "say \"hi\"\n", "\xff", "\u2028", "", false)
	f.Fuzz(func(t *testing.T, source, username, fullName, g1, g2, role string, enabled bool) {
		r := Record{Source: source, ExternalID: g2 + username, Username: username, FullName: fullName,
			CorporateEmail: fullName + "@x", PersonalEmail: g1, Phone: role, Groups: []string{g1, g2}, Roles: []string{role}, Enabled: enabled}
		if got, want := r.Canonical(), encoderCanonical(r); string(got) != string(want) {
			t.Fatalf("Canonical %q, the Encoder %q", got, want)
		}
	})
}
