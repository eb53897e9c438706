//go:build samba

// Active Directory mode against a real domain controller: the private
// Samba 4.17 AD DC that `make test-ad` (scripts/samba-ad.sh) provisions and
// seeds (see testenv.SambaDC for the directory). The build tag keeps these
// tests out of the plain `make test`, which has no DC; in CI, `make test-ad`
// runs them and a missing DC fails the run.
//
// What Active Directory does here, and where it is documented:
//   - nested membership through LDAP_MATCHING_RULE_IN_CHAIN
//     (1.2.840.113556.1.4.1941):
//     https://learn.microsoft.com/en-us/windows/win32/adsi/search-filter-syntax
//   - userAccountControl's ACCOUNTDISABLE bit (0x0002):
//     https://learn.microsoft.com/en-us/troubleshoot/windows-server/active-directory/useraccountcontrol-manipulate-account-properties
//   - objectGUID's string form, and binding to <GUID=...> as a DN:
//     https://learn.microsoft.com/en-us/windows/win32/ad/using-objectguid-to-bind-to-an-object
//   - changes by uSNChanged above the last highestCommittedUSN:
//     https://learn.microsoft.com/en-us/windows/win32/ad/example-code-to-retrieve-changes-using-usnchanged
//   - bind refusals: result 49 with "AcceptSecurityContext error, data 52e"
//     (bad password), 533 (account disabled), 775 (locked out) ...:
//     https://www.dotcms.com/docs/latest/active-directory-error-codes
package ldap_test

import (
	"bytes"
	"errors"
	"iter"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/internal/sourcetest"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// sambaConfig is Notakey's example source: AD domain example.test,
// mandatory_group employees, upn_suffix other.test.
func sambaConfig(dc testenv.SambaDC) ldap.Config {
	return ldap.Config{
		Name:            dc.Domain,
		URL:             dc.URL,
		BindDN:          dc.BindDN,
		BindPassword:    dc.BindPassword,
		BaseDN:          dc.BaseDN,
		ActiveDirectory: true,
		UPNSuffixes:     []string{"other.test"},
		MandatoryGroup:  "employees",
		Timeout:         20 * time.Second,
	}
}

func newSambaSource(t *testing.T, cfg ldap.Config, opts ...ldap.Option) *ldap.Source {
	t.Helper()
	src, err := ldap.New(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.Close() })
	return src
}

