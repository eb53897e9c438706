package ldap

import (
	"context"
	"errors"
	"fmt"

	goldap "github.com/go-ldap/ldap/v3"
)

// errStop ends a search because its consumer stopped reading.
var errStop = errors.New("ldap: search stopped by the consumer")

// query is one subtree search.
type query struct {
	op     string // for error messages: "Users", "Lookup", ...
	base   string
	filter string
	attrs  []string
	// paged asks for RFC 2696 pages of Config.PageSize; otherwise
	// sizeLimit bounds the answer.
	paged     bool
	sizeLimit int
}

// search runs q on a service connection and calls fn for each entry as it
// arrives, one page at a time, so memory does not grow with the result.
// fn returns false to stop. When the pooled connection turns out to be
// dead before any entry was seen, the search is tried once more on a
// fresh connection; a connection lost later fails the search with an error
// wrapping directory.ErrUnavailable (a paged search cannot be resumed on
// another connection).
func (s *Source) search(ctx context.Context, q query, fn func(*goldap.Entry) bool) error {
	seen := false
	for attempt := 0; ; attempt++ {
		c, reused, err := s.conns.get(ctx)
		if err != nil {
			return s.ctxErr(ctx, classify(q.op, err))
		}
		err = s.pages(ctx, c, q, func(e *goldap.Entry) bool {
			seen = true
			return fn(e)
		})
		// A connection left in the middle of a search (stopped, cancelled,
		// timed out, failed) is closed rather than reused.
		s.conns.put(c, err != nil)
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil && isNetwork(err) && reused && !seen && attempt == 0 && ctx.Err() == nil {
			s.log.DebugContext(ctx, "ldap: pooled connection was dropped; retrying on a fresh one", "source", s.cfg.Name, "err", err)
			continue
		}
		return s.ctxErr(ctx, err)
	}
}

// ctxErr prefers the caller's cancellation to the error it caused.
func (s *Source) ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("ldap: %w", ctx.Err())
	}
	return err
}

// pages runs q on c, page after page.
func (s *Source) pages(ctx context.Context, c *goldap.Conn, q query, fn func(*goldap.Entry) bool) error {
	var controls []goldap.Control
	var paging *goldap.ControlPaging
	if q.paged {
		paging = goldap.NewControlPaging(uint32(s.cfg.PageSize))
		controls = []goldap.Control{paging}
	}
	timeLimit := int(s.cfg.Timeout.Seconds())
	req := goldap.NewSearchRequest(q.base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		q.sizeLimit, timeLimit, false, q.filter, q.attrs, controls)
	for {
		cookie, err := s.page(ctx, c, req, q.op, fn)
		if err != nil || paging == nil || len(cookie) == 0 {
			return err
		}
		paging.SetCookie(cookie)
	}
}

// page runs one request and returns the paging cookie of its answer.
func (s *Source) page(ctx context.Context, c *goldap.Conn, req *goldap.SearchRequest, op string, fn func(*goldap.Entry) bool) ([]byte, error) {
	pctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	r := c.SearchAsync(pctx, req, 256)
	var controls []goldap.Control
	for r.Next() {
		if e := r.Entry(); e != nil {
			if !fn(e) {
				return nil, errStop
			}
			continue
		}
		if cs := r.Controls(); len(cs) > 0 {
			controls = cs
		}
	}
	if err := r.Err(); err != nil {
		if goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
			return nil, nil // the entries up to the limit were delivered
		}
		return nil, classify(op, err)
	}
	if err := pctx.Err(); err != nil {
		// SearchAsync ends quietly when its context ends.
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ldap: %s: %w", op, ctx.Err())
		}
		return nil, unavailable(op, fmt.Errorf("no answer within %v: %w", s.cfg.Timeout, err))
	}
	ctrl := goldap.FindControl(controls, goldap.ControlTypePaging)
	if ctrl == nil {
		// A result without a paging control is complete, unless the
		// connection died before the search started (SearchAsync says
		// nothing then).
		if c.IsClosing() {
			return nil, unavailable(op, errors.New("connection closed"))
		}
		return nil, nil
	}
	p, ok := ctrl.(*goldap.ControlPaging)
	if !ok {
		return nil, nil
	}
	return p.Cookie, nil
}
