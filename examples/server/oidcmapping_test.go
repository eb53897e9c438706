package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type mappingsAnswer struct {
	File    string        `json:"file"`
	Saved   bool          `json:"saved"`
	Clients []mappingView `json:"clients"`
}

// TestOIDCMappingFromTheFile: the API and the page show each client's
// effective mapping (claims' defaults applied), saying it comes from
// -oidc-config.
func TestOIDCMappingFromTheFile(t *testing.T) {
	t.Parallel()
	ts, _ := oidcServer(t)
	tok := ts.token(scopeUsersRead)
	assert.Equal(t, http.StatusForbidden, ts.api(ts.token(scopeActivation), "GET", "/api/v1/oidc/mapping", nil).StatusCode)
	r := ts.api(tok, "GET", "/api/v1/oidc/mapping", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	got := decode[mappingsAnswer](t, r)
	assert.Equal(t, ts.app.cfg.OIDCConfig, got.File)
	assert.False(t, got.Saved)
	require.Len(t, got.Clients, 2)
	for _, c := range got.Clients {
		assert.Contains(t, c.Claims, mappingRow{From: "email", To: []string{"email"}}, "the default claims")
		assert.Contains(t, c.Claims, mappingRow{From: "preferred_username", To: []string{"username"}})
		assert.Equal(t, []mappingRow{{From: "Usher admins", To: []string{"usher-admin"}}}, c.GroupRoles)
		assert.Equal(t, "sub", c.IDClaim)
		assert.Equal(t, "groups", c.GroupsClaim)
		assert.Empty(t, c.DefaultRoles)
	}
	assert.Equal(t, "admin sign-in", got.Clients[0].Use)
	assert.True(t, strings.HasSuffix(got.Clients[0].RedirectURL, "/admin/oidc/callback"))
	assert.True(t, strings.HasSuffix(got.Clients[1].RedirectURL, deviceOIDCCallback))
	assert.NotContains(t, r.Body, "secret", "never the client secret")

	b := ts.signIn()
	r = ts.get(b, "/admin/claims")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, "comes from <code>"+ts.app.cfg.OIDCConfig+"</code>, the <code>-oidc-config</code> file")
	assert.Contains(t, r.Body, "<td><code>Usher admins</code></td><td><code>usher-admin</code></td>")
	assert.Contains(t, r.Body, "<td><code>given_name</code></td><td><code>firstName</code></td>")
	assert.NotContains(t, r.Body, "Use the file&#39;s mapping")
	assert.Equal(t, http.StatusSeeOther, ts.get(ts.browser(), "/admin/claims").StatusCode, "signed out")
}

