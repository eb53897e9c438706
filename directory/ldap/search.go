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

// search runs q and calls fn for each entry as it arrives; fn returns
// false to stop. A paged query runs on a streaming connection of its own
// (stream.go), one page in memory at a time, so memory does not grow with
// the result; a connection lost in the middle fails it with an error
// wrapping directory.ErrUnavailable, as a paged search cannot be resumed
// elsewhere. Other queries use a pooled service connection; when that
// turns out to be dead before any entry was seen, the query is tried once
// more on a fresh one. For a paged query the stream reuses the entry
// between calls: fn must not keep the *goldap.Entry, its Attributes or a
// ByteValues slice past its return, and must not write into byte values
// (the strings and Values slices may be kept: entryDecoder).
func (s *Source) search(ctx context.Context, q query, fn func(*goldap.Entry) bool) error {
	if q.paged {
		return s.stream(ctx, q, fn)
	}
	seen := false
	for attempt := 0; ; attempt++ {
		c, reused, err := s.conns.get(ctx)
		if err != nil {
			return s.ctxErr(ctx, classify(q.op, err))
		}
		err = s.page(ctx, c, q, func(e *goldap.Entry) bool {
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

// stream runs a paged query on a streaming connection.
func (s *Source) stream(ctx context.Context, q query, fn func(*goldap.Entry) bool) error {
	sc, err := s.dialStream(ctx)
	if err != nil {
		return s.ctxErr(ctx, err)
	}
	defer sc.close()
	err = sc.pagedSearch(ctx, q, s.cfg.PageSize, fn)
	switch {
	case err == nil, errors.Is(err, errStop):
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("ldap: %s: %w", q.op, ctx.Err())
	default:
		return streamError(q.op, err)
	}
}

// ctxErr prefers the caller's cancellation to the error it caused.
func (s *Source) ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("ldap: %w", ctx.Err())
	}
	return err
}

// page runs an unpaged query on c.
func (s *Source) page(ctx context.Context, c *goldap.Conn, q query, fn func(*goldap.Entry) bool) error {
	op := q.op
	req := goldap.NewSearchRequest(q.base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		q.sizeLimit, int(s.cfg.Timeout.Seconds()), false, q.filter, q.attrs, nil)
	pctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	r := c.SearchAsync(pctx, req, 256)
	for r.Next() {
		if e := r.Entry(); e != nil && !fn(e) {
			return errStop
		}
	}
	if err := r.Err(); err != nil {
		if goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
			return nil // the entries up to the limit were delivered
		}
		if c.IsClosing() {
			// The connection died; go-ldap then reports a plain error.
			return unavailable(op, err)
		}
		return classify(op, err)
	}
	if err := pctx.Err(); err != nil {
		// SearchAsync ends quietly when its context ends.
		if ctx.Err() != nil {
			return fmt.Errorf("ldap: %s: %w", op, ctx.Err())
		}
		return unavailable(op, fmt.Errorf("no answer within %v: %w", s.cfg.Timeout, err))
	}
	if c.IsClosing() {
		// SearchAsync says nothing when the connection died before the
		// search started.
		return unavailable(op, errors.New("connection closed"))
	}
	return nil
}
