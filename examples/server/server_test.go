package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoutes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.browser()
	tests := []struct {
		path     string
		status   int
		contains string
	}{
		{"/healthz", http.StatusOK, `"status":"ok"`},
		{"/readyz", http.StatusOK, `"status":"ready"`},
		{"/", http.StatusSeeOther, ""},
		{"/admin/", http.StatusSeeOther, ""},
		{"/admin/login", http.StatusOK, "Sign in"},
		{"/admin/static/admin.css", http.StatusOK, "font-family"},
		{"/api/v1/users", http.StatusUnauthorized, `"error":"unauthorized"`},
		{"/api/v1/nope", http.StatusNotFound, `"error":"not_found"`},
		{"/nope", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := ts.get(c, tt.path)
			assert.Equal(t, tt.status, r.StatusCode)
			assert.Contains(t, r.Body, tt.contains)
		})
	}
}

func TestReadyzWhenTheDatabaseIsGone(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	require.NoError(t, ts.app.db.SQL().Close())
	r := ts.get(ts.browser(), "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, r.StatusCode)
	assert.Contains(t, r.Body, `"status":"unavailable"`)
	assert.Equal(t, http.StatusOK, ts.get(ts.browser(), "/healthz").StatusCode)
}

var printedPassword = regexp.MustCompile(`password ([A-Z2-7]{26})\n`)

// syncBuffer is an io.Writer safe to read while the server writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startRun runs the server as main does and returns what it printed once
// it is up, and a function that stops it.
func startRun(t *testing.T, cfg settings) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, slog.New(slog.DiscardHandler), out) }()
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			require.NoError(t, err)
		default:
		}
		return bytes.Contains([]byte(out.String()), []byte("press Ctrl+C"))
	}, 30*time.Second, 10*time.Millisecond)
	return out.String(), func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(20 * time.Second):
			t.Fatal("server did not stop")
		}
	}
}

// TestFirstStart follows the README: a first start creates the database
// file (owner-only) and prints the admin password once; that password
// signs in; a second start prints no password.
func TestFirstStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := loadSettings([]string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	cfg.Database = "sqlite:" + filepath.Join(dir, "usher-data", "usher.db")

	out, stop := startRun(t, cfg)
	m := printedPassword.FindStringSubmatch(out)
	require.Len(t, m, 2, "the first start prints the admin password:\n%s", out)
	assert.Contains(t, out, "/admin/")
	fi, err := os.Stat(filepath.Join(dir, "usher-data", "usher.db"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the database holds password hashes")
	stop()

	out, stop = startRun(t, cfg)
	defer stop()
	assert.NotContains(t, out, m[1], "the password is printed only once")
	assert.NotRegexp(t, printedPassword, out)

	// The printed password signs in.
	cfg.BootstrapPassword = m[1]
	ts := startTestServer(t, cfg)
	c := ts.browser()
	r := ts.postForm(c, "/admin/login", map[string][]string{"username": {"admin"}, "password": {m[1]}})
	assert.Equal(t, http.StatusSeeOther, r.StatusCode)
}

func TestBootstrapRacingProcessesCreateOneAdmin(t *testing.T) {
	t.Parallel()
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	cfg.BootstrapPassword = ""
	var wg sync.WaitGroup
	passwords := make([]string, 4)
	for i := range passwords {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := openApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			defer a.close()
			passwords[i], err = a.bootstrap(context.Background())
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	printed := 0
	for _, p := range passwords {
		if p != "" {
			printed++
		}
	}
	assert.Equal(t, 1, printed, "exactly one process creates the admin and prints its password")
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeMetrics)
	_ = ts.postForm(ts.browser(), "/admin/login", map[string][]string{"username": {"admin"}, "password": {"wrong"}})
	_ = ts.get(ts.browser(), "/api/v1/users/some-id-an-outsider-picked")
	assert.Equal(t, http.StatusUnauthorized, ts.get(ts.browser(), "/metrics").StatusCode, "metrics need a token")
	r := ts.api(tok, "GET", "/metrics", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, `usher_admin_logins_total{outcome="refused"} 1`)
	assert.Contains(t, r.Body, `usher_http_requests_total{code="401",method="GET",route="GET /api/v1/users/{id}"} 1`)
	assert.NotContains(t, r.Body, "some-id-an-outsider-picked", "labels hold patterns, never raw paths")
	assert.Contains(t, r.Body, "usher_http_request_duration_seconds_bucket")
	assert.Contains(t, r.Body, "go_goroutines")
}
