package ldap

import (
	"strings"
	"testing"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
)

func mustNew(t testing.TB, cfg Config) *Source {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = "ldap://127.0.0.1:1"
	}
	if cfg.BaseDN == "" {
		cfg.BaseDN = "dc=example,dc=test"
	}
	s, err := New(cfg)
	require.NoError(t, err)
	return s
}

func TestLoginFilterAD(t *testing.T) {
	t.Parallel()
	ad := mustNew(t, Config{Name: "example.test", ActiveDirectory: true, UPNSuffixes: []string{"other.test"}})
	open := mustNew(t, Config{ActiveDirectory: true, URL: "ldap://10.0.0.1"})
	plain := mustNew(t, Config{})
	const upnOrSAM = "(|(userPrincipalName=user@example.test)(sAMAccountName=user))"
	tests := []struct {
		src   *Source
		login string
		want  string // "" for a login the source cannot know
	}{
		{ad, "user", upnOrSAM},
		{ad, " user ", upnOrSAM},
		{ad, "user@example.test", upnOrSAM},
		{ad, "user@EXAMPLE.test", "(|(userPrincipalName=user@EXAMPLE.test)(sAMAccountName=user))"},
		{ad, "user@other.test", "(userPrincipalName=user@other.test)"},
		{ad, `EXAMPLE\user`, "(sAMAccountName=user)"},
		{ad, `example\user`, "(sAMAccountName=user)"},
		{ad, `OTHER\user`, ""},
		{ad, `EXAMPLE\`, ""},
		{ad, `EXAMPLE\a\b`, ""},
		{ad, `EXAMPLE\a@b`, ""},
		{ad, `EXAMPLE\u*)(x=`, `(sAMAccountName=u\2a\29\28x=)`},
		{ad, "user@evil.test", ""},
		{ad, "user@", ""},
		{ad, "@example.test", ""},
		{ad, "", ""},
		{ad, "zoë", `(|(userPrincipalName=zo\c3\ab@example.test)(sAMAccountName=zo\c3\ab))`},
		{ad, "*", `(|(userPrincipalName=\2a@example.test)(sAMAccountName=\2a))`},
		{open, "user@anything.test", "(userPrincipalName=user@anything.test)"},
		{open, "user", "(|(userPrincipalName=user)(sAMAccountName=user))"},
		{open, `ANY\user`, "(sAMAccountName=user)"},
		{plain, "user@evil.test", "(uid=user@evil.test)"},
		{plain, `EXAMPLE\user`, `(uid=EXAMPLE\5cuser)`},
	}
	for _, tt := range tests {
		got, ok := tt.src.loginFilter(tt.login)
		assert.Equal(t, tt.want != "", ok, tt.login)
		assert.Equal(t, tt.want, got, tt.login)
		if ok {
			_, err := goldap.CompileFilter(got)
			require.NoError(t, err, got)
		}
	}
	assert.Equal(t, "EXAMPLE", ad.Config().NetBIOSDomain)
	assert.Empty(t, open.Config().NetBIOSDomain)
}

func TestFiltersEscapeOnce(t *testing.T) {
	t.Parallel()
	s := mustNew(t, Config{LoginAttributes: []string{"uid", "mail"}})
	tests := []struct{ login, want string }{
		{`()*\`, `(|(uid=\28\29\2a\5c)(mail=\28\29\2a\5c))`},
		{`a\2a`, `(|(uid=a\5c2a)(mail=a\5c2a))`},
		{"zoë", `(|(uid=zo\c3\ab)(mail=zo\c3\ab))`},
		{"x\x00y", `(|(uid=x\00y)(mail=x\00y))`},
	}
	for _, tt := range tests {
		f, ok := s.loginFilter(tt.login)
		require.True(t, ok)
		assert.Equal(t, tt.want, f, tt.login)
		_, err := goldap.CompileFilter(f)
		require.NoError(t, err)
	}
	f := adMemberFilter(`CN=R&D\2C Zürich,OU=Groups,DC=example,DC=test`, nil)
	assert.Equal(t, `(memberOf:1.2.840.113556.1.4.1941:=CN=R&D\5c2C Z\c3\bcrich,OU=Groups,DC=example,DC=test)`, f)
	_, err := goldap.CompileFilter(f)
	require.NoError(t, err)
	f = adMemberFilter("CN=Domain Users,CN=Users,DC=example,DC=test", []uint32{513, 1105})
	assert.Equal(t, `(|(memberOf:1.2.840.113556.1.4.1941:=CN=Domain Users,CN=Users,DC=example,DC=test)(primaryGroupID=513)(primaryGroupID=1105))`, f)
	_, err = goldap.CompileFilter(f)
	require.NoError(t, err)
}

// The vectors: "{00010203-0405-0607-0809-0a0b0c0d0e0f} ... stored as the
// following 16 bytes: 03 02 01 00 05 04 07 06 08 09 0a 0b 0c 0d 0e 0f"
// (http://fileformats.archiveteam.org/index.php?oldid=28983&title=GUID), and
// "00112233-4455-6677-8899-aabbccddeeff is encoded as the bytes 33 22 11 00
// 55 44 77 66 88 99 aa bb cc dd ee ff" in Microsoft's mixed-endian COM form
// (https://ef-carbon.github.io/primitive/enums/_guid_.endianness.html).
func TestGUID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  []byte
		want string
	}{
		{[]byte{0x03, 0x02, 0x01, 0x00, 0x05, 0x04, 0x07, 0x06, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}, "00010203-0405-0607-0809-0a0b0c0d0e0f"},
		{[]byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, "00112233-4455-6677-8899-aabbccddeeff"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatGUID(tt.raw))
		back, err := parseGUID("{" + tt.want + "}")
		require.NoError(t, err)
		assert.Equal(t, tt.raw, back)
	}
	assert.Empty(t, formatGUID([]byte{1, 2, 3}))
	for _, bad := range []string{"", "00112233-4455-6677-8899-aabbccddeef", "0011223g-4455-6677-8899-aabbccddeeff", "+0112233-4455-6677-8899-aabbccddeeff"} {
		_, err := parseGUID(bad)
		assert.Error(t, err, bad)
	}
}

func TestEntryOfActiveDirectory(t *testing.T) {
	t.Parallel()
	s := mustNew(t, Config{Name: "example.test", ActiveDirectory: true,
		Mapping: ldapMappingPhone("mobile")})
	guid := []byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	mk := func(uac string) *goldap.Entry {
		e := goldap.NewEntry("CN=Ann,OU=Staff,DC=example,DC=test", map[string][]string{
			"userPrincipalName":  {"ann@example.test"},
			"displayName":        {"Ann"},
			"mobile":             {"+1 555 0001", "+1 555 0002"},
			"memberOf":           {`CN=R&D\2C Zürich,OU=Groups,DC=example,DC=test`, "CN=Staff,OU=Groups,DC=example,DC=test"},
			"employeeType":       {"a, b", "b"},
			"userAccountControl": {uac},
		})
		e.Attributes = append(e.Attributes, &goldap.EntryAttribute{Name: "objectGUID", Values: []string{string(guid)}, ByteValues: [][]byte{guid}})
		return e
	}
	m := s.newMapperForTest(serverInfo{})
	entryOf := func(e *goldap.Entry) directory.Entry {
		de, err := m.entry(t.Context(), e)
		require.NoError(t, err)
		return de
	}
	e := entryOf(mk("512"))
	assert.True(t, e.Enabled)
	assert.Equal(t, "00112233-4455-6677-8899-aabbccddeeff", e.ExternalID)
	assert.Equal(t, []string{"00112233-4455-6677-8899-aabbccddeeff"}, e.Raw["objectGUID"])
	assert.Equal(t, "ann@example.test", e.Username)
	assert.Equal(t, "ann@example.test", e.CorporateEmail)
	assert.Equal(t, "+1 555 0001", e.Phone, "the first mobile number")
	assert.Equal(t, []string{"R&D, Zürich", "Staff"}, e.Groups)
	assert.Equal(t, []string{"a", "b"}, e.Roles)
	assert.False(t, entryOf(mk("514")).Enabled, "ACCOUNTDISABLE (2) set")
	assert.True(t, entryOf(mk("66048")).Enabled, "NORMAL_ACCOUNT|DONT_EXPIRE_PASSWORD")
}

// FuzzLoginFilter checks that any login, once escaped, gives a filter that
// compiles and compares exactly the login.
func FuzzLoginFilter(f *testing.F) {
	for _, s := range []string{"alice", `()*\`, "zoë.ünal", "a)(uid=*", "\x00", `\2a`, "é\xff"} {
		f.Add(s)
	}
	s := mustNew(f, Config{})
	f.Fuzz(func(t *testing.T, login string) {
		filter, ok := s.loginFilter(login)
		if !ok {
			return // empty after trimming
		}
		p, err := goldap.CompileFilter(filter)
		require.NoError(t, err, "filter %q", filter)
		require.Len(t, p.Children, 2)
		assert.Equal(t, "uid", p.Children[0].Data.String())
		got := p.Children[1].Data.Bytes()
		if utf8.ValidString(login) {
			assert.Equal(t, strings.TrimSpace(login), string(got))
		}
	})
}

// FuzzParseGUID checks that parseGUID never panics and that what it
// accepts formats back to the same GUID.
func FuzzParseGUID(f *testing.F) {
	for _, s := range []string{"00112233-4455-6677-8899-aabbccddeeff", "{00010203-0405-0607-0809-0A0B0C0D0E0F}", "", "-----"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseGUID(s)
		if err != nil {
			return
		}
		require.Len(t, b, 16)
		again, err := parseGUID(formatGUID(b))
		require.NoError(t, err)
		assert.Equal(t, b, again)
	})
}

func ldapMappingPhone(attr string) directory.Mapping { return directory.Mapping{PhoneNumber: attr} }

func (s *Source) newMapperForTest(info serverInfo) *mapper {
	return &mapper{s: s, now: s.now(), info: info}
}