// TestOIDCMappingEdited: a saved mapping replaces the file's in every
// process without a restart (bob's group becomes an admin group, so he
// signs in), bad ones are refused and change nothing, cross-origin posts
// are refused, and dropping it brings back the file's.
func TestOIDCMappingEdited(t *testing.T) {
	t.Parallel()
	ts, p := oidcServer(t)
	two := startTestServer(t, ts.app.cfg)
	b := ts.signIn()

	staffAdmins := `{"groupRoles": {"staff": ["usher-admin"]}, "defaultRoles": ["reader"], "claims": {"email": "email", "preferred_username": "username"}}`
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+"/admin/claims", strings.NewReader(url.Values{"mapping": {staffAdmins}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, ts.do(b, req).StatusCode)
	for _, bad := range []struct{ mapping, msg string }{
		{`{"groupRoles": `, "JSON object"},
		{`[]`, "JSON object"},
		{`{"nonsense": 1}`, "JSON object"},
		{`{"claims": {"mail": "Email"}}`, `unknown field &#34;Email&#34;`},
	} {
		r := ts.postForm(b, "/admin/claims", url.Values{"mapping": {bad.mapping}})
		assert.Equal(t, http.StatusBadRequest, r.StatusCode, bad.mapping)
		assert.Contains(t, r.Body, bad.msg, bad.mapping)
	}
	d, err := ts.app.mappings(t.Context())
	require.NoError(t, err)
	assert.False(t, d.Saved, "nothing saved")

	// Before: bob (in staff) is refused.
	p.SignInAs("bob-sub")
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, ts.follow(t, jar).StatusCode)

	r := ts.postForm(b, "/admin/claims", url.Values{"mapping": {staffAdmins}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Saved; every server process")
	assert.Contains(t, r.Body, "one an administrator saved")
	assert.Contains(t, r.Body, "<td><code>staff</code></td><td><code>usher-admin</code></td>")
	assert.NotContains(t, r.Body, "<td><code>given_name</code>", "the saved claims replace the defaults")
	assert.Equal(t, 1, ts.audited("admin.oidc_mapping_saved"))

	jar, err = cookiejar.New(nil)
	require.NoError(t, err)
	r = ts.follow(t, jar)
	require.Equal(t, http.StatusOK, r.StatusCode, "bob is an admin now, without a restart: %s", r.Body)
	assert.Contains(t, r.Body, "<h1>Users</h1>")

	d, err = two.app.mappings(t.Context())
	require.NoError(t, err)
	assert.True(t, d.Saved, "the other process uses it too")
	require.Len(t, d.Clients, 2)
	assert.Equal(t, []mappingRow{{From: "staff", To: []string{"usher-admin"}}}, d.Clients[1].GroupRoles)
	assert.Equal(t, []string{"reader"}, d.Clients[1].DefaultRoles)
	api := decode[mappingsAnswer](t, two.api(two.token(scopeUsersRead), "GET", "/api/v1/oidc/mapping", nil))
	assert.True(t, api.Saved)

	r = ts.postForm(b, "/admin/claims", url.Values{"reset": {"true"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "is in force again")
	assert.Equal(t, 1, ts.audited("admin.oidc_mapping_reset"))
	jar, err = cookiejar.New(nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, ts.follow(t, jar).StatusCode, "bob refused again")
}

// TestOIDCMappingWithoutOIDC: without -oidc-config the page says how to
// configure a client, the API lists none, and saving is refused.
func TestOIDCMappingWithoutOIDC(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	r := ts.api(ts.token(scopeUsersRead), "GET", "/api/v1/oidc/mapping", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	got := decode[mappingsAnswer](t, r)
	assert.Empty(t, got.Clients)
	assert.Empty(t, got.File)
	b := ts.signIn()
	r = ts.get(b, "/admin/claims")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, "No OpenID Connect client is configured")
	assert.Equal(t, http.StatusNotFound, ts.postForm(b, "/admin/claims", url.Values{"mapping": {"{}"}}).StatusCode)
}

// TestOIDCMappingBroken: a saved mapping that cannot be used (written by
// another version, say) does not stop the page: it says so and the file's
// mapping can be put back.
func TestOIDCMappingBroken(t *testing.T) {
	t.Parallel()
	ts, _ := oidcServer(t)
	require.NoError(t, ts.app.server.putSetting(t.Context(), settingOIDCMapping, `{"claims": {"x": "Nonsense"}}`, "test"))
	b := ts.signIn()
	r := ts.get(b, "/admin/claims")
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, `id="mapping-broken"`)
	assert.Contains(t, r.Body, `id="mapping-reset"`)
	assert.Equal(t, http.StatusInternalServerError, ts.get(ts.browser(), "/admin/oidc/login").StatusCode, "sign-ins fail meanwhile")
	r = ts.postForm(b, "/admin/claims", url.Values{"reset": {"true"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.NotContains(t, r.Body, `id="mapping-broken"`)
	assert.Equal(t, http.StatusFound, ts.do(noRedirect(), mustGet(t, ts.srv.URL+"/admin/oidc/login")).StatusCode, "the file's mapping again")
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func mustGet(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	return req
}
