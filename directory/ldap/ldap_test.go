package ldap_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/internal/sourcetest"
	"github.com/usher-sdk/usher/internal/testenv"
)

// The test directory is internal/testenv/ldapseed's; its doc comment lists
// the users, groups and passwords used here.

const (
	suffix   = "dc=usher,dc=test"
	people   = "ou=people," + suffix
	groupsOU = "ou=groups," + suffix
	bulkOU   = "ou=bulk," + suffix
	oddUID   = `o(dd)*user\`
	zoeUID   = "zoë.ünal"
)

// newSource returns a source over the private slapd with cfg's gaps
// filled in: the server's URL and administrator, and ou=people.
func newSource(t testing.TB, cfg ldap.Config, opts ...ldap.Option) *ldap.Source {
	t.Helper()
	srv := testenv.LDAP(t)
	if cfg.URL == "" {
		cfg.URL = srv.URL
	}
	if cfg.BindDN == "" {
		cfg.BindDN, cfg.BindPassword = srv.BindDN, srv.BindPassword
	}
	if cfg.BaseDN == "" {
		cfg.BaseDN = people
	}
	if cfg.GroupBaseDN == "" {
		cfg.GroupBaseDN = groupsOU
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Second
	}
	s, err := ldap.New(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// entryNames are the sorted usernames of entries.
func entryNames(es []directory.Entry) []string {
	var names []string
	for _, e := range es {
		names = append(names, e.Username)
	}
	slices.Sort(names)
	return names
}

func usernames(t *testing.T, seq func(func(directory.Entry, error) bool)) []string {
	t.Helper()
	var names []string
	for e, err := range seq {
		require.NoError(t, err)
		names = append(names, e.Username)
	}
	slices.Sort(names)
	return names
}

func TestLookupMapsEveryField(t *testing.T) {
	t.Parallel()
	s := newSource(t, ldap.Config{Name: "usher.test"})
	e, err := s.Lookup(ctxT(t), "alice")
	require.NoError(t, err)
	assert.Equal(t, "usher.test", e.Source)
	assert.Equal(t, "uid=alice,"+people, e.DN)
	assert.Equal(t, "5eed0000-0000-4000-8000-000000000001", e.ExternalID)
	assert.Equal(t, "alice", e.Username)
	assert.Equal(t, "Alice Andersson", e.FullName)
	assert.Equal(t, "alice@usher.test", e.CorporateEmail)
	assert.Empty(t, e.PersonalEmail, "plain LDAP maps no personal e-mail by default")
	assert.Equal(t, "+1 555 0100", e.Phone)
	assert.Equal(t, []string{"staff"}, e.Groups)
	assert.Equal(t, []string{"admin", "auditor", "staff"}, e.Roles, "employeeType values split at commas")
	assert.True(t, e.Enabled)
	assert.NotContains(t, e.Raw, "mobile", "attributes outside the mapping are read only when asked for")
	assert.NotContains(t, e.Raw, "userPassword")
	assert.Equal(t, []string{"alice"}, e.Raw["uid"])
}

func TestLookupEscapesLogins(t *testing.T) {
	t.Parallel()
	s := newSource(t, ldap.Config{})
	tests := []struct {
		login    string
		wantUser string // "" means not found
		wantName string
		groups   []string
	}{
		{login: oddUID, wantUser: oddUID, wantName: `O(dd)* User\`, groups: []string{"R&D, Zürich"}},
		{login: zoeUID, wantUser: zoeUID, wantName: "Zoë Ünal", groups: []string{"platform", "R&D, Zürich"}},
		{login: "  alice  ", wantUser: "alice"},
		{login: "*"},
		{login: "al*"},
		{login: "alice)(uid=*"},
		{login: `o(dd)*user\\`},
		{login: `o\28dd\29\2auser\5c`, wantUser: ""}, // already escaped: must not be unescaped again
		{login: "zoe.unal"},
		{login: "nobody"},
		{login: "mallory"}, // in ou=contractors, outside the base DN
		{login: ""},
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			t.Parallel()
			e, err := s.Lookup(ctxT(t), tt.login)
			if tt.wantUser == "" {
				require.ErrorIs(t, err, directory.ErrNotFound)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantUser, e.Username)
			if tt.wantName != "" {
				assert.Equal(t, tt.wantName, e.FullName)
			}
			if tt.groups != nil {
				assert.ElementsMatch(t, tt.groups, e.Groups)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	plain := newSource(t, ldap.Config{})
	withDisabled := newSource(t, ldap.Config{DisabledAttribute: "usherAccountDisabled"})
	tests := []struct {
		name            string
		src             *ldap.Source
		login, password string
		ok              bool
	}{
		{"right password", plain, "alice", "alice-password", true},
		{"wrong password", plain, "alice", "bob-password", false},
		{"unknown user", plain, "nobody", "alice-password", false},
		{"empty password", plain, "alice", "", false},
		{"special characters", plain, oddUID, "odd-password", true},
		{"non-ASCII login and password", plain, zoeUID, "zoë-pässword", true},
		{"wildcard login", plain, "*", "alice-password", false},
		{"injected filter", plain, "alice)(|(uid=*", "alice-password", false},
		{"ppolicy-locked account", plain, "dave", "dave-password", false},
		{"out of scope", plain, "mallory", "mallory-password", false},
		{"disabled attribute not configured", plain, "erin", "erin-password", true},
		{"disabled attribute configured", withDisabled, "erin", "erin-password", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, ok, err := tt.src.Authenticate(ctxT(t), tt.login, tt.password)
			require.NoError(t, err)
			assert.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, tt.login, e.Username)
			} else {
				assert.Zero(t, e, "a refusal returns no entry")
			}
		})
	}
}

func TestDisabledAndLockedEntries(t *testing.T) {
	t.Parallel()
	s := newSource(t, ldap.Config{DisabledAttribute: "usherAccountDisabled"})
	for login, enabled := range map[string]bool{"dave": false, "erin": false, "bob": true} {
		e, err := s.Lookup(ctxT(t), login)
		require.NoError(t, err, login)
		assert.Equal(t, enabled, e.Enabled, login)
	}
}

func TestMappingOverrides(t *testing.T) {
	t.Parallel()
	s := newSource(t, ldap.Config{
		Mapping:         directory.Mapping{PhoneNumber: "mobile", Groups: "employeeType", Roles: "title", CorporateEmail: "mail"},
		LoginAttributes: []string{"uid", "userPrincipalName"},
		Attributes:      []string{"sn"},
	})
	e, err := s.Lookup(ctxT(t), "alice")
	require.NoError(t, err)
	assert.Equal(t, "+1 555 0101", e.Phone, "the first mobile number")
	assert.Equal(t, []string{"admin", "auditor", "staff"}, e.Groups, "groups from another attribute are comma-separated values")
	assert.Empty(t, e.Roles)
	assert.Equal(t, []string{"Andersson"}, e.Raw["sn"])

	e, err = s.Lookup(ctxT(t), "CAROL@corp.usher.test")
	require.NoError(t, err, "login by a second login attribute, matched case-insensitively")
	assert.Equal(t, "carol", e.Username)
	_, ok, err := s.Authenticate(ctxT(t), "carol@corp.usher.test", "carol-password")
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestGroupScope(t *testing.T) {
	t.Parallel()
	staff := "cn=staff," + groupsOU
	tests := []struct {
		name string
		cfg  ldap.Config
		want []string
	}{
		{"group DN, whole tree", ldap.Config{BaseDN: suffix, GroupDN: staff}, []string{"alice", "bob", "mallory", zoeUID}},
		{"group DN, one OU", ldap.Config{GroupDN: staff}, []string{"alice", "bob", zoeUID}},
		{"mandatory group by name", ldap.Config{MandatoryGroup: "engineering"}, []string{"bob", zoeUID}},
		{"group with escaped DN", ldap.Config{GroupDN: `cn=R&D\2C Zürich,` + groupsOU}, []string{oddUID, zoeUID}},
		{"both", ldap.Config{GroupDN: staff, MandatoryGroup: `R&D, Zürich`}, []string{zoeUID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSource(t, tt.cfg)
			assert.Equal(t, tt.want, usernames(t, s.Users(ctxT(t))))
		})
	}

	s := newSource(t, ldap.Config{MandatoryGroup: "engineering"})
	_, err := s.Lookup(ctxT(t), "alice")
	require.ErrorIs(t, err, directory.ErrNotFound, "outside the mandatory group")
	_, ok, err := s.Authenticate(ctxT(t), "alice", "alice-password")
	require.NoError(t, err)
	assert.False(t, ok, "outside the mandatory group")
	_, ok, err = s.Authenticate(ctxT(t), zoeUID, "zoë-pässword")
	require.NoError(t, err)
	assert.True(t, ok, "nested two levels down")

	missing := newSource(t, ldap.Config{MandatoryGroup: "no such group"})
	_, _, err = missing.Authenticate(ctxT(t), "alice", "alice-password")
	require.Error(t, err, "a mandatory group that does not exist is a configuration fault")
}

// bulkCount is the number of users in ou=bulk.
func bulkCount(t *testing.T) int {
	n := 20000
	if v := os.Getenv("USHER_LDAPSEED_BULK"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	return n
}

func TestUsersPagesThroughBulk(t *testing.T) {
	t.Parallel()
	s := newSource(t, ldap.Config{BaseDN: bulkOU, PageSize: 700})
	seen := make(map[string]bool, bulkCount(t))
	for e, err := range s.Users(ctxT(t)) {
		require.NoError(t, err)
		require.NotEmpty(t, e.ExternalID)
		require.False(t, seen[e.ExternalID], "duplicate %s", e.ExternalID)
		seen[e.ExternalID] = true
	}
	assert.Len(t, seen, bulkCount(t), "every user once, across pages of 700")

	// break stops the stream, and the source stays usable.
	n := 0
	for _, err := range s.Users(ctxT(t)) {
		require.NoError(t, err)
		if n++; n == 1500 {
			break
		}
	}
	assert.Equal(t, 1500, n)
	e, err := s.Lookup(ctxT(t), "bulk00042")
	require.NoError(t, err)
	assert.Equal(t, "+1 555 0000042", e.Phone)
}

func TestUsersCancelled(t *testing.T) {
	t.Parallel()
	s := newSource(t, ldap.Config{BaseDN: bulkOU, PageSize: 100})
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	n := 0
	var last error
	for _, err := range s.Users(ctx) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 250 {
			cancel()
		}
	}
	require.ErrorIs(t, last, context.Canceled)
}

func TestGroups(t *testing.T) {
	t.Parallel()
	s := newSource(t, ldap.Config{})
	var names []string
	for g, err := range s.Groups(ctxT(t)) {
		require.NoError(t, err)
		names = append(names, g)
	}
	assert.ElementsMatch(t, []string{"staff", "engineering", "platform", "R&D, Zürich"}, names)
}

func TestServiceBindRejected(t *testing.T) {
	t.Parallel()
	srv := testenv.LDAP(t)
	s := newSource(t, ldap.Config{BindDN: srv.BindDN, BindPassword: "wrong"})
	_, err := s.Lookup(ctxT(t), "alice")
	require.ErrorIs(t, err, directory.ErrUnavailable)
	_, ok, err := s.Authenticate(ctxT(t), "alice", "alice-password")
	require.ErrorIs(t, err, directory.ErrUnavailable, "an infrastructure fault is not a refusal")
	assert.False(t, ok)
	for _, err := range s.Users(ctxT(t)) {
		require.ErrorIs(t, err, directory.ErrUnavailable)
	}
}

// admin returns a connection bound as the administrator, for tests that
// change the directory. They work in an OU of their own.
func admin(t *testing.T) *goldap.Conn {
	t.Helper()
	srv := testenv.LDAP(t)
	c, err := goldap.DialURL(srv.URL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Bind(srv.BindDN, srv.BindPassword))
	return c
}

// scratchOU creates an OU for one test and deletes it (and what is in it)
// afterwards.
func scratchOU(t *testing.T, c *goldap.Conn) string {
	t.Helper()
	dn := "ou=" + goldap.EscapeDN("test "+t.Name()+" "+strconv.FormatInt(time.Now().UnixNano(), 36)) + "," + suffix
	add := goldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"organizationalUnit"})
	require.NoError(t, c.Add(add))
	t.Cleanup(func() {
		res, err := c.Search(goldap.NewSearchRequest(dn, goldap.ScopeSingleLevel, goldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
		if err == nil {
			for _, e := range res.Entries {
				_ = c.Del(goldap.NewDelRequest(e.DN, nil))
			}
		}
		_ = c.Del(goldap.NewDelRequest(dn, nil))
	})
	return dn
}

// addUser adds an account entry: not an inetOrgPerson, so that other
// packages' tests, which read the whole directory in parallel with this
// one, do not see it.
func addUser(t *testing.T, c *goldap.Conn, ou, uid string) string {
	t.Helper()
	dn := "uid=" + goldap.EscapeDN(uid) + "," + ou
	add := goldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"account"})
	add.Attribute("uid", []string{uid})
	require.NoError(t, c.Add(add))
	return dn
}

// scratchConfig reads the accounts of a scratch OU.
func scratchConfig(ou string) ldap.Config {
	return ldap.Config{BaseDN: ou, GroupBaseDN: ou, UserFilter: "(objectClass=account)",
		Mapping: directory.Mapping{FullName: "description"}}
}

// TestChangesBreakEarly: a consumer that stops after some entries has seen
// no cursor that would skip the entries it did not read, and resuming from
// what it saw gives them again.
func TestChangesBreakEarly(t *testing.T) {
	t.Parallel()
	c := admin(t)
	ou := scratchOU(t, c)
	for _, name := range []string{"one", "two", "three"} {
		addUser(t, c, ou, name)
	}
	s := newSource(t, scratchConfig(ou))
	ctx := ctxT(t)
	all, final := sourcetest.DrainChanges(t, s.Changes(ctx, ""), "")
	require.Len(t, all, 3)
	require.NotEmpty(t, final)

	for stop := 1; stop <= len(all); stop++ {
		var read []string
		saved := ""
		for ch, err := range s.Changes(ctx, "") {
			require.NoError(t, err)
			require.NotNil(t, ch.Entry, "the final cursor comes only after every entry")
			read = append(read, ch.Entry.Username)
			saved = ch.Cursor
			if len(read) == stop {
				break
			}
		}
		assert.Empty(t, saved, "stopped after %d of 3 entries: only the cursor asked for", stop)
		rest, _ := sourcetest.DrainChanges(t, s.Changes(ctx, saved), saved)
		assert.Equal(t, entryNames(all), entryNames(rest), "resuming from the saved cursor gives every entry again")
	}

	// From a real cursor too: the entries changed within ChangeMargin
	// before the stream come again, each with that cursor, and the new
	// one only after them.
	broke := false
	for ch, err := range s.Changes(ctx, final) {
		require.NoError(t, err)
		require.NotNil(t, ch.Entry, "the users changed within the margin come again")
		assert.Equal(t, final, ch.Cursor)
		broke = true
		break
	}
	assert.True(t, broke)
}
