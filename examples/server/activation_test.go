package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/internal/keyfile"
	"github.com/usher-sdk/usher/userstore"
)

var tokenInPage = regexp.MustCompile(`name="token" value="([^"]+)"`)

// TestActivation walks the whole story: an admin's API client creates a
// user and a code; the person activates with it in a browser and sets a
// password; the password signs in.
func TestActivation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeUsersWrite, scopeActivation)
	r := ts.api(tok, "POST", "/api/v1/users", map[string]any{"username": "jdoe", "enabled": false})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	id := decode[apiUser](t, r).ID

	r = ts.api(tok, "POST", "/api/v1/users/"+id+"/activation-code", nil)
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	code := decode[struct {
		Code string `json:"code"`
	}](t, r).Code
	assert.Regexp(t, `^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$`, code)

	b := ts.browser()
	assert.Equal(t, http.StatusOK, ts.get(b, "/activate").StatusCode)
	for _, bad := range []url.Values{
		{"username": {"jdoe"}, "code": {"AAAA-AAAA-AAAA"}},
		{"username": {"nobody"}, "code": {code}},
		{"username": {strings.Repeat("x", 5000)}, "code": {code}},
	} {
		r := ts.postForm(b, "/activate", bad)
		assert.Equal(t, http.StatusBadRequest, r.StatusCode)
		assert.Contains(t, r.Body, "The username or code is not right")
	}

	r = ts.postForm(b, "/activate", url.Values{"username": {"JDOE"}, "code": {strings.ToLower(code)}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	m := tokenInPage.FindStringSubmatch(r.Body)
	require.Len(t, m, 2)
	r = ts.postForm(b, "/activate/password", url.Values{"token": {m[1]}, "password": {"my new password 42"}, "confirm": {"my new password 43"}})
	assert.Contains(t, r.Body, "The two passwords differ.")
	r = ts.postForm(b, "/activate/password", url.Values{"token": {m[1]}, "password": {"my new password 42"}, "confirm": {"my new password 42"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Your password is set.")

	u, err := ts.app.userSvc.Login(t.Context(), userstore.LoginRequest{Login: "jdoe", Password: "my new password 42"})
	require.NoError(t, err)
	assert.True(t, u.Enabled, "activation enables the account")

	r = ts.postForm(b, "/activate/password", url.Values{"token": {m[1]}, "password": {"another one 42!"}, "confirm": {"another one 42!"}})
	assert.Contains(t, r.Body, "already used", "the window is single use")

	// Without the activation scope, no codes.
	other := ts.token(scopeUsersWrite)
	assert.Equal(t, http.StatusForbidden, ts.api(other, "POST", "/api/v1/users/"+id+"/activation-code", nil).StatusCode)
	assert.Equal(t, http.StatusNotFound, ts.api(tok, "DELETE", "/api/v1/users/"+id+"/activation-code", nil).StatusCode, "used up")
}

// TestPortalGuardEndpoint: an existing PortalGuard script creates a code
// at PortalGuard's path with a batch admin's credentials.
func TestPortalGuardEndpoint(t *testing.T) {
	t.Parallel()
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	cfg.BatchAdmins = []string{bootstrapAdmin}
	ts := startTestServer(t, cfg)
	_, err := ts.app.users.CreateUser(t.Context(), userstore.User{Username: "jdoe", Enabled: true})
	require.NoError(t, err)

	form := url.Values{"Auth": {"15"}, "BatchAdminUsername": {bootstrapAdmin}, "BatchAdminPassword": {testAdminPassword},
		"_PG_Login_Field_Username_": {"Username"}, "Username": {"jdoe"}, "ActivationOTP": {"create"}}
	r := ts.postForm(ts.browser(), "/_layouts/PG/register.aspx", form)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Regexp(t, `<otp>[A-Z0-9-]{14}</otp>`, r.Body)

	form.Set("BatchAdminPassword", "wrong")
	r = ts.postForm(ts.browser(), "/_layouts/PG/register.aspx", form)
	assert.NotContains(t, r.Body, "<otp>")

	admin, err := ts.app.admins.GetUserByUsername(t.Context(), bootstrapAdmin)
	require.NoError(t, err)
	assert.Zero(t, admin.FailedLogins, "a wrong batch password never counts towards the admin's lock-out")
}

func TestActivationKeyFile(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	path := activationKeyFile(ts.app.cfg.Database)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// A key file others can read is refused.
	require.NoError(t, os.Chmod(path, 0o644))
	_, err = loadActivationKey(ts.app.cfg)
	assert.ErrorIs(t, err, keyfile.ErrInsecure)
}

// TestActivationSettings: settings saved on one process's admin page are
// used by another process on the same database; bad ones are refused.
func TestActivationSettings(t *testing.T) {
	t.Parallel()
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	cfg.ActivationKey = "0123456789abcdef0123456789abcdef-shared"
	one, two := startTestServer(t, cfg), startTestServer(t, cfg)
	c := one.signIn()
	assert.Contains(t, one.get(c, "/admin/activation").Body, `name="hyphenEvery" type="number" min="0" max="64" value="4"`)

	r := one.postForm(c, "/admin/activation", url.Values{"enabled": {"true"}, "codeLength": {"3"}})
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, r.Body, "Not saved")

	r = one.postForm(c, "/admin/activation", url.Values{"enabled": {"true"}, "codeLength": {"16"}, "hyphenEvery": {"0"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	u, err := two.app.users.CreateUser(t.Context(), userstore.User{Username: "jdoe"})
	require.NoError(t, err)
	tok := two.token(scopeActivation)
	r = two.api(tok, "POST", "/api/v1/users/"+u.ID+"/activation-code", nil)
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	assert.Regexp(t, `"code":"[A-Z0-9]{16}"`, r.Body, "the other process uses the saved settings")

	require.Equal(t, http.StatusOK, one.postForm(c, "/admin/activation", url.Values{"codeLength": {"16"}}).StatusCode)
	r = two.api(tok, "POST", "/api/v1/users/"+u.ID+"/activation-code", nil)
	assert.Equal(t, http.StatusForbidden, r.StatusCode, "switched off everywhere: %s", r.Body)
}
