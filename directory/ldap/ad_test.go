package ldap

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toFileTime is the inverse of fileTime, for the tests.
func toFileTime(t time.Time) string {
	return strconv.FormatInt((t.Unix()+fileTimeToUnix)*10_000_000+int64(t.Nanosecond()/100), 10)
}

func TestFileTime(t *testing.T) {
	t.Parallel()
	// 2020-01-01T00:00:00Z, as Active Directory stores it.
	got, ok := fileTime(132223104000000000)
	require.True(t, ok)
	assert.Equal(t, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), got)
	got, ok = fileTime(150000000000000000) // beyond time.Duration's 292 years from 1601
	require.True(t, ok)
	assert.Equal(t, 2076, got.Year())
	_, ok = fileTime(0)
	assert.False(t, ok)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ft, err := strconv.ParseInt(toFileTime(now), 10, 64)
	require.NoError(t, err)
	back, ok := fileTime(ft)
	require.True(t, ok)
	assert.Equal(t, now, back)
}

func TestAccountExpired(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want bool
	}{
		{"0", false}, // never
		{strconv.FormatInt(math.MaxInt64, 10), false}, // never
		{"", false},
		{"junk", false},
		{"132223104000000000", true}, // 2020
		{toFileTime(now.Add(-time.Second)), true},
		{toFileTime(now), true},
		{toFileTime(now.Add(time.Hour)), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, accountExpired(tt.v, now), tt.v)
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	thirty := parseLockoutDuration("-18000000000") // Samba's and Windows' default, 30 minutes
	require.Equal(t, lockout{known: true, d: 30 * time.Minute}, thirty)
	forever := parseLockoutDuration("-9223372036854775808")
	unknown := parseLockoutDuration("")
	assert.Equal(t, lockout{known: true, forever: true}, forever)
	assert.Equal(t, lockout{known: true, forever: true}, parseLockoutDuration("0"))
	assert.Equal(t, lockout{}, unknown)

	tenAgo := toFileTime(now.Add(-10 * time.Minute))
	hourAgo := toFileTime(now.Add(-time.Hour))
	tests := []struct {
		l    lockout
		v    string
		want bool
	}{
		{thirty, "0", false},
		{thirty, "", false},
		{thirty, tenAgo, true},
		{thirty, hourAgo, false}, // the lockout has run out
		{forever, hourAgo, true},
		{unknown, hourAgo, true}, // without the duration, any lockoutTime locks
		{unknown, "0", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.l.locked(tt.v, now), "%+v %s", tt.l, tt.v)
	}
}

func TestSID(t *testing.T) {
	t.Parallel()
	// Frank's objectSid on the test DC: S-1-5-21-1537494980-3750988383-38861596-1107.
	user := sid{1, 5, 0, 0, 0, 0, 0, 5, 0x15, 0, 0, 0, 0xc4, 0x4f, 0xa4, 0x5b, 0x5f, 0x8a, 0x93, 0xdf, 0x1c, 0xfb, 0x50, 0x02, 0x53, 0x04, 0, 0}
	assert.Equal(t, "S-1-5-21-1537494980-3750988383-38861596-1107", user.String())
	dom, rid, ok := user.split()
	require.True(t, ok)
	assert.Equal(t, uint32(1107), rid)
	assert.Equal(t, "S-1-5-21-1537494980-3750988383-38861596", dom.String())
	assert.Equal(t, "S-1-5-21-1537494980-3750988383-38861596-513", dom.withRID(513).String())
	assert.Equal(t, user, dom.withRID(1107))
	for _, bad := range []sid{nil, {1}, {2, 0, 0, 0, 0, 0, 0, 5}, {1, 2, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4}} {
		assert.Empty(t, bad.String())
		_, _, ok := bad.split()
		assert.False(t, ok)
	}
	assert.Equal(t, `\01\ff\00`, hexFilterValue([]byte{1, 0xff, 0}))
	_, err := goldap.CompileFilter("(objectSid=" + hexFilterValue(user) + ")")
	require.NoError(t, err)
}

