package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/internal/testenv/smtpd"
	"github.com/usher-sdk/usher/userstore"
)

func TestAdminUserPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.signIn()
	u, err := ts.app.users.CreateUser(t.Context(), userstore.User{Username: "jdoe", Email: "jdoe@example.test", Enabled: true})
	require.NoError(t, err)
	base := "/admin/users/" + u.ID

	r := ts.get(c, base)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, "jdoe@example.test")

	r = ts.postForm(c, base+"/groups", url.Values{"groups": {"staff, ops"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	got, err := ts.app.users.GetUser(t.Context(), u.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"ops", "staff"}, got.Groups)

	r = ts.postForm(c, base+"/password", url.Values{"password": {"x"}})
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, r.Body, "The password is refused")
	r = ts.postForm(c, base+"/password", url.Values{"password": {"a fine initial password"}, "mustChange": {"true"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	_, err = ts.app.userSvc.Login(t.Context(), userstore.LoginRequest{Login: "jdoe", Password: "a fine initial password"})
	assert.ErrorIs(t, err, userstore.ErrPasswordChangeRequired)

	r = ts.postForm(c, base+"/activation", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Regexp(t, `<code id="code">[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}</code>`, r.Body)

	r = ts.postForm(c, base+"/enabled", url.Values{"enabled": {"false"}})
	require.Equal(t, http.StatusOK, r.StatusCode)
	got, err = ts.app.users.GetUser(t.Context(), u.ID)
	require.NoError(t, err)
	assert.False(t, got.Enabled)

	r = ts.get(c, base)
	for _, kind := range []string{"admin.user_groups_set", "admin.initial_password_set", "admin.activation_code_created", "admin.user_disabled"} {
		assert.Contains(t, r.Body, kind, "every admin action is audited")
	}

	assert.Equal(t, http.StatusNotFound, ts.postForm(c, base+"/frobnicate", nil).StatusCode)
	r = ts.postForm(c, base+"/delete", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, http.StatusNotFound, ts.get(c, base).StatusCode)
}

var linkInMail = regexp.MustCompile(`/reset\?token=([A-Za-z0-9_=%-]+)`)

// TestPasswordResetByMail: the user asks, a real SMTP server receives
// the mail, its link sets a new password; an unknown login gets the same
// answer and no mail.
func TestPasswordResetByMail(t *testing.T) {
	t.Parallel()
	srv := smtpd.StartCLI(t)
	dir := t.TempDir()
	mailCfg := filepath.Join(dir, "mail.json")
	require.NoError(t, os.WriteFile(mailCfg, []byte(fmt.Sprintf(`{"MailType": "SMTP", "Host": %q, "Port": %d, "Security": "none", "From": "Usher <noreply@usher.test>"}`, srv.Host, srv.Port)), 0o600))
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(dir, "usher.db")
	cfg.MailConfig = mailCfg
	cfg.BaseURL = "https://usher.example.test"
	ts := startTestServer(t, cfg)
	_, err := ts.app.users.CreateUser(t.Context(), userstore.User{Username: "jdoe", Email: "jdoe@example.test", Enabled: true})
	require.NoError(t, err)

	b := ts.browser()
	assert.Contains(t, ts.get(b, "/reset").Body, "Send me a link")
	for _, login := range []string{"nobody", "jdoe"} {
		r := ts.postForm(b, "/reset/request", url.Values{"login": {login}})
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.Contains(t, r.Body, "If an account matches", "the same answer for %s", login)
	}
	var data string
	require.Eventually(t, func() bool {
		msgs := srv.Messages(t)
		if len(msgs) == 0 {
			return false
		}
		data = msgs[0].Data
		return true
	}, 20*time.Second, 50*time.Millisecond)
	assert.Len(t, srv.Messages(t), 1, "no mail for an unknown login")
	body := strings.ReplaceAll(strings.ReplaceAll(data, "=\r\n", ""), "=3D", "=")
	assert.Contains(t, body, "https://usher.example.test/reset?token=")
	m := linkInMail.FindStringSubmatch(body)
	require.Len(t, m, 2, body)
	token, err := url.QueryUnescape(m[1])
	require.NoError(t, err)

	r := ts.get(b, "/reset?token="+url.QueryEscape(token))
	assert.Contains(t, r.Body, `name="token"`)
	r = ts.postForm(b, "/reset", url.Values{"token": {token}, "password": {"brand new password 7"}, "confirm": {"brand new password 7"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	_, err = ts.app.userSvc.Login(t.Context(), userstore.LoginRequest{Login: "jdoe", Password: "brand new password 7"})
	require.NoError(t, err)
	r = ts.postForm(b, "/reset", url.Values{"token": {token}, "password": {"another password 8"}, "confirm": {"another password 8"}})
	assert.Contains(t, r.Body, "not valid, was used already", "single use")
}

func TestResetWithoutMailIsUnavailable(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	r := ts.postForm(ts.browser(), "/reset/request", url.Values{"login": {"jdoe"}})
	assert.Equal(t, http.StatusServiceUnavailable, r.StatusCode)
	assert.Contains(t, r.Body, "not available")
}
