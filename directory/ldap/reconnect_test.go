package ldap_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/internal/testenv"
)

// proxy forwards TCP connections to a server and can drop them all, or
// stop listening, as a restarting server or a broken network would.
type proxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	p.start("127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	require.NoError(p.t, err)
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
			go func() { _, _ = io.Copy(c, s); _ = c.Close() }()
		}
	}()
}

// cut drops every open connection; the proxy keeps listening.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// stop drops every connection and stops listening.
func (p *proxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	p.cut()
}

func TestReconnectAfterDroppedConnection(t *testing.T) {
	t.Parallel()
	srv := testenv.LDAP(t)
	p := newProxy(t, strings.TrimPrefix(srv.URL, "ldap://"))
	s := newSource(t, ldap.Config{URL: "ldap://" + p.addr, Timeout: 5 * time.Second})
	ctx := ctxT(t)

	lookupAndLogin := func(when string) {
		t.Helper()
		e, err := s.Lookup(ctx, "alice")
		require.NoError(t, err, when)
		assert.Equal(t, "Alice Andersson", e.FullName, when)
		_, ok, err := s.Authenticate(ctx, "bob", "bob-password")
		require.NoError(t, err, when)
		assert.True(t, ok, when)
		n := 0
		for _, err := range s.Users(ctx) {
			require.NoError(t, err, when)
			n++
		}
		assert.Equal(t, 7, n, when)
	}
	lookupAndLogin("first use")

	// The pooled connections die while idle (a server restart, a firewall
	// timeout): the next calls reconnect.
	p.cut()
	lookupAndLogin("after the connections were dropped")

	// The server is gone: infrastructure errors, not refusals.
	addr := p.addr
	p.stop()
	_, err := s.Lookup(ctx, "alice")
	require.ErrorIs(t, err, directory.ErrUnavailable)
	_, ok, err := s.Authenticate(ctx, "bob", "bob-password")
	require.ErrorIs(t, err, directory.ErrUnavailable)
	assert.False(t, ok)

	// It comes back on the same address.
	p.start(addr)
	lookupAndLogin("after the server came back")
}

func TestDroppedConnectionMidStream(t *testing.T) {
	t.Parallel()
	srv := testenv.LDAP(t)
	p := newProxy(t, strings.TrimPrefix(srv.URL, "ldap://"))
	s := newSource(t, ldap.Config{URL: "ldap://" + p.addr, BaseDN: bulkOU, PageSize: 100, Timeout: 5 * time.Second})
	n := 0
	var last error
	for _, err := range s.Users(ctxT(t)) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 150 {
			p.cut()
		}
	}
	require.ErrorIs(t, last, directory.ErrUnavailable, "a paged search cannot resume on another connection")
	_, err := s.Lookup(ctxT(t), "bulk00001")
	require.NoError(t, err, "the next call reconnects")
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	// A server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	s, err := ldap.New(ldap.Config{URL: "ldap://" + ln.Addr().String(), BaseDN: suffix, Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	_, err = s.Lookup(ctxT(t), "alice")
	require.ErrorIs(t, err, directory.ErrUnavailable)
	_, _, err = s.Authenticate(ctxT(t), "alice", "alice-password")
	require.ErrorIs(t, err, directory.ErrUnavailable)
}
