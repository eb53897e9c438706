package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/userstore"
)

func TestAdminSignIn(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)

	t.Run("refusals look alike", func(t *testing.T) {
		for _, creds := range []url.Values{
			{"username": {"admin"}, "password": {"wrong"}},
			{"username": {"nobody"}, "password": {"wrong"}},
			{"username": {""}, "password": {""}},
			{"username": {strings.Repeat("a", 10_000)}, "password": {"x"}},
		} {
			r := ts.postForm(ts.browser(), "/admin/login", creds)
			assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
			assert.Contains(t, r.Body, "Wrong username or password.")
			assert.Empty(t, r.Header.Values("Set-Cookie"))
		}
	})

	t.Run("a session opens the pages and sign-out ends it", func(t *testing.T) {
		c := ts.signIn()
		for _, p := range []string{"/admin/", "/admin/users", "/admin/audit", "/admin/tokens"} {
			r := ts.get(c, p)
			assert.Equal(t, http.StatusOK, r.StatusCode, p)
			assert.Contains(t, r.Body, "Sign out", p)
			assert.Contains(t, r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
		}
		r := ts.postForm(c, "/admin/logout", nil)
		assert.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, http.StatusSeeOther, ts.get(c, "/admin/").StatusCode, "signed out")
	})

	t.Run("the session cookie is HttpOnly and SameSite", func(t *testing.T) {
		r := ts.postForm(ts.browser(), "/admin/login", url.Values{"username": {"admin"}, "password": {testAdminPassword}})
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		cookie := r.Header.Get("Set-Cookie")
		assert.Contains(t, cookie, "HttpOnly")
		assert.Contains(t, cookie, "SameSite=Lax")
		n, err := ts.app.db.SQL().QueryContext(t.Context(), `SELECT id_hash FROM usher_server_sessions`)
		require.NoError(t, err)
		defer n.Close()
		value := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], "usher_session=")
		for n.Next() {
			var h string
			require.NoError(t, n.Scan(&h))
			assert.NotEqual(t, value, h, "only the session's hash is stored")
			assert.NotContains(t, h, value)
		}
	})

	t.Run("a forged cookie is not a session", func(t *testing.T) {
		c := ts.browser()
		u, _ := url.Parse(ts.srv.URL)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "usher_session", Value: newSecret("uss_")}})
		assert.Equal(t, http.StatusSeeOther, ts.get(c, "/admin/").StatusCode)
	})

	t.Run("cross-origin form posts are refused", func(t *testing.T) {
		c := ts.signIn()
		req, err := http.NewRequest(http.MethodPost, ts.srv.URL+"/admin/tokens", strings.NewReader("name=x&scope=users%3Aread"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		r := ts.do(c, req)
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
		tokens, err := ts.app.server.tokens(t.Context())
		require.NoError(t, err)
		assert.Empty(t, tokens, "nothing was created")
	})
}

func TestAdminUsersPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.signIn()

	r := ts.postForm(c, "/admin/users", url.Values{"username": {"jdoe"}, "displayName": {"<script>alert(1)</script>"}, "email": {"jdoe@example.com"}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Created jdoe.")
	assert.Contains(t, r.Body, "&lt;script&gt;", "escaped")
	assert.NotContains(t, r.Body, "<script>alert")

	r = ts.postForm(c, "/admin/users", url.Values{"username": {"JDOE"}})
	assert.Equal(t, http.StatusConflict, r.StatusCode)
	assert.Contains(t, r.Body, "That username is taken.")

	u, err := ts.app.users.GetUserByUsername(t.Context(), "jdoe")
	require.NoError(t, err)
	r = ts.postForm(c, "/admin/users/bulk", url.Values{"id": {u.ID, "no-such-id"}, "action": {"disable"}})
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, "Disabled 1 users.")
	assert.Contains(t, r.Body, "1 users could not be changed")
	u, err = ts.app.users.GetUser(t.Context(), u.ID)
	require.NoError(t, err)
	assert.False(t, u.Enabled)

	r = ts.get(c, "/admin/audit?kind=admin.user_disabled")
	assert.Contains(t, r.Body, "admin.user_disabled")
	assert.Contains(t, r.Body, u.ID)
}

func TestAccessTokens(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	secret := ts.token(scopeUsersRead)
	assert.Equal(t, http.StatusOK, ts.api(secret, "GET", "/api/v1/users", nil).StatusCode)
	assert.Equal(t, http.StatusForbidden, ts.api(secret, "POST", "/api/v1/users", map[string]string{"username": "x"}).StatusCode, "no users:write")

	// Only the hash is stored.
	var n int
	require.NoError(t, ts.app.db.SQL().QueryRowContext(t.Context(), `SELECT count(*) FROM usher_server_tokens WHERE hash = $1`, secretHash(secret)).Scan(&n))
	assert.Equal(t, 1, n)
	require.NoError(t, ts.app.db.SQL().QueryRowContext(t.Context(), `SELECT count(*) FROM usher_server_tokens WHERE hash = $1 OR name = $1`, secret).Scan(&n))
	assert.Zero(t, n)

	tokens, err := ts.app.server.tokens(t.Context())
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	assert.False(t, tokens[0].LastUsedAt.IsZero(), "use is noted")
	r := ts.postForm(ts.signIn(), "/admin/tokens/"+tokens[0].ID+"/revoke", nil)
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, http.StatusUnauthorized, ts.api(secret, "GET", "/api/v1/users", nil).StatusCode, "revoked at once")

	for _, bad := range []string{"", "ush_", "ush_" + strings.Repeat("A", 43), "Bearer", strings.Repeat("x", 10_000), newSecret("uss_")} {
		r := ts.api(bad, "GET", "/api/v1/users", nil)
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		assert.Contains(t, r.Body, `"error":"unauthorized"`)
	}

	r = ts.postForm(ts.signIn(), "/admin/tokens", url.Values{"name": {"x"}, "scope": {"root"}})
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, r.Body, "unknown scope")
	r = ts.postForm(ts.signIn(), "/admin/tokens", url.Values{"name": {""}, "scope": {scopeUsersRead}})
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
}

func TestSignOutAndLoginsAudited(t *testing.T) {
	t.Parallel()
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + t.TempDir() + "/usher.db"
	cfg.AuditLogins = true
	ts := startTestServer(t, cfg)
	c := ts.signIn()
	require.Equal(t, http.StatusSeeOther, ts.postForm(c, "/admin/logout", nil).StatusCode)
	r := ts.get(ts.signIn(), "/admin/audit?kind=admin.signed_out")
	assert.Contains(t, r.Body, "admin.signed_out")

	_, err := ts.app.users.CreateUser(t.Context(), userstore.User{Username: "jdoe", Enabled: true})
	require.NoError(t, err)
	require.NoError(t, ts.app.userSvc.SetUserPassword(t.Context(), mustID(t, ts, "jdoe"), "a good long password"))
	_, err = ts.app.userSvc.Login(t.Context(), userstore.LoginRequest{Login: "jdoe", Password: "a good long password"})
	require.NoError(t, err)
	r = ts.get(ts.signIn(), "/admin/audit?kind=login.succeeded")
	assert.Contains(t, r.Body, "login.succeeded", "-audit-successful-logins")
}

func mustID(t *testing.T, ts *testServer, username string) string {
	t.Helper()
	u, err := ts.app.users.GetUserByUsername(t.Context(), username)
	require.NoError(t, err)
	return u.ID
}
