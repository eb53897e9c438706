package main

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// LDIF rules from RFC 2849: a value that is not a SAFE-STRING (it starts
// with space, ':' or '<', ends with a space, or holds NUL, CR, LF or a
// non-ASCII byte) is written base64-encoded after "::".
func TestAppendLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ value, want string }{
		{"alice", "uid: alice\n"},
		{"", "uid: \n"},
		{`o(dd)*user\`, "uid: o(dd)*user\\\n"},
		{"zoë", "uid:: " + base64.StdEncoding.EncodeToString([]byte("zoë")) + "\n"},
		{" lead", "uid:: " + base64.StdEncoding.EncodeToString([]byte(" lead")) + "\n"},
		{"trail ", "uid:: " + base64.StdEncoding.EncodeToString([]byte("trail ")) + "\n"},
		{":colon", "uid:: " + base64.StdEncoding.EncodeToString([]byte(":colon")) + "\n"},
		{"<url", "uid:: " + base64.StdEncoding.EncodeToString([]byte("<url")) + "\n"},
		{"a\nb", "uid:: " + base64.StdEncoding.EncodeToString([]byte("a\nb")) + "\n"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(appendLine(nil, "uid", tt.value)), tt.value)
	}
}

func TestWriteIsStableAndComplete(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	require.NoError(t, write(&a, 3, 0))
	require.NoError(t, write(&b, 3, 0))
	assert.Equal(t, a.String(), b.String(), "the same output on every run")

	entries := strings.Split(strings.TrimSpace(a.String()), "\n\n")
	// suffix, 5 OUs, the policy, the groups, the people, 3 bulk users
	assert.Len(t, entries, 1+5+1+len(groups)+len(people)+3)
	seen := map[string]bool{}
	for _, e := range entries {
		first := strings.SplitN(e, "\n", 2)[0]
		dn := strings.TrimPrefix(first, "dn: ")
		if v, ok := strings.CutPrefix(first, "dn:: "); ok {
			raw, err := base64.StdEncoding.DecodeString(v)
			require.NoError(t, err)
			dn = string(raw)
		}
		_, err := goldap.ParseDN(dn)
		require.NoError(t, err, dn)
		require.False(t, seen[dn], "duplicate %s", dn)
		seen[dn] = true
	}
	assert.True(t, seen[personByUID(`o(dd)*user\`).dn()], "a DN with escaped characters")
	assert.True(t, seen["uid=bulk00002,ou=bulk,dc=usher,dc=test"])
	assert.False(t, seen["uid=bulk00003,ou=bulk,dc=usher,dc=test"])
}

func TestMemberOfMatchesMembers(t *testing.T) {
	t.Parallel()
	m := groupMemberships()
	assert.ElementsMatch(t, []string{groupDN("staff")}, m[personByUID("alice").dn()])
	assert.ElementsMatch(t, []string{groupDN("platform"), groupDN("R&D, Zürich")}, m[personByUID("zoë.ünal").dn()])
	assert.ElementsMatch(t, []string{groupDN("staff")}, m[groupDN("engineering")], "nested groups carry memberOf too")
}
