package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/usher-sdk/usher/directory"
)

// maxBody caps the size of one Graph response.
const maxBody = 64 << 20

// token returns a valid access token, fetching a new one when needed.
func (s *Source) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.Valid() {
		return s.tok.AccessToken, nil
	}
	// x/oauth2 takes its HTTP client from the context; it is set only here.
	tok, err := s.cc.Token(context.WithValue(ctx, oauth2.HTTPClient, s.hc))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			return "", fmt.Errorf("graph: getting a token: %w", err)
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("graph: getting a token: %w: %w", directory.ErrUnavailable, err)
	}
	s.tok = tok
	return tok.AccessToken, nil
}

// checkLink refuses a link that leaves the base URL, so the token goes
// nowhere else.
func (s *Source) checkLink(link string) (*url.URL, error) {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != s.base.Scheme || u.Host != s.base.Host || !strings.HasPrefix(u.Path, s.base.Path+"/") {
		return nil, fmt.Errorf("%w: %q", ErrBadLink, link)
	}
	return u, nil
}

// endpoint builds base + path + "?" + query; path's segments must be
// escaped already.
func (s *Source) endpoint(path string, q url.Values) string {
	link := s.base.String() + path
	if len(q) > 0 {
		link += "?" + q.Encode()
	}
	return link
}

// do sends a request, retrying throttled ones, and decodes a 2xx JSON
// answer into out.
func (s *Source) do(ctx context.Context, method, link string, body any, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("graph: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := s.token(ctx)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, method, link, bytes.NewReader(payload))
		if err != nil {
			return fmt.Errorf("graph: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := s.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("graph: %s %s: %w: %w", method, redact(link), directory.ErrUnavailable, err)
		}
		if resp.StatusCode/100 == 2 {
			err = json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out)
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("graph: %s %s: decoding the answer: %w", method, redact(link), err)
			}
			return nil
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		gerr := parseError(resp.StatusCode, data)
		if resp.StatusCode == http.StatusUnauthorized {
			s.mu.Lock()
			s.tok = nil // a revoked or expired token: fetch a new one next time
			s.mu.Unlock()
		}
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
			return gerr
		}
		wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if !ok {
			wait = time.Second << min(attempt, 6) // no header: exponential backoff
		}
		gerr.RetryAfter = wait
		if attempt >= s.cfg.MaxRetries {
			return fmt.Errorf("graph: %s %s: still throttled after %d retries: %w", method, redact(link), attempt, gerr)
		}
		wait = min(wait, s.cfg.MaxRetryWait)
		s.log.Info("graph: throttled, retrying", "status", resp.StatusCode, "wait", wait, "attempt", attempt+1)
		if err := s.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// redact drops the query (skip and delta tokens) from a link for messages.
func redact(link string) string {
	if i := strings.IndexByte(link, '?'); i >= 0 {
		return link[:i]
	}
	return link
}

// page is one page of a collection.
type page struct {
	Value     []map[string]json.RawMessage `json:"value"`
	NextLink  string                       `json:"@odata.nextLink"`
	DeltaLink string                       `json:"@odata.deltaLink"`
}

// pages follows @odata.nextLink from first, yielding each page. The last
// page (no nextLink) is yielded too; its DeltaLink is the round's end for
// delta queries.
func (s *Source) pages(ctx context.Context, first string) iter.Seq2[page, error] {
	return func(yield func(page, error) bool) {
		link := first
		for link != "" {
			var p page
			if err := s.do(ctx, http.MethodGet, link, nil, &p); err != nil {
				yield(page{}, err)
				return
			}
			if p.NextLink != "" {
				if _, err := s.checkLink(p.NextLink); err != nil {
					yield(page{}, err)
					return
				}
			}
			if !yield(p, nil) {
				return
			}
			link = p.NextLink
		}
	}
}