// sambaAdmin is a connection of the test's own to the DC, bound as the
// administrator, for reading what the source should see and changing it.
func sambaAdmin(t *testing.T, dc testenv.SambaDC) *goldap.Conn {
	t.Helper()
	conn, err := goldap.DialURL(dc.URL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	conn.SetTimeout(20 * time.Second)
	require.NoError(t, conn.Bind(dc.BindDN, dc.BindPassword))
	return conn
}

// sambaBind binds as who on a fresh connection and returns the server's
// answer, untouched by the source.
func sambaBind(t *testing.T, dc testenv.SambaDC, who, password string) error {
	t.Helper()
	conn, err := goldap.DialURL(dc.URL)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetTimeout(20 * time.Second)
	return conn.Bind(who, password)
}

func sambaUserDN(dc testenv.SambaDC, cn string) string { return "CN=" + cn + "," + dc.PeopleDN() }

func sambaCollect(t *testing.T, seq iter.Seq2[directory.Entry, error]) []directory.Entry {
	t.Helper()
	var out []directory.Entry
	for e, err := range seq {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

func sambaUsernames(es []directory.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Username)
	}
	slices.Sort(out)
	return out
}

// TestSambaLoginUPN: logins are userPrincipalNames; the domain is appended
// to a bare name, and only the domain and the upn_suffix values are
// accepted after "@".
func TestSambaLoginUPN(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()
	src := newSambaSource(t, sambaConfig(dc))

	tests := []struct {
		login string
		want  string // the entry's username; "" for not found
	}{
		{"alice@other.test", "alice@other.test"}, // UPN in the extra suffix
		{"Alice@Other.Test", "alice@other.test"}, // AD compares UPNs case-insensitively
		{"  alice@other.test ", "alice@other.test"},
		{"bob", "bob@example.test"}, // the domain is appended
		{"bob@example.test", "bob@example.test"},
		{"BOB", "bob@example.test"},
		{"alice", "alice@other.test"},              // her account name (her UPN is in other.test)
		{"alice@example.test", "alice@other.test"}, // the account name at the domain, as AD accepts in a bind
		{"bob@other.test", ""},                     // no such UPN, and other.test is not the domain
		{"alice@third.test", ""},                   // a suffix the source does not accept
		{`EXAMPLE\bob`, "bob@example.test"},        // NetBIOS domain\account name
		{`example\BOB`, "bob@example.test"},        // case-insensitive
		{`OTHER\bob`, ""},                          // another domain
		{`EXAMPLE\`, ""},                           // malformed
		{`EXAMPLE\*`, ""},                          // a wildcard is a literal
		{`EXAMPLE\bob)(x=*`, ""},                   // filter syntax is escaped
		{"bob@", ""},                               // malformed
		{"*", ""},                                  // a filter wildcard is a literal
		{"b*@example.test", ""},                    // likewise
		{"bob)(uid=*", ""},                         // filter syntax is escaped
		{"zoe@example.test", "zoe@example.test"},
		// hank's UPN is henry@example.test: each form finds him.
		{"hank", "henry@example.test"},
		{`EXAMPLE\hank`, "henry@example.test"},
		{"hank@example.test", "henry@example.test"},
		{"henry", "henry@example.test"},
		{"henry@example.test", "henry@example.test"},
		{"HENRY@EXAMPLE.TEST", "henry@example.test"},
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			t.Parallel()
			e, err := src.Lookup(ctx, tt.login)
			if tt.want == "" {
				require.ErrorIs(t, err, directory.ErrNotFound)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, e.Username)
			assert.Equal(t, "example.test", e.Source)
		})
	}

	t.Run("mapped attributes of alice", func(t *testing.T) {
		t.Parallel()
		e, err := src.Lookup(ctx, "alice@other.test")
		require.NoError(t, err)
		assert.Equal(t, "Alice Example", e.FullName)
		assert.Equal(t, "alice@other.test", e.CorporateEmail)
		assert.Equal(t, "alice@mail.test", e.PersonalEmail)
		assert.Equal(t, "+1 555 0100", e.Phone)
		assert.Equal(t, []string{"engineer"}, e.Roles)
		assert.Equal(t, []string{"staff", "Domain Users"}, e.Groups, "the direct groups (memberOf), then the primary group")
		assert.True(t, e.Enabled)
		assert.True(t, strings.EqualFold(sambaUserDN(dc, "Alice Example"), e.DN), e.DN)
	})

	t.Run("phone from mobile", func(t *testing.T) {
		t.Parallel()
		cfg := sambaConfig(dc)
		cfg.Mapping.PhoneNumber = "mobile"
		e, err := newSambaSource(t, cfg).Lookup(ctx, "alice@other.test")
		require.NoError(t, err)
		assert.Equal(t, "+1 555 0101", e.Phone)
	})

	t.Run("non-ASCII names", func(t *testing.T) {
		t.Parallel()
		e, err := src.Lookup(ctx, "zoe")
		require.NoError(t, err)
		assert.Equal(t, "Zoë Ünal", e.FullName)
	})

	t.Run("without upn_suffix other.test is unknown", func(t *testing.T) {
		t.Parallel()
		cfg := sambaConfig(dc)
		cfg.UPNSuffixes = nil
		s := newSambaSource(t, cfg)
		_, err := s.Lookup(ctx, "alice@other.test")
		require.ErrorIs(t, err, directory.ErrNotFound)
		_, ok, err := s.Authenticate(ctx, "alice@other.test", dc.UserPassword)
		require.NoError(t, err)
		assert.False(t, ok)
	})

	t.Run("authenticate by UPN, bare name and account name", func(t *testing.T) {
		t.Parallel()
		for login, want := range map[string]string{"alice@other.test": "alice@other.test", "bob": "bob@example.test",
			"alice": "alice@other.test", `EXAMPLE\alice`: "alice@other.test", "hank": "henry@example.test",
			`Example\hank`: "henry@example.test", "henry": "henry@example.test"} {
			e, ok, err := src.Authenticate(ctx, login, dc.UserPassword)
			require.NoError(t, err, login)
			require.True(t, ok, login)
			assert.Equal(t, want, e.Username)
		}
	})
}

// sambaEmployees are the usernames in employees at any depth: through
// staff (alice, zoe), directly, and through the primary group contractors
// (paula).
var sambaEmployees = []string{"alice@other.test", "bob@example.test", "dave@example.test", "eve@example.test", "frank@example.test",
	"henry@example.test", "larry@example.test", "paula@example.test", "zoe@example.test"}

// TestSambaMandatoryGroup: employees ⊃ staff ⊃ alice. Members at any depth
// are in scope, everyone else is unknown.
func TestSambaMandatoryGroup(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()

	t.Run("employees by name", func(t *testing.T) {
		t.Parallel()
		src := newSambaSource(t, sambaConfig(dc))
		for _, login := range []string{"alice@other.test", "zoe", "bob"} {
			_, err := src.Lookup(ctx, login)
			require.NoError(t, err, "%s is in employees (alice and zoe through staff)", login)
			_, ok, err := src.Authenticate(ctx, login, dc.UserPassword)
			require.NoError(t, err)
			assert.True(t, ok, login)
		}
		_, err := src.Lookup(ctx, "carol")
		require.ErrorIs(t, err, directory.ErrNotFound, "carol is not in employees")
		_, ok, err := src.Authenticate(ctx, "carol", dc.UserPassword)
		require.NoError(t, err)
		assert.False(t, ok, "carol's right password does not let her in")

		all := sambaCollect(t, src.Users(ctx))
		assert.Equal(t, sambaEmployees,
			sambaUsernames(all))
	})

	t.Run("scopes", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name   string
			mutate func(*ldap.Config)
			want   []string
		}{
			{"employees by DN", func(c *ldap.Config) { c.MandatoryGroup = dc.GroupDN("employees") },
				sambaEmployees},
			{"staff", func(c *ldap.Config) { c.MandatoryGroup = "staff" },
				[]string{"alice@other.test", "zoe@example.test"}},
			{"outsiders", func(c *ldap.Config) { c.MandatoryGroup = "outsiders" },
				[]string{"carol@example.test"}},
			{"GroupDN employees and mandatory staff", func(c *ldap.Config) {
				c.GroupDN = dc.GroupDN("employees")
				c.MandatoryGroup = "staff"
			}, []string{"alice@other.test", "zoe@example.test"}},
			{"OU scope, no group", func(c *ldap.Config) { c.MandatoryGroup = ""; c.BaseDN = dc.PeopleDN() },
				[]string{"alice@other.test", "bob@example.test", "carol@example.test", "dave@example.test", "eve@example.test", "frank@example.test",
					"henry@example.test", "larry@example.test", "paula@example.test", "zoe@example.test"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				cfg := sambaConfig(dc)
				tt.mutate(&cfg)
				assert.Equal(t, tt.want, sambaUsernames(sambaCollect(t, newSambaSource(t, cfg).Users(ctx))))
			})
		}
	})

	t.Run("a group that does not exist", func(t *testing.T) {
		t.Parallel()
		cfg := sambaConfig(dc)
		cfg.MandatoryGroup = "no-such-group"
		_, err := newSambaSource(t, cfg).Lookup(ctx, "bob")
		require.Error(t, err)
		assert.NotErrorIs(t, err, directory.ErrNotFound, "a misconfigured scope is not an unknown user")
	})
}

// sambaGUIDPattern is the string form of a GUID, lower case.
var sambaGUIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// TestSambaObjectGUID: the external ID is objectGUID in the string form
// that Active Directory itself parses: binding to <GUID=id> finds the user.
func TestSambaObjectGUID(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()
	src := newSambaSource(t, sambaConfig(dc))
	conn := sambaAdmin(t, dc)

	all := sambaCollect(t, src.Users(ctx))
	require.Len(t, all, len(sambaEmployees))
	seen := map[string]string{}
	for _, e := range all {
		require.Regexp(t, sambaGUIDPattern, e.ExternalID, e.Username)
		require.NotContains(t, seen, e.ExternalID, "objectGUIDs are unique")
		seen[e.ExternalID] = e.Username

		res, err := conn.Search(goldap.NewSearchRequest("<GUID="+e.ExternalID+">", goldap.ScopeBaseObject,
			goldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"userPrincipalName", "objectGUID"}, nil))
		require.NoError(t, err, e.Username)
		require.Len(t, res.Entries, 1)
		assert.Equal(t, e.Username, res.Entries[0].GetAttributeValue("userPrincipalName"), "the server resolves the GUID string to the same user")
		assert.Equal(t, e.ExternalID, ldap.FormatGUIDForTest(res.Entries[0].GetRawAttributeValue("objectGUID")))

		raw, err := ldap.ParseGUIDForTest(e.ExternalID)
		require.NoError(t, err)
		assert.Equal(t, res.Entries[0].GetRawAttributeValue("objectGUID"), raw)
	}

	// Stable: the same ID from Lookup as from Users.
	alice, err := src.Lookup(ctx, "alice@other.test")
	require.NoError(t, err)
	assert.Equal(t, "alice@other.test", seen[alice.ExternalID])
}

// TestSambaDisabledAccount: dave (userAccountControl 514) is a disabled
// entry, and his right password does not let him in.
func TestSambaDisabledAccount(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()
	src := newSambaSource(t, sambaConfig(dc))

	e, err := src.Lookup(ctx, "dave")
	require.NoError(t, err)
	assert.False(t, e.Enabled)
	assert.Equal(t, []string{"514"}, e.Raw["userAccountControl"])

	disabled := []string{"dave@example.test", "eve@example.test", "larry@example.test"}
	for _, u := range sambaCollect(t, src.Users(ctx)) {
		assert.Equal(t, !slices.Contains(disabled, u.Username), u.Enabled, u.Username)
	}

	got, ok, err := src.Authenticate(ctx, "dave", dc.UserPassword)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Zero(t, got)

	// The DC itself refuses the account (data 533), so the refusal does not
	// depend on the source reading userAccountControl.
	err = sambaBind(t, dc, "dave@example.test", dc.UserPassword)
	require.True(t, goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials), "%v", err)
	assert.Contains(t, err.Error(), "data 533")
}

// TestSambaBindErrors: Active Directory answers a refused bind with result
// 49 and a sub-code in the diagnostic message (52e bad password, 533
// disabled). The source turns every refusal into the same (zero entry,
// false, nil) and logs none of the sub-codes or passwords.
func TestSambaBindErrors(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()
	var logs sambaLogBuffer
	src := newSambaSource(t, sambaConfig(dc), ldap.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug,
		// No timestamps: "…19.533Z" would read as the sub-code 533.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))))

	// What the DC really says, so that the cases below meet the real codes.
	err := sambaBind(t, dc, "alice@other.test", "wrong-Password-1")
	require.True(t, goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials), "%v", err)
	require.Contains(t, err.Error(), "data 52e")

	tests := []struct{ name, login, password string }{
		{"wrong password", "alice@other.test", "wrong-Password-1"},
		{"wrong password, bare name", "bob", "wrong-Password-1"},
		{"password in the wrong case", "bob", strings.ToLower(dc.UserPassword)},
		{"unknown user", "nobody", dc.UserPassword},
		{"unknown user in the extra suffix", "nobody@other.test", dc.UserPassword},
		{"suffix not accepted", "alice@third.test", dc.UserPassword},
		{"outside the mandatory group", "carol", dc.UserPassword},
		{"disabled", "dave", dc.UserPassword},
		{"empty password", "alice@other.test", ""},
		{"filter characters", "*", dc.UserPassword},
		{"administrator, outside the scope", "Administrator", dc.BindPassword},
		{"wrong password, account name", `EXAMPLE\hank`, "wrong-Password-1"},
		{"another NetBIOS domain", `OTHER\bob`, dc.UserPassword},
		{"expired", "eve", dc.UserPassword},
		{"locked out", `EXAMPLE\larry`, dc.UserPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, ok, err := src.Authenticate(ctx, tt.login, tt.password)
			require.NoError(t, err, "a refusal is not an error")
			assert.False(t, ok)
			assert.Zero(t, e, "a refusal returns no entry")
		})
	}

	t.Run("the right password still works", func(t *testing.T) {
		t.Parallel()
		_, ok, err := src.Authenticate(ctx, "alice@other.test", dc.UserPassword)
		require.NoError(t, err)
		assert.True(t, ok, "failed binds do not lock the account (no lockout policy)")
	})

	// Cleanup runs once every subtest above, parallel ones included, is done.
	t.Cleanup(func() {
		out := logs.String()
		for _, leak := range []string{"52e", "533", "701", "775", "AcceptSecurityContext", "80090308", "DSID-", dc.UserPassword, "wrong-Password-1", dc.BindPassword} {
			assert.NotContains(t, out, leak)
		}
		assert.Contains(t, out, "login refused", "refusals are logged")
	})
}

// TestSambaBadServiceAccount: a service account the DC refuses is an
// infrastructure fault (ErrUnavailable), not an unknown user.
func TestSambaBadServiceAccount(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	cfg := sambaConfig(dc)
	cfg.BindPassword = "not-the-Password-1"
	src := newSambaSource(t, cfg)
	_, err := src.Lookup(t.Context(), "bob")
	require.ErrorIs(t, err, directory.ErrUnavailable)
	assert.NotContains(t, err.Error(), "not-the-Password-1")
	_, ok, err := src.Authenticate(t.Context(), "bob", dc.UserPassword)
	require.ErrorIs(t, err, directory.ErrUnavailable)
	assert.False(t, ok)
}

// TestSambaTLS: ldaps:// and StartTLS with the DC's CA.
func TestSambaTLS(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	require.NotEmpty(t, dc.CAFile)
	for name, mutate := range map[string]func(*ldap.Config){
		"ldaps":    func(c *ldap.Config) { c.URL = "ldaps://127.0.0.1:636" },
		"StartTLS": func(c *ldap.Config) { c.StartTLS = true },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := sambaConfig(dc)
			cfg.RootCAFile = dc.CAFile
			mutate(&cfg)
			e, ok, err := newSambaSource(t, cfg).Authenticate(t.Context(), "bob", dc.UserPassword)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, "bob@example.test", e.Username)
		})
	}
}

// TestSambaChanges: Changes follows uSNChanged. It modifies frank (only
// this test does) and runs alone, so that no other test's writes move the
// DC's USN under it.
func TestSambaChanges(t *testing.T) {
	dc := testenv.Samba(t)
	ctx := t.Context()
	src := newSambaSource(t, sambaConfig(dc))
	conn := sambaAdmin(t, dc)
	frank := sambaUserDN(dc, "Frank Changes")

	drain := func(cursor string) ([]directory.Entry, string) {
		t.Helper()
		return sourcetest.DrainChanges(t, src.Changes(ctx, cursor), cursor)
	}
	usn := func(t *testing.T, s string) uint64 {
		t.Helper()
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "the cursor is a uSNChanged number: %q", s)
		return n
	}
	modify := func(attr, value string) {
		t.Helper()
		req := goldap.NewModifyRequest(frank, nil)
		req.Replace(attr, []string{value})
		require.NoError(t, conn.Modify(req))
	}
	t.Cleanup(func() {
		req := goldap.NewModifyRequest(frank, nil)
		req.Replace("userAccountControl", []string{"512"})
		req.Replace("telephoneNumber", []string{"+1 555 0600"})
		_ = conn.Modify(req)
	})

	everyone, c0 := drain("")
	assert.Equal(t, sambaUsernames(sambaCollect(t, src.Users(ctx))), sambaUsernames(everyone), "an empty cursor gives every user")
	usn(t, c0)

	quiet, c1 := drain(c0)
	assert.Empty(t, sambaUsernames(quiet), "nothing changed since the cursor")
	assert.GreaterOrEqual(t, usn(t, c1), usn(t, c0))

	modify("telephoneNumber", "+1 555 0699")
	changed, c2 := drain(c1)
	require.Equal(t, []string{"frank@example.test"}, sambaUsernames(changed))
	assert.Equal(t, "+1 555 0699", changed[0].Phone)
	assert.True(t, changed[0].Enabled)
	assert.Greater(t, usn(t, c2), usn(t, c1))
	assert.GreaterOrEqual(t, usn(t, c2), usn(t, changed[0].Raw["uSNChanged"][0]))

	again, c3 := drain(c2)
	assert.Empty(t, sambaUsernames(again), "a change is delivered once")

	// Disabling is a change too, and the entry comes as disabled.
	modify("userAccountControl", "514")
	disabled, c4 := drain(c3)
	require.Equal(t, []string{"frank@example.test"}, sambaUsernames(disabled))
	assert.False(t, disabled[0].Enabled)
	assert.Greater(t, usn(t, c4), usn(t, c3))

	// A change outside the scope (carol is not in employees) is not reported.
	req := goldap.NewModifyRequest(sambaUserDN(dc, "Carol Outsider"), nil)
	req.Replace("telephoneNumber", []string{"+1 555 0399"})
	require.NoError(t, conn.Modify(req))
	outside, _ := drain(c4)
	assert.Empty(t, sambaUsernames(outside))

	n := 0
	for c, err := range src.Changes(ctx, "not-a-number") {
		n++
		require.Error(t, err)
		assert.Empty(t, c.Cursor)
	}
	assert.Equal(t, 1, n, "the stream stops at its error")
}

// TestSambaChain is the example of the lookup chain: an AD source
// named example.test with mandatory_group employees and upn_suffix
// other.test, auto-create on.
func TestSambaChain(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	chain, err := directory.NewChain(store, directory.ChainConfig{
		Sources:    []directory.Source{newSambaSource(t, sambaConfig(dc))},
		AutoCreate: true,
	})
	require.NoError(t, err)

	u, err := chain.Authenticate(ctx, "alice@other.test", dc.UserPassword)
	require.NoError(t, err)
	require.NotEmpty(t, u.ID)
	alice, err := newSambaSource(t, sambaConfig(dc)).Lookup(ctx, "alice@other.test")
	require.NoError(t, err)
	stored, err := store.GetUserByExternalID(ctx, "example.test", alice.ExternalID)
	require.NoError(t, err, "created in the store on first login")
	assert.Equal(t, u.ID, stored.ID)

	again, err := chain.Authenticate(ctx, "alice@other.test", dc.UserPassword)
	require.NoError(t, err)
	assert.Equal(t, u.ID, again.ID, "the second login finds the stored user")

	_, errOutsider := chain.Authenticate(ctx, "carol", dc.UserPassword)
	_, errWrong := chain.Authenticate(ctx, "bob", "wrong-Password-1")
	_, errUnknown := chain.Authenticate(ctx, "nobody", dc.UserPassword)
	_, errDisabled := chain.Authenticate(ctx, "dave", dc.UserPassword)
	_, errExpired := chain.Authenticate(ctx, "eve", dc.UserPassword)
	_, errLocked := chain.Authenticate(ctx, "larry", dc.UserPassword)
	_, errAccountName := chain.Authenticate(ctx, `EXAMPLE\hank`, "wrong-Password-1")
	for _, err := range []error{errOutsider, errWrong, errUnknown, errDisabled, errExpired, errLocked, errAccountName} {
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
		assert.Equal(t, errUnknown.Error(), err.Error())
	}
	hank, err := chain.Authenticate(ctx, `EXAMPLE\hank`, dc.UserPassword)
	require.NoError(t, err, "an account name signs in through the chain")
	assert.Equal(t, "henry@example.test", hank.Username)
	assert.Equal(t, errUnknown.Error(), errWrong.Error(), "a wrong password reads like an unknown user")
	assert.Equal(t, errUnknown.Error(), errOutsider.Error())
	_, err = store.GetUserByUsername(ctx, "carol@example.test")
	assert.True(t, errors.Is(err, userstore.ErrNotFound), "no user is created for a refused login")
}

// sambaLogBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type sambaLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *sambaLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *sambaLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
