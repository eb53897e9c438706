package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/userstore"
)

// audited counts the audit trail's events of kind.
func (ts *testServer) audited(kind string) int {
	ts.t.Helper()
	n := 0
	for _, err := range ts.app.users.Audit(context.Background(), userstore.AuditFilter{Kind: userstore.AuditKind(kind)}) {
		require.NoError(ts.t, err)
		n++
	}
	return n
}

// TestUpdateApplicationAPI: PUT /api/v1/applications/{id} replaces the
// settings, keeps the ID, creation time and realm, refuses bad input
// without changing anything, and is audited.
func TestUpdateApplicationAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeOnboarding)
	manual := []map[string]string{{"kind": "manual"}}
	r := ts.api(tok, "POST", "/api/v1/applications", map[string]any{"name": "VPN", "requirements": manual})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	app := decode[onboarding.Application](t, r)
	r = ts.api(tok, "POST", "/api/v1/applications", map[string]any{"name": "Mail", "requirements": manual})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)

	assert.Equal(t, http.StatusForbidden, ts.api(ts.token(scopeUsersWrite), "PUT", "/api/v1/applications/"+app.ID, map[string]any{"name": "x", "requirements": manual}).StatusCode)
	for _, bad := range []struct {
		name   string
		body   any
		status int
	}{
		{"taken name", map[string]any{"name": "mail", "requirements": manual}, http.StatusConflict},
		{"no steps", map[string]any{"name": "VPN 2"}, http.StatusBadRequest},
		{"unknown step", map[string]any{"name": "VPN 2", "requirements": []map[string]string{{"kind": "telepathy"}}}, http.StatusBadRequest},
		{"other realm", map[string]any{"name": "VPN 2", "requirements": manual, "user_realm": "elsewhere"}, http.StatusBadRequest},
		{"bad colour", map[string]any{"name": "VPN 2", "requirements": manual, "layout": map[string]string{"primary_colour": "red"}}, http.StatusBadRequest},
		{"http logo", map[string]any{"name": "VPN 2", "requirements": manual, "layout": map[string]string{"logo_url": "http://x/l.png"}}, http.StatusBadRequest},
		{"negative limit", map[string]any{"name": "VPN 2", "requirements": manual, "device_limit": -1}, http.StatusBadRequest},
		{"unknown field", map[string]any{"name": "VPN 2", "requirements": manual, "extra": 1}, http.StatusBadRequest},
	} {
		r := ts.api(tok, "PUT", "/api/v1/applications/"+app.ID, bad.body)
		assert.Equal(t, bad.status, r.StatusCode, "%s: %s", bad.name, r.Body)
	}
	r = ts.api(tok, "PUT", "/api/v1/applications/nope", map[string]any{"name": "VPN 2", "requirements": manual})
	assert.Equal(t, http.StatusNotFound, r.StatusCode, r.Body)
	got, err := ts.app.onboarding.Application(t.Context(), app.ID)
	require.NoError(t, err)
	assert.Equal(t, "VPN", got.Name, "refusals changed nothing")
	assert.Zero(t, ts.audited("admin.application_updated"))

	r = ts.api(tok, "PUT", "/api/v1/applications/"+app.ID, map[string]any{"name": "VPN 2", "description": "new",
		"layout":       map[string]string{"secondary_colour": "#010203"},
		"requirements": []map[string]string{{"kind": "credentials"}, {"kind": "manual"}}, "device_limit": 3})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	up := decode[onboarding.Application](t, r)
	assert.Equal(t, app.ID, up.ID)
	assert.True(t, app.CreatedAt.Equal(up.CreatedAt))
	assert.Equal(t, "VPN 2", up.Name)
	assert.Equal(t, 3, up.DeviceLimit)
	assert.Equal(t, "#010203", up.Layout.SecondaryColour)
	require.Len(t, up.Requirements, 2)
	assert.Equal(t, app.Realm(), up.Realm())
	assert.Equal(t, 1, ts.audited("admin.application_updated"))

	apps, err := ts.app.applications(t.Context())
	require.NoError(t, err)
	require.Len(t, apps, 2)
	assert.Equal(t, []string{"Mail", "VPN 2"}, []string{apps[0].Name, apps[1].Name}, "by name")
}

// TestUpdateApplicationPage: the application's page offers its settings
// for editing; the form saves them, refuses bad input and cross-origin
// posts without changing anything.
func TestUpdateApplicationPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := ts.signIn()
	app, err := ts.app.newApplication(t.Context(), onboarding.Application{Name: "Office", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}})
	require.NoError(t, err)
	path := "/admin/applications/" + app.ID
	r := ts.get(b, path)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, `id="edit-application"`)
	assert.Contains(t, r.Body, `[{&#34;kind&#34;:&#34;manual&#34;}]`, "the requirements as JSON")

	good := url.Values{"name": {"Office 2"}, "description": {"desk"}, "primaryColour": {"#aabbcc"}, "deviceLimit": {"2"},
		"requirements": {`[{"kind": "credentials"}, {"kind": "manual"}]`}}
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, ts.do(b, req).StatusCode)
	assert.Equal(t, http.StatusSeeOther, ts.postForm(ts.browser(), path, good).StatusCode, "signed out")
	for _, bad := range []struct {
		form   url.Values
		status int
		msg    string
	}{
		{url.Values{"name": {"Office 2"}, "requirements": {"[{"}}, http.StatusBadRequest, "JSON list"},
		{url.Values{"name": {"Office 2"}, "requirements": {`[{"kind": "manual"}]`}, "secondaryColour": {"blue"}}, http.StatusBadRequest, "Colours are #rrggbb."},
		{url.Values{"name": {"Office 2"}, "requirements": {`[{"kind": "manual"}]`}, "deviceLimit": {"-3"}}, http.StatusBadRequest, "device limit"},
		{url.Values{"name": {""}, "requirements": {`[{"kind": "manual"}]`}}, http.StatusBadRequest, "name is required"},
	} {
		r := ts.postForm(b, path, bad.form)
		assert.Equal(t, bad.status, r.StatusCode, bad.msg)
		assert.Contains(t, r.Body, bad.msg)
	}
	got, err := ts.app.onboarding.Application(t.Context(), app.ID)
	require.NoError(t, err)
	assert.Equal(t, "Office", got.Name, "nothing changed")

	r = ts.postForm(b, path, good)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Saved the settings of Office 2.")
	got, err = ts.app.onboarding.Application(t.Context(), app.ID)
	require.NoError(t, err)
	assert.Equal(t, "Office 2", got.Name)
	assert.Equal(t, 2, got.DeviceLimit)
	assert.Equal(t, "#aabbcc", got.Layout.PrimaryColour)
	require.Len(t, got.Requirements, 2)
	assert.Equal(t, 1, ts.audited("admin.application_updated"))
	assert.Equal(t, http.StatusNotFound, ts.postForm(b, "/admin/applications/nope", good).StatusCode)
}
