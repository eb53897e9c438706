package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/userstore"
)

const testAdminPassword = "correct horse battery staple"

// testServer is a server on a fresh SQLite file, with its bootstrap admin.
type testServer struct {
	t   *testing.T
	app *app
	srv *httptest.Server
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "data", "usher.db")
	return startTestServer(t, cfg)
}

func testSettings(t *testing.T) settings {
	t.Helper()
	cfg, err := loadSettings(nil, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	cfg.BootstrapPassword = testAdminPassword
	return cfg
}

func startTestServer(t *testing.T, cfg settings) *testServer {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		srv.Close()
	}
	require.NoError(t, err)
	t.Cleanup(a.close)
	_, err = a.bootstrap(context.Background())
	require.NoError(t, err)
	srv.Config.Handler = a.handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return &testServer{t: t, app: a, srv: srv}
}

// browser is a client with a cookie jar that does not follow redirects.
func (ts *testServer) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(ts.t, err)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// signIn signs the bootstrap admin in and returns the browser.
func (ts *testServer) signIn() *http.Client {
	c := ts.browser()
	resp := ts.postForm(c, "/admin/login", url.Values{"username": {bootstrapAdmin}, "password": {testAdminPassword}})
	require.Equal(ts.t, http.StatusSeeOther, resp.StatusCode, resp.Body)
	return c
}

type response struct {
	StatusCode int
	Header     http.Header
	Body       string
}

func (ts *testServer) do(c *http.Client, req *http.Request) response {
	ts.t.Helper()
	resp, err := c.Do(req)
	require.NoError(ts.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(ts.t, err)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func (ts *testServer) get(c *http.Client, path string) response {
	ts.t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.srv.URL+path, nil)
	require.NoError(ts.t, err)
	return ts.do(c, req)
}

func (ts *testServer) postForm(c *http.Client, path string, v url.Values) response {
	ts.t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+path, strings.NewReader(v.Encode()))
	require.NoError(ts.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return ts.do(c, req)
}

var secretInPage = regexp.MustCompile(`<code id="secret">(ush_[A-Za-z0-9_-]+)</code>`)

// token creates an access token on the admin page and returns its secret.
func (ts *testServer) token(scopes ...string) string {
	ts.t.Helper()
	resp := ts.postForm(ts.signIn(), "/admin/tokens", url.Values{"name": {"test " + strings.Join(scopes, "+")}, "scope": scopes})
	require.Equal(ts.t, http.StatusCreated, resp.StatusCode, resp.Body)
	m := secretInPage.FindStringSubmatch(resp.Body)
	require.Len(ts.t, m, 2, "the page shows the new token")
	return m[1]
}

// api sends a JSON request with a bearer token; body may be nil, a
// string (sent as is) or a value to encode.
func (ts *testServer) api(token, method, path string, body any, header ...string) response {
	ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(ts.t, err)
		r = strings.NewReader(string(j))
	}
	req, err := http.NewRequest(method, ts.srv.URL+path, r)
	require.NoError(ts.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return ts.do(http.DefaultClient, req)
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(r.Body), &v), r.Body)
	return v
}

func userstoreAll() userstore.ListOptions { return userstore.ListOptions{} }
