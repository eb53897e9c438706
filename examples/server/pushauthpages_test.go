package main

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/authrequest"
)

var (
	profileLink  = regexp.MustCompile(`action="/admin/profiles/([0-9A-Za-z_-]+)"`)
	pageSecret   = regexp.MustCompile(`<code id="secret">(whsec_[^<]+)</code>`)
	policyAnchor = regexp.MustCompile(`/preapprove/([0-9a-f]+)`)
)

// TestPushAuthAdminPages: an application's authentication page and a
// profile's page: create (the secret shown once), callbacks added with
// their auth hidden, "send test event" to a receiver that takes it and
// one that fails, rotate and drop secrets, approvers, policies,
// activities and their destruction, the dashboard's active users, and a
// cross-origin profile form refused.
func TestPushAuthAdminPages(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := t.Context()
	app := ts.pushApp("Portal")
	ts.addUser("", "erin", "erin's long password")
	ts.addUser("", "frank", "frank's long password")
	b := ts.signIn()
	base := "/admin/applications/" + app.ID

	r := ts.get(b, "/admin/applications/"+app.ID)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, base+"/authentication")
	r = ts.get(b, base+"/authentication")
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, `id="new-profile"`)
	assert.Equal(t, http.StatusSeeOther, ts.get(ts.browser(), base+"/authentication").StatusCode, "admins only")

	// A cross-origin profile form is refused and makes nothing.
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+base+"/profiles", strings.NewReader(url.Values{"name": {"evil"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, ts.do(b, req).StatusCode)
	ps, err := ts.app.arStore.ListProfiles(ctx, app.ID)
	require.NoError(t, err)
	assert.Empty(t, ps)

	r = ts.postForm(b, base+"/profiles", url.Values{"name": {"web"}, "ttl": {"60"}, "vars": {"site=portal"}, "numberMatching": {"1"}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	m := pageSecret.FindStringSubmatch(r.Body)
	require.Len(t, m, 2, "the page shows the secret once")
	m[1] = html.UnescapeString(m[1])
	m2 := profileLink.FindStringSubmatch(r.Body)
	require.Len(t, m2, 2)
	prof := "/admin/profiles/" + m2[1]
	r = ts.get(b, prof)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.NotContains(t, r.Body, "whsec_", "never shown again")
	assert.Contains(t, r.Body, "site=portal")
	assert.Equal(t, http.StatusBadRequest, ts.postForm(b, base+"/profiles", url.Values{"name": {"bad"}, "ttl": {"99999"}}).StatusCode)
	assert.Equal(t, http.StatusConflict, ts.postForm(b, base+"/profiles", url.Values{"name": {"WEB"}}).StatusCode)

	// Callbacks: one that takes the test event, one that fails it.
	rc := newReceiver(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	t.Cleanup(failing.Close)
	r = ts.postForm(b, prof+"/callbacks", url.Values{"event": {"Any"}, "method": {"POST"}, "url": {rc.srv.URL + "/hook?site={site}"},
		"headers": {"X-Site: {site}"}, "body": {`{"event": "{event}", "site": "{site}"}`}, "contentType": {"application/json"},
		"authKind": {"header"}, "authHeader": {"X-Token"}, "authValue": {"token-1234567"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Added the callback")
	assert.NotContains(t, r.Body, "token-1234567", "auth values are never shown")
	r = ts.postForm(b, prof+"/callbacks", url.Values{"event": {"Deny"}, "url": {failing.URL}, "contentType": {"text/plain"}, "body": {"denied {username}"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	r = ts.postForm(b, prof+"/callbacks", url.Values{"event": {"Sometimes"}, "url": {"ftp://x"}})
	assert.Equal(t, http.StatusBadRequest, r.StatusCode, "an invalid callback is refused")

	r = ts.postForm(b, prof+"/callbacks/0/test", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Regexp(t, `the receiver accepted the test event: it answered 2\d\d in \d`, r.Body)
	got := rc.wait(t, 1)[0]
	assert.Equal(t, "token-1234567", got.header.Get("X-Token"))
	assert.Equal(t, "portal", got.header.Get("X-Site"))
	assert.Equal(t, "portal", verified(t, m[1], got)["site"])
	r = ts.postForm(b, prof+"/callbacks/1/test", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Regexp(t, `the receiver answered 503 after \d`, r.Body)
	assert.NotContains(t, r.Body, failing.URL+"\"", "the summary names no URL")
	assert.Equal(t, http.StatusNotFound, ts.postForm(b, prof+"/callbacks/9/test", nil).StatusCode)

	// Settings saved keep the callbacks and their auth.
	r = ts.postForm(b, prof, url.Values{"name": {"web"}, "ttl": {"90"}, "action": {"Open the portal"}, "singlePending": {"1"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	p, err := ts.app.arStore.GetProfile(ctx, m2[1])
	require.NoError(t, err)
	assert.Equal(t, "Open the portal", p.Action)
	assert.True(t, p.SinglePending)
	assert.False(t, p.NumberMatching)
	require.Len(t, p.Callbacks, 2)
	assert.Equal(t, "token-1234567", p.Callbacks[0].Auth.Value)
	r = ts.postForm(b, prof+"/callbacks/1/remove", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)

	// Rotate, then drop the old secret.
	r = ts.postForm(b, prof+"/rotate", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	m3 := pageSecret.FindStringSubmatch(r.Body)
	require.Len(t, m3, 2)
	m3[1] = html.UnescapeString(m3[1])
	assert.NotEqual(t, m[1], m3[1])
	assert.Contains(t, r.Body, "Drop old secrets")
	r = ts.postForm(b, prof+"/drop-secrets", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	p, err = ts.app.arStore.GetProfile(ctx, m2[1])
	require.NoError(t, err)
	assert.Equal(t, []string{m3[1]}, p.Secrets)

	// Approvers, by username.
	r = ts.postForm(b, base+"/approver", url.Values{"user": {"erin"}, "approver": {"frank"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "<td>erin</td><td>frank</td>")
	assert.Equal(t, http.StatusNotFound, ts.postForm(b, base+"/approver", url.Values{"user": {"erin"}, "approver": {"nobody"}}).StatusCode)
	assert.Equal(t, http.StatusBadRequest, ts.postForm(b, base+"/approver", url.Values{"user": {"erin"}, "approver": {"erin"}}).StatusCode)
	r = ts.postForm(b, base+"/approver", url.Values{"user": {"erin"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "<td>erin</td><td>none</td>")
	// The same form on the application's page, which shows each user's approver.
	r = ts.postForm(b, base+"/approver", url.Values{"user": {"frank"}, "approver": {"erin"}, "from": {"application"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Set the approver of frank")
	assert.Contains(t, r.Body, `<td class="approver">erin</td>`)
	r = ts.postForm(b, base+"/approver", url.Values{"user": {"nobody"}, "approver": {"erin"}, "from": {"application"}})
	assert.Equal(t, http.StatusNotFound, r.StatusCode)
	assert.Contains(t, r.Body, `id="approver"`, "the application's page again")

	// Policies.
	r = ts.postForm(b, base+"/policies", url.Values{"name": {"shift"}, "maxPeriod": {"120"}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	pm := policyAnchor.FindStringSubmatch(r.Body)
	require.Len(t, pm, 2)
	assert.Equal(t, http.StatusOK, ts.get(ts.browser(), "/preapprove/"+pm[1]).StatusCode)
	r = ts.postForm(b, base+"/policies/"+pm[1]+"/delete", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Equal(t, http.StatusNotFound, ts.get(ts.browser(), "/preapprove/"+pm[1]).StatusCode)

	// Activities: listed, destroyed.
	c, err := ts.app.authreq.Create(ctx, authrequest.CreateRequest{ApplicationID: app.ID, Username: "erin", Action: "Look at the page"})
	require.NoError(t, err)
	r = ts.get(b, base+"/authentication")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, "Look at the page")
	assert.Contains(t, r.Body, `class="status-pending"`)
	r = ts.postForm(b, base+"/auth-requests/"+c.ID+"/destroy", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.NotContains(t, r.Body, "Look at the page")
	_, err = ts.app.arStore.GetRequest(ctx, c.ID)
	require.ErrorIs(t, err, authrequest.ErrNotFound)

	r = ts.get(b, "/admin/")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, `id="active-users">0<`)

	r = ts.postForm(b, prof+"/delete", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Deleted the profile web")
	assert.Equal(t, http.StatusNotFound, ts.get(b, prof).StatusCode)
}
