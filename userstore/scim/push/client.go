package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The SCIM media type (RFC 7644, section 8.1) and the message schemas of
// list responses and PATCH requests (RFC 7644, sections 3.4.2 and 3.5.2).
const (
	mediaType     = "application/scim+json"
	schemaPatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// maxResponseBytes bounds how much of a downstream's answer is read.
const maxResponseBytes = 4 << 20

// HTTPError is an answer of the downstream other than the success the request
// expects. It carries the status and, when the body is a SCIM error (RFC 7644,
// section 3.12), its scimType and detail.
type HTTPError struct {
	Method     string
	Path       string // relative to the base URL, without the query
	StatusCode int
	ScimType   string
	Detail     string // the start of the detail or body, for diagnosis
	// RetryAfter is the wait a 429 or 503 answer asked for in its
	// Retry-After header (RFC 9110, section 10.2.3), 0 when none.
	RetryAfter time.Duration
}

// Error describes the failed request.
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("push: %s %s: status %d", e.Method, e.Path, e.StatusCode)
	if e.ScimType != "" {
		s += " (" + e.ScimType + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// permanent reports whether retrying the same request cannot succeed: the
// downstream refused the content itself (400 invalid value or syntax, 413).
// Authentication failures, conflicts, rate limits and server errors are not
// permanent: configuration and load change.
func (e *HTTPError) permanent() bool {
	return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusRequestEntityTooLarge
}

// client speaks SCIM 2.0 (RFC 7644) to one service provider.
type client struct {
	base    *url.URL
	http    *http.Client
	timeout time.Duration
	now     func() time.Time
}

// resource is what the follower needs of a downstream resource.
type resource struct {
	ID         string `json:"id"`
	ExternalID string `json:"externalId"`
}

// do sends one request, bounded by the per-request timeout, and decodes a 2xx
// answer into out (when not nil). A 404 is returned as an *HTTPError like any
// other failure.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.base.JoinPath(path)
	if query != nil {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("push: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("push: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", mediaType)
	if body != nil {
		req.Header.Set("Content-Type", mediaType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The *url.Error names the URL, never the Authorization header.
		return fmt.Errorf("push: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("push: %s %s: read answer: %w", method, path, err)
	}
	if len(data) > maxResponseBytes {
		return fmt.Errorf("push: %s %s: answer larger than %d bytes", method, path, maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := httpError(method, path, resp.StatusCode, data)
		if e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable {
			e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.now())
		}
		return e
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("push: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

func httpError(method, path string, status int, body []byte) *HTTPError {
	e := &HTTPError{Method: method, Path: path, StatusCode: status}
	var se struct {
		ScimType string `json:"scimType"`
		Detail   string `json:"detail"`
	}
	if json.Unmarshal(body, &se) == nil && (se.ScimType != "" || se.Detail != "") {
		e.ScimType, e.Detail = se.ScimType, se.Detail
	} else {
		e.Detail = strings.ToValidUTF8(string(body), "")
	}
	if len(e.Detail) > 200 {
		e.Detail = strings.ToValidUTF8(e.Detail[:200], "") + "…"
	}
	return e
}

// retryAfter reads a Retry-After value: delay-seconds or an HTTP-date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func isStatus(err error, code int) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.StatusCode == code
}

// listResponse is a SCIM ListResponse (RFC 7644, section 3.4.2).
type listResponse struct {
	TotalResults int        `json:"totalResults"`
	StartIndex   int        `json:"startIndex"`
	ItemsPerPage int        `json:"itemsPerPage"`
	Resources    []resource `json:"Resources"`
}

// findByExternalID looks the resource of endpoint ("Users", "Groups") up by
// its externalId with the filter externalId eq "…" (RFC 7644, section
// 3.4.2.2). The value is a JSON string, escaped here and only here. ok is
// false when the downstream has none; more than one is an error, for the
// follower cannot tell which is its own.
func (c *client) findByExternalID(ctx context.Context, endpoint, externalID string) (r resource, ok bool, err error) {
	lit, err := json.Marshal(externalID)
	if err != nil {
		return resource{}, false, fmt.Errorf("push: encode externalId: %w", err)
	}
	q := url.Values{"filter": {"externalId eq " + string(lit)}}
	var lr listResponse
	if err := c.do(ctx, http.MethodGet, endpoint, q, nil, &lr); err != nil {
		return resource{}, false, err
	}
	var found []resource
	for _, r := range lr.Resources {
		// A downstream that ignores the filter must not make us take
		// another resource for ours.
		if r.ExternalID == externalID {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return resource{}, false, nil
	case 1:
		return found[0], true, nil
	default:
		return resource{}, false, fmt.Errorf("push: %d %s share externalId %q", len(found), endpoint, externalID)
	}
}

// query returns every resource of endpoint that matches the filter format
// with value in it, e.g. `members[value eq %s]` (RFC 7644, section
// 3.4.2.2), reading pages of count (section 3.4.2.4). The value is escaped
// here, once, as a JSON string.
func (c *client) query(ctx context.Context, endpoint, format, value string, count int) ([]resource, error) {
	lit, err := json.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("push: encode filter value: %w", err)
	}
	var out []resource
	for start := 1; ; {
		q := url.Values{
			"filter":     {fmt.Sprintf(format, lit)},
			"startIndex": {strconv.Itoa(start)},
			"count":      {strconv.Itoa(count)},
		}
		var lr listResponse
		if err := c.do(ctx, http.MethodGet, endpoint, q, nil, &lr); err != nil {
			return nil, err
		}
		out = append(out, lr.Resources...)
		start += len(lr.Resources)
		if len(lr.Resources) == 0 || start > lr.TotalResults {
			return out, nil
		}
	}
}

// list reads one page of endpoint: count resources from the 1-based start
// (RFC 7644, section 3.4.2.4).
func (c *client) list(ctx context.Context, endpoint string, start, count int) (listResponse, error) {
	q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(count)}}
	var lr listResponse
	err := c.do(ctx, http.MethodGet, endpoint, q, nil, &lr)
	return lr, err
}

// patchOp is one operation of a PATCH request (RFC 7644, section 3.5.2).
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

func (c *client) patch(ctx context.Context, path string, ops ...patchOp) error {
	body := map[string]any{"schemas": []string{schemaPatchOp}, "Operations": ops}
	return c.do(ctx, http.MethodPatch, path, nil, body, nil)
}
