package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
)

// pool keeps idle connections for reuse and caps how many are open. A
// connection the server or the network dropped is noticed (IsClosing, or
// a network error from its last use) and replaced by a fresh one.
type pool struct {
	url      string
	tls      *tls.Config
	startTLS bool
	timeout  time.Duration
	// bind authenticates a fresh connection; nil leaves it anonymous.
	bind func(*goldap.Conn) error

	slots chan struct{} // one token per open connection
	mu    sync.Mutex
	idle  []*goldap.Conn
}

func newPool(cfg Config, tc *tls.Config, bind func(*goldap.Conn) error) *pool {
	return &pool{
		url: cfg.URL, tls: tc, startTLS: cfg.StartTLS, timeout: cfg.Timeout, bind: bind,
		slots: make(chan struct{}, cfg.MaxConnections),
	}
}

// get returns a connection, and whether it was reused from the pool.
// Every get must be followed by one put.
func (p *pool) get(ctx context.Context) (*goldap.Conn, bool, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	p.mu.Lock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if !c.IsClosing() {
			p.mu.Unlock()
			return c, true, nil
		}
		_ = c.Close()
	}
	p.mu.Unlock()
	c, err := p.dial(ctx)
	if err != nil {
		<-p.slots
		return nil, false, err
	}
	return c, false, nil
}

// put gives c back; a broken connection is closed instead.
func (p *pool) put(c *goldap.Conn, broken bool) {
	if broken || c.IsClosing() {
		_ = c.Close()
	} else {
		p.mu.Lock()
		p.idle = append(p.idle, c)
		p.mu.Unlock()
	}
	<-p.slots
}

// close closes the idle connections. Source.Close documents that it is
// called when nothing is in use.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		_ = c.Close()
	}
	p.idle = nil
}

func (p *pool) dial(ctx context.Context) (*goldap.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: p.timeout}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d.Timeout {
		d.Timeout = max(time.Until(dl), time.Millisecond)
	}
	c, err := goldap.DialURL(p.url, goldap.DialWithDialer(d), goldap.DialWithTLSConfig(p.tls))
	if err != nil {
		return nil, unavailable("dial", err)
	}
	c.SetTimeout(p.timeout)
	if p.startTLS {
		if err := c.StartTLS(p.tls); err != nil {
			_ = c.Close()
			return nil, unavailable("StartTLS", err)
		}
	}
	if p.bind != nil {
		if err := p.bind(c); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return c, nil
}

// unavailable wraps an infrastructure error with directory.ErrUnavailable.
func unavailable(op string, err error) error {
	return fmt.Errorf("ldap: %s: %w: %w", op, directory.ErrUnavailable, err)
}

// isNetwork reports whether err means the connection is no longer usable
// or the server cannot serve now.
func isNetwork(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, directory.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return goldap.IsErrorAnyOf(err, goldap.ErrorNetwork, goldap.LDAPResultBusy, goldap.LDAPResultUnavailable,
		goldap.LDAPResultServerDown, goldap.LDAPResultTimeout, goldap.LDAPResultConnectError)
}

// classify wraps err from an operation: network trouble becomes
// directory.ErrUnavailable, anything else keeps its LDAP error.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, directory.ErrUnavailable) {
		return err
	}
	if isNetwork(err) {
		return unavailable(op, err)
	}
	return fmt.Errorf("ldap: %s: %w", op, err)
}
