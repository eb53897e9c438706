//go:build samba

package ldap_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
)

// TestSambaPrimaryGroup: membership through primaryGroupID counts. paula's
// primary group is contractors (⊂ employees) and no group lists her in
// member; everyone else's is Domain Users (RID 513).
func TestSambaPrimaryGroup(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()

	t.Run("mandatory group Domain Users", func(t *testing.T) {
		t.Parallel()
		cfg := sambaConfig(dc)
		cfg.MandatoryGroup = "Domain Users"
		src := newSambaSource(t, cfg)
		for _, login := range []string{"bob", "alice@other.test", "carol"} {
			e, err := src.Lookup(ctx, login)
			require.NoError(t, err, login)
			assert.Contains(t, e.Groups, "Domain Users", login)
			_, ok, err := src.Authenticate(ctx, login, dc.UserPassword)
			require.NoError(t, err)
			assert.True(t, ok, login)
		}
		users := sambaUsernames(sambaCollect(t, src.Users(ctx)))
		// Everyone: by primary group, and paula by member (Samba moved her
		// there when her primary group became contractors).
		assert.Subset(t, users, []string{"alice@other.test", "bob@example.test", "carol@example.test", "zoe@example.test", "paula@example.test"})
	})

	t.Run("mandatory group by primary group only", func(t *testing.T) {
		t.Parallel()
		cfg := sambaConfig(dc)
		cfg.MandatoryGroup = "contractors"
		src := newSambaSource(t, cfg)
		assert.Equal(t, []string{"paula@example.test"}, sambaUsernames(sambaCollect(t, src.Users(ctx))))
		e, ok, err := src.Authenticate(ctx, "paula", dc.UserPassword)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, []string{"Domain Users", "contractors"}, e.Groups, "memberOf, then the primary group")
	})

	t.Run("employees admits paula through contractors", func(t *testing.T) {
		t.Parallel()
		src := newSambaSource(t, sambaConfig(dc))
		e, err := src.Lookup(ctx, "paula@example.test")
		require.NoError(t, err)
		assert.True(t, e.Enabled)
		_, ok, err := src.Authenticate(ctx, `EXAMPLE\paula`, dc.UserPassword)
		require.NoError(t, err)
		assert.True(t, ok)
	})
}

// TestSambaExpiredAndLocked: eve's accountExpires lies in 2020 and larry
// is locked out (lockoutTime within the domain's lockoutDuration): both
// are disabled entries in Users, Changes and Lookup, and their right
// passwords are refused as any wrong one is.
func TestSambaExpiredAndLocked(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()
	src := newSambaSource(t, sambaConfig(dc))
	off := []string{"eve@example.test", "larry@example.test"}

	for _, login := range []string{"eve", "larry"} {
		e, err := src.Lookup(ctx, login)
		require.NoError(t, err)
		assert.False(t, e.Enabled, login)
		got, ok, err := src.Authenticate(ctx, login, dc.UserPassword)
		require.NoError(t, err)
		assert.False(t, ok, login)
		assert.Zero(t, got)
	}
	for _, e := range sambaCollect(t, src.Users(ctx)) {
		if slices.Contains(off, e.Username) {
			assert.False(t, e.Enabled, e.Username)
		}
	}
	seen := 0
	for c, err := range src.Changes(ctx, "") {
		require.NoError(t, err)
		if c.Entry != nil && slices.Contains(off, c.Entry.Username) {
			seen++
			assert.False(t, c.Entry.Enabled, c.Entry.Username)
		}
	}
	assert.Equal(t, 2, seen)

	// The DC agrees: 701 (account expired), 775 (account locked out).
	assert.ErrorContains(t, sambaBind(t, dc, "eve@example.test", dc.UserPassword), "data 701")
	assert.ErrorContains(t, sambaBind(t, dc, "larry@example.test", dc.UserPassword), "data 775")
}

// TestSambaTransitiveGroups: with TransitiveGroups, Entry.Groups holds the
// groups at any depth, through the primary group too: alice is in staff
// (⊂ employees) and Domain Users (⊂ Builtin's Users).
func TestSambaTransitiveGroups(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()
	cfg := sambaConfig(dc)
	cfg.TransitiveGroups = true
	src := newSambaSource(t, cfg)

	alice, err := src.Lookup(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, []string{"staff", "Domain Users"}, alice.Groups[:2], "direct groups and the primary group first")
	assert.ElementsMatch(t, []string{"staff", "Domain Users", "employees", "Users"}, alice.Groups)

	paula, err := src.Lookup(ctx, "paula")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"Domain Users", "contractors", "employees", "Users"}, paula.Groups)

	for _, e := range sambaCollect(t, src.Users(ctx)) {
		assert.Contains(t, e.Groups, "employees", e.Username)
	}

	plain := sambaConfig(dc)
	direct, err := newSambaSource(t, plain).Lookup(ctx, "paula")
	require.NoError(t, err)
	assert.Equal(t, []string{"Domain Users", "contractors"}, direct.Groups)
}

// TestSambaSearchesOnce: with mandatory_group employees given by name, the
// group, the groups nested in it, their RIDs, the domain's SID and
// lockout duration and the primary group's name are read once; after
// that a Lookup, and a refusal, is one search.
func TestSambaSearchesOnce(t *testing.T) {
	t.Parallel()
	dc := testenv.Samba(t)
	ctx := t.Context()
	p := newCountingProxy(t, strings.TrimPrefix(dc.URL, "ldap://"))
	cfg := sambaConfig(dc)
	cfg.URL = "ldap://" + p.addr
	src := newSambaSource(t, cfg)

	_, err := src.Lookup(ctx, "bob")
	require.NoError(t, err)
	first := p.take()
	assert.Greater(t, first[opSearch], 1, "%v", first)
	for range 3 {
		e, err := src.Lookup(ctx, "hank")
		require.NoError(t, err)
		assert.Equal(t, []string{"employees", "Domain Users"}, e.Groups)
		assert.Equal(t, 1, p.take()[opSearch], "one search per Lookup")
	}
	for _, login := range []string{"nobody", "carol", "bob"} { // unknown, outside, wrong password
		_, ok, err := src.Authenticate(ctx, login, "wrong-Password-1")
		require.NoError(t, err)
		require.False(t, ok)
		got := p.take()
		assert.Equal(t, 1, got[opSearch], login)
		assert.Equal(t, 1, got[opBind], login)
	}
}
