package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/internal/oidctest"
)

// oidcServer starts a provider with alice (in group "Usher admins") and
// bob (in "staff"), and a server whose admin sign-in uses it.
func oidcServer(t *testing.T) (*testServer, *oidctest.Provider) {
	t.Helper()
	p := oidctest.New(t)
	for _, u := range []oidctest.User{
		{Subject: "alice-sub", IDClaims: map[string]any{"groups": []string{"Usher admins"}},
			Profile: map[string]any{"preferred_username": "alice", "name": "Alice Liddell", "email": "alice@example.test"}},
		{Subject: "bob-sub", IDClaims: map[string]any{"groups": []string{"staff"}},
			Profile: map[string]any{"preferred_username": "bob", "name": "Bob", "email": "bob@example.test"}},
	} {
		p.PutUser(u)
	}
	dir := t.TempDir()
	oidcCfg, err := json.Marshal(map[string]any{
		"issuer": p.URL(), "clientId": oidctest.ClientID, "clientSecret": oidctest.ClientSecret,
		"scopes": []string{"openid", "profile", "email"}, "userInfo": true,
		"mapping": map[string]any{"groupRoles": map[string][]string{"Usher admins": {"usher-admin"}}},
	})
	require.NoError(t, err)
	path := filepath.Join(dir, "oidc.json")
	require.NoError(t, os.WriteFile(path, oidcCfg, 0o600))
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(dir, "usher.db")
	cfg.OIDCConfig = path
	ts := startTestServer(t, cfg)
	p.SetRedirectURIs(ts.app.baseURL() + "/admin/oidc/callback")
	return ts, p
}

// follow signs in through the provider as a browser would (following
// every redirect) and returns the last response.
func (ts *testServer) follow(t *testing.T, jar http.CookieJar) response {
	t.Helper()
	c := &http.Client{Jar: jar}
	req, err := http.NewRequest(http.MethodGet, ts.srv.URL+"/admin/oidc/login?return_to=/admin/users", nil)
	require.NoError(t, err)
	return ts.do(c, req)
}

func TestOIDCAdminSignIn(t *testing.T) {
	t.Parallel()
	ts, p := oidcServer(t)
	assert.Contains(t, ts.get(ts.browser(), "/admin/login").Body, `href="/admin/oidc/login?return_to=/admin/"`)

	p.SignInAs("alice-sub")
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	r := ts.follow(t, jar)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "<h1>Users</h1>", "signed in and sent where she was going")
	assert.Contains(t, r.Body, "alice", "the session is alice's")
	admin, err := ts.app.admins.GetUserByUsername(t.Context(), "alice")
	require.NoError(t, err, "an admin account per provider identity")
	assert.Empty(t, admin.PasswordHash, "it signs in only through the provider")

	// Bob lacks the admin role: refused, nothing created.
	p.SignInAs("bob-sub")
	jar2, err := cookiejar.New(nil)
	require.NoError(t, err)
	r = ts.follow(t, jar2)
	assert.Equal(t, http.StatusForbidden, r.StatusCode)
	assert.Contains(t, r.Body, `does not have the role &#34;usher-admin&#34;`)
	_, err = ts.app.admins.GetUserByUsername(t.Context(), "bob")
	assert.Error(t, err)
	c := &http.Client{Jar: jar2, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	assert.Equal(t, http.StatusSeeOther, ts.get(c, "/admin/").StatusCode, "no session")

	// A callback without this browser's state is refused.
	r = ts.get(ts.browser(), "/admin/oidc/callback?state=forged&code=x")
	assert.Equal(t, http.StatusForbidden, r.StatusCode)
	assert.True(t, strings.Contains(r.Body, "sign_in_refused"), r.Body)
}
