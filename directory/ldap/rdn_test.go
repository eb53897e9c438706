package ldap

import (
	"context"
	"strconv"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memberOfValues are group DNs as directories laid out unlike ours give
// them: long paths, escaped commas, upper-case types, non-ASCII names.
var memberOfValues = []string{
	"cn=staff,ou=groups,dc=usher,dc=test",
	"CN=Domain Users,CN=Users,DC=example,DC=test",
	`CN=R&D\2C Zürich,OU=Groups,OU=Switzerland,OU=Europe,DC=corp,DC=example,DC=com`,
	"cn=vpn-users,ou=Access,ou=Security Groups,ou=IT,o=Example Corp,c=CH",
	"cn=Zoë's team,ou=groups,dc=usher,dc=test",
	"cn=app-admins+gidNumber=5001,ou=posix,dc=usher,dc=test",
	`cn=\23hash,ou=groups,dc=usher,dc=test`,
	`cn="quoted, name",ou=groups,dc=usher,dc=test`,
	"cn=  spaced  ,ou=groups,dc=usher,dc=test",
	"2.5.4.3=oid-typed,dc=usher,dc=test",
	"cn=#04024869,dc=usher,dc=test",
}

func TestRDNValue(t *testing.T) {
	t.Parallel()
	tests := []struct{ dn, want string }{
		{"cn=staff,ou=groups,dc=usher,dc=test", "staff"},
		{"CN=Domain Users,CN=Users,DC=example,DC=test", "Domain Users"},
		{`CN=R&D\2C Zürich,OU=Groups,DC=example,DC=test`, "R&D, Zürich"},
		{"cn=app-admins+gidNumber=5001,ou=posix,dc=usher,dc=test", "app-admins"},
		{"cn=only", "only"},
		{"", ""},
		{"not a dn", ""},
		{"cn=,dc=x", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, rdnValue(tt.dn), tt.dn)
	}
	for _, dn := range memberOfValues {
		assert.Equal(t, parsedRDNValue(dn), rdnValue(dn), dn)
	}
}

// parsedRDNValue is rdnValue by go-ldap's full DN parser, the reference.
func parsedRDNValue(dn string) string {
	d, err := goldap.ParseDN(dn)
	if err != nil || len(d.RDNs) == 0 || len(d.RDNs[0].Attributes) == 0 {
		return ""
	}
	return d.RDNs[0].Attributes[0].Value
}

// FuzzRDNValue: wherever go-ldap parses the DN, rdnValue gives the value
// its parser gives.
func FuzzRDNValue(f *testing.F) {
	for _, dn := range memberOfValues {
		f.Add(dn)
	}
	f.Fuzz(func(t *testing.T, dn string) {
		want := parsedRDNValue(dn)
		if _, err := goldap.ParseDN(dn); err != nil {
			return
		}
		require.Equal(t, want, rdnValue(dn), "%q", dn)
	})
}

// BenchmarkEntryGroups maps an entry with memberOf values, as a stream
// does for each user: ten plain group DNs as most directories hold, or
// the odd ones above.
func BenchmarkEntryGroups(b *testing.B) {
	var plain []string
	for i := range 10 {
		plain = append(plain, "cn=group-"+strconv.Itoa(i)+",ou=Groups,ou=Corp,dc=example,dc=com")
	}
	for name, groups := range map[string][]string{"plain": plain, "odd": memberOfValues} {
		b.Run(name, func(b *testing.B) {
			s := mustNew(b, Config{})
			m := s.newMapperForTest(serverInfo{})
			e := goldap.NewEntry("uid=u,ou=people,dc=usher,dc=test", map[string][]string{
				"uid": {"u"}, "cn": {"U"}, "mail": {"u@usher.test"}, "memberOf": groups,
			})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.entry(context.Background(), e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzGroupName: a mapper's group names, decoded once and then taken from
// its cache, are rdnValue's.
func FuzzGroupName(f *testing.F) {
	for _, dn := range memberOfValues {
		f.Add(dn)
	}
	m := mustNew(f, Config{}).newMapperForTest(serverInfo{})
	f.Fuzz(func(t *testing.T, dn string) {
		want := rdnValue(dn)
		require.Equal(t, want, m.groupName(dn), "%q", dn)
		require.Equal(t, want, m.groupName(dn), "%q, again", dn)
	})
}