func TestEntryExpiredAndLocked(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s := mustNew(t, Config{Name: "example.test", ActiveDirectory: true})
	s.now = func() time.Time { return now }
	m := s.newMapperForTest(serverInfo{lockout: parseLockoutDuration("-18000000000")})
	mk := func(attrs map[string][]string) *goldap.Entry {
		base := map[string][]string{"userPrincipalName": {"ann@example.test"}, "userAccountControl": {"512"}}
		for k, v := range attrs {
			base[k] = v
		}
		return goldap.NewEntry("CN=Ann,DC=example,DC=test", base)
	}
	tests := []struct {
		name    string
		attrs   map[string][]string
		enabled bool
	}{
		{"plain", nil, true},
		{"never expires (0)", map[string][]string{"accountExpires": {"0"}}, true},
		{"never expires (max)", map[string][]string{"accountExpires": {"9223372036854775807"}}, true},
		{"expired", map[string][]string{"accountExpires": {"132223104000000000"}}, false},
		{"expires later", map[string][]string{"accountExpires": {toFileTime(now.Add(24 * time.Hour))}}, true},
		{"locked ten minutes ago", map[string][]string{"lockoutTime": {toFileTime(now.Add(-10 * time.Minute))}}, false},
		{"lockout ran out", map[string][]string{"lockoutTime": {toFileTime(now.Add(-time.Hour))}}, true},
		{"unlocked", map[string][]string{"lockoutTime": {"0"}}, true},
	}
	for _, tt := range tests {
		e, err := m.entry(context.Background(), mk(tt.attrs))
		require.NoError(t, err)
		assert.Equal(t, tt.enabled, e.Enabled, tt.name)
	}
}

func TestRefusalTimer(t *testing.T) {
	t.Parallel()
	var r refusalTimer
	_, ok := r.target()
	assert.False(t, ok)
	start := time.Now()
	r.pad(context.Background(), start) // no samples: no wait
	assert.Less(t, time.Since(start), 50*time.Millisecond)
	for _, ms := range []int{5, 1, 9, 7} {
		r.add(time.Duration(ms) * time.Millisecond)
	}
	m, ok := r.target()
	require.True(t, ok)
	assert.Equal(t, 9*time.Millisecond, m, "the 75th percentile of 1, 5, 7, 9")
	for range 2 * refusalSamples {
		r.add(2 * time.Millisecond)
	}
	m, _ = r.target()
	assert.Equal(t, 2*time.Millisecond, m, "old samples age out")

	start = time.Now()
	r.pad(context.Background(), start)
	assert.GreaterOrEqual(t, time.Since(start), 2*time.Millisecond)

	for range refusalSamples {
		r.add(time.Hour)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	r.pad(ctx, start)
	assert.Less(t, time.Since(start), time.Second, "a cancelled context ends the wait")
}

func TestGroupGraphClosure(t *testing.T) {
	t.Parallel()
	g := &groupGraph{
		names: map[string]string{"cn=a,o=x": "A", "cn=b,o=x": "B", "cn=c,o=x": "C"},
		parents: map[string][]string{
			"cn=a,o=x": {"CN=B,O=X"},
			"cn=b,o=x": {"cn=C,o=x", "cn=a,o=x"}, // a cycle back to a
			"cn=c,o=x": {"cn=Outside,o=y"},
		},
	}
	assert.Equal(t, []string{"CN=B,O=X", "cn=C,o=x", "cn=Outside,o=y"}, g.closure([]string{"CN=A,o=x"}))
	assert.Equal(t, "B", g.name("CN=B,O=X"))
	assert.Equal(t, "Outside", g.name("cn=Outside,o=y"), "outside the graph: the first RDN's value")
	var none *groupGraph
	assert.Equal(t, "A", none.name("cn=A,o=x"))
}
