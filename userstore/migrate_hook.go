package userstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
)

// MigrationHook verifies a password against a legacy system. The Service
// asks it at the login of a user who has no local password hash the hasher
// registry can use (an imported user). When it vouches for the password,
// the Service hashes the password locally, stores the hash and never asks
// the hook about that user again. It is not asked while the user is locked
// or disabled. A false answer counts as a wrong password. login is the
// user's stored Username (not what the user typed, which may be an
// e-mail). Asking the hook takes its own time, not a hash's, so a migrated
// user's first login may be told apart by timing from others'.
//
// Implementations must be safe for concurrent use. err is only for a
// failure to ask; the login is then refused without counting a strike.
type MigrationHook interface {
	VerifyLegacy(ctx context.Context, login, password string) (ok bool, err error)
}

// MigrationHookFunc adapts a function to MigrationHook.
type MigrationHookFunc func(ctx context.Context, login, password string) (bool, error)

// VerifyLegacy calls f.
func (f MigrationHookFunc) VerifyLegacy(ctx context.Context, login, password string) (bool, error) {
	return f(ctx, login, password)
}

// HTTPMigrationHook asks a legacy system over HTTP. It POSTs the JSON
// object {"login": "...", "password": "..."} to URL and reads the answer:
//
//   - 2xx with a JSON body {"valid": true} or {"valid": false};
//   - 401, 403 or 404: the password (or user) is not valid;
//   - anything else is an error (*HTTPHookError).
//
// The zero value is not usable; URL is required. It is safe for concurrent
// use.
type HTTPMigrationHook struct {
	// URL is the legacy system's endpoint. It must be https, unless the
	// host is a loopback address or InsecureAllowHTTP is set.
	URL string
	// Client sends the requests. Default http.DefaultClient; set one with a
	// Timeout in production.
	Client *http.Client
	// Header is added to every request, e.g. an Authorization header.
	Header http.Header
	// InsecureAllowHTTP lets URL be plain http to a non-loopback host,
	// which sends passwords unencrypted. Only for tests and trusted
	// networks.
	InsecureAllowHTTP bool
}

var _ MigrationHook = (*HTTPMigrationHook)(nil)

// maxHookResponse caps the body read from the legacy system.
const maxHookResponse = 64 << 10

// HTTPHookError is an unexpected answer of the legacy system.
type HTTPHookError struct {
	StatusCode int
	Body       string // the start of the body, for diagnosis
}

func (e *HTTPHookError) Error() string {
	return fmt.Sprintf("userstore: migration hook: HTTP %d: %.200q", e.StatusCode, e.Body)
}

// VerifyLegacy posts login and password to h.URL.
func (h *HTTPMigrationHook) VerifyLegacy(ctx context.Context, login, password string) (bool, error) {
	if err := h.check(); err != nil {
		return false, err
	}
	body, err := json.Marshal(struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}{login, password})
	if err != nil {
		return false, fmt.Errorf("userstore: migration hook: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("userstore: migration hook: %w", err)
	}
	for k, vs := range h.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// The error of Do names the URL, never the body (the password).
		return false, fmt.Errorf("userstore: migration hook: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxHookResponse))
	if err != nil {
		return false, fmt.Errorf("userstore: migration hook: read answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden, resp.StatusCode == http.StatusNotFound:
		return false, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return false, &HTTPHookError{StatusCode: resp.StatusCode, Body: string(data)}
	}
	var answer struct {
		Valid *bool `json:"valid"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || answer.Valid == nil {
		return false, &HTTPHookError{StatusCode: resp.StatusCode, Body: string(data)}
	}
	return *answer.Valid, nil
}

// check refuses a missing URL and plain http to another host.
func (h *HTTPMigrationHook) check() error {
	u, err := url.Parse(h.URL)
	if err != nil || u.Host == "" {
		return errors.New("userstore: migration hook: URL must be an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h.InsecureAllowHTTP || isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("userstore: migration hook: refusing to send passwords over plain http to a non-loopback host (set InsecureAllowHTTP)")
	}
	return fmt.Errorf("userstore: migration hook: URL scheme %q: want https", u.Scheme)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
