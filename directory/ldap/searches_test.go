package ldap_test

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/internal/testenv"
)

// LDAP operation tags (RFC 4511) the counting proxy tells apart.
const (
	opBind   = 0x60
	opSearch = 0x63
)

// countingProxy forwards TCP connections to an LDAP server and counts the
// requests clients send, by protocolOp tag.
type countingProxy struct {
	addr string
	mu   sync.Mutex
	ops  map[byte]int
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &countingProxy{addr: ln.Addr().String(), ops: map[byte]int{}}
	var conns sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); conns.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			conns.Add(2)
			go func() { defer conns.Done(); p.copyCounting(s, c); _ = s.Close() }()
			go func() { defer conns.Done(); _, _ = io.Copy(c, s); _ = c.Close() }()
		}
	}()
	return p
}

// copyCounting copies LDAPMessages from src to dst, counting each one's
// protocolOp tag (the messages are plain BER: no TLS through this proxy).
func (p *countingProxy) copyCounting(dst io.Writer, src io.Reader) {
	for {
		hdr := make([]byte, 2, 6)
		if _, err := io.ReadFull(src, hdr); err != nil {
			return
		}
		n := int(hdr[1])
		if n >= 0x80 {
			ext := make([]byte, n&0x7f)
			if _, err := io.ReadFull(src, ext); err != nil {
				return
			}
			hdr = append(hdr, ext...)
			n = 0
			for _, b := range ext {
				n = n<<8 | int(b)
			}
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(src, body); err != nil {
			return
		}
		// body: INTEGER messageID, then the protocolOp.
		if len(body) > 2 && body[0] == 0x02 && int(body[1])+2 < len(body) {
			p.mu.Lock()
			p.ops[body[2+int(body[1])]]++
			p.mu.Unlock()
		}
		if _, err := dst.Write(append(hdr, body...)); err != nil {
			return
		}
	}
}

// take returns the counts since the last take and resets them.
func (p *countingProxy) take() map[byte]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.ops
	p.ops = map[byte]int{}
	return out
}

// TestSearchesOnce: a mandatory group given by name is resolved once (and
// kept for GroupRefresh); after that each Lookup makes one search, and a
// refusal for an unknown user one search and one bind.
func TestSearchesOnce(t *testing.T) {
	t.Parallel()
	srv := testenv.LDAP(t)
	p := newCountingProxy(t, srv.URL[len("ldap://"):])
	s := newSource(t, ldap.Config{URL: "ldap://" + p.addr, MandatoryGroup: "engineering"})
	ctx := ctxT(t)

	_, err := s.Lookup(ctx, "bob")
	require.NoError(t, err)
	first := p.take()
	assert.Greater(t, first[opSearch], 1, "the first Lookup resolves the group: %v", first)

	for range 3 {
		_, err := s.Lookup(ctx, "bob")
		require.NoError(t, err)
		assert.Equal(t, 1, p.take()[opSearch], "a Lookup is one search once the group is known")
	}
	for _, login := range []string{"nobody", "alice"} { // unknown; outside the group
		_, ok, err := s.Authenticate(ctx, login, "some-password")
		require.NoError(t, err)
		require.False(t, ok)
		got := p.take()
		assert.Equal(t, 1, got[opSearch], "%s: one search", login)
		assert.Equal(t, 1, got[opBind], "%s: one bind", login)
	}
	_, ok, err := s.Authenticate(ctx, "bob", "wrong-password")
	require.NoError(t, err)
	require.False(t, ok)
	got := p.take()
	assert.Equal(t, 1, got[opSearch])
	assert.Equal(t, 1, got[opBind])
}

// TestGroupRefresh: what the source resolved about the mandatory group is
// read again once Config.GroupRefresh has passed, and concurrent callers
// that find it stale wait for one read.
func TestGroupRefresh(t *testing.T) {
	t.Parallel()
	srv := testenv.LDAP(t)
	p := newCountingProxy(t, srv.URL[len("ldap://"):])
	clock := testenv.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	s, err := ldap.New(ldap.Config{URL: "ldap://" + p.addr, BindDN: srv.BindDN, BindPassword: srv.BindPassword,
		BaseDN: people, GroupBaseDN: groupsOU, MandatoryGroup: "engineering", GroupRefresh: time.Minute},
		ldap.WithClock(clock.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx := ctxT(t)

	lookups := func(n int) {
		t.Helper()
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := s.Lookup(ctx, "bob")
				assert.NoError(t, err)
			})
		}
		wg.Wait()
	}
	lookups(8)
	resolve := p.take()[opSearch] - 8
	require.Positive(t, resolve, "the group is resolved: name, nested groups, root DSE")
	lookups(8)
	assert.Equal(t, 8, p.take()[opSearch], "within GroupRefresh: one search per Lookup")
	clock.Advance(time.Minute)
	lookups(8)
	assert.Equal(t, 8+resolve, p.take()[opSearch], "after GroupRefresh the group is resolved again, once")
}

// TestTransitiveGroups: zoë is in platform ⊂ engineering ⊂ staff and in
// R&D, Zürich. By default Entry.Groups holds her direct groups, as the
// server gives memberOf; with TransitiveGroups every group at any depth
// (the memberof overlay keeps memberOf on groups too).
func TestTransitiveGroups(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	direct, err := newSource(t, ldap.Config{}).Lookup(ctx, zoeUID)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"platform", "R&D, Zürich"}, direct.Groups)

	src := newSource(t, ldap.Config{TransitiveGroups: true})
	all, err := src.Lookup(ctx, zoeUID)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"platform", "R&D, Zürich", "engineering", "staff"}, all.Groups)
	assert.ElementsMatch(t, []string{"platform", "R&D, Zürich"}, all.Groups[:2], "direct groups first")

	for e, err := range src.Users(ctx) {
		require.NoError(t, err)
		if e.Username == "bob" {
			assert.ElementsMatch(t, []string{"engineering", "staff"}, e.Groups)
		}
	}
}

// TestPlainModeAttributes: a plain LDAP source asks for no Active
// Directory attribute, and for pwdAccountLockedTime only because this
// server has ppolicy.
func TestPlainModeAttributes(t *testing.T) {
	t.Parallel()
	s := newSource(t, ldap.Config{})
	_, err := s.Lookup(ctxT(t), "alice")
	require.NoError(t, err)
	attrs := s.Attributes()
	for _, ad := range []string{"userPrincipalName", "userAccountControl", "uSNChanged", "objectGUID", "primaryGroupID",
		"accountExpires", "lockoutTime", "modifyTimestamp"} {
		assert.NotContains(t, attrs, ad)
	}
	assert.Contains(t, attrs, "pwdAccountLockedTime", "the test slapd loads ppolicy")
	assert.Subset(t, attrs, []string{"uid", "mail", "cn", "telephoneNumber", "memberOf", "employeeType", "entryUUID"})
	e, err := s.Lookup(ctxT(t), "dave")
	require.NoError(t, err)
	assert.False(t, e.Enabled, "ppolicy's lock still disables")
}
