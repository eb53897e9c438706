package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	stdcsv "encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/deviceclient"
	"github.com/usher-sdk/usher/onboarding/keyart"
	"github.com/usher-sdk/usher/userstore"
)

// addUser creates an enabled user with a password in the realm's pool.
func (ts *testServer) addUser(realm, username, password string) userstore.User {
	ts.t.Helper()
	ctx := context.Background()
	pool, err := ts.app.realms.get(ctx, realm)
	require.NoError(ts.t, err)
	u, err := pool.store.CreateUser(ctx, userstore.User{Username: username, Enabled: true})
	require.NoError(ts.t, err)
	require.NoError(ts.t, pool.svc.SetUserPassword(ctx, u.ID, password))
	return u
}

// device is a simulated phone with its own P-256 key, talking to the
// server's device endpoints.
func (ts *testServer) device() (*deviceclient.Client, []byte) {
	ts.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(ts.t, err)
	c, err := deviceclient.New(ts.srv.URL+deviceAPIPrefix, key)
	require.NoError(ts.t, err)
	return c, c.PublicKey()
}

// untilPending walks a device through Credentials to the Manual step.
func untilPending(t *testing.T, c *deviceclient.Client, app, username, password string) onboarding.State {
	t.Helper()
	ctx := t.Context()
	st, err := c.Start(ctx, app)
	require.NoError(t, err)
	require.NotNil(t, st.Prompt)
	require.Equal(t, onboarding.KindCredentials, st.Prompt.Kind)
	st, err = c.Credentials(ctx, st, username, password)
	require.NoError(t, err)
	require.Equal(t, onboarding.KindManual, st.Prompt.Kind)
	st, err = c.Answer(ctx, st, nil)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusPending, st.Status)
	return st
}

func TestOnboardingAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := t.Context()
	tok := ts.token(scopeOnboarding)
	alice := ts.addUser("", "alice", "alice's long password")

	assert.Equal(t, http.StatusUnauthorized, ts.api("", "GET", "/api/v1/applications", nil).StatusCode)
	assert.Equal(t, http.StatusForbidden, ts.api(ts.token(scopeUsersRead), "GET", "/api/v1/applications", nil).StatusCode)

	r := ts.api(tok, "POST", "/api/v1/applications", map[string]any{"name": "VPN", "description": "the office VPN",
		"layout":       map[string]string{"primary_colour": "#112233"},
		"requirements": []map[string]string{{"kind": "credentials"}, {"kind": "manual"}}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	app := decode[onboarding.Application](t, r)
	assert.NotEmpty(t, app.ID)
	for _, bad := range []struct {
		body   any
		status int
	}{
		{map[string]any{"name": "vpn", "requirements": []map[string]string{{"kind": "manual"}}}, http.StatusConflict},
		{map[string]any{"name": "No steps"}, http.StatusBadRequest},
		{map[string]any{"name": "Unknown", "requirements": []map[string]string{{"kind": "telepathy"}}}, http.StatusBadRequest},
		{map[string]any{"name": "Admins", "user_realm": adminRealm, "requirements": []map[string]string{{"kind": "manual"}}}, http.StatusBadRequest},
		{map[string]any{"name": "x", "requirements": []map[string]string{{"kind": "manual"}}, "extra": 1}, http.StatusBadRequest},
		{map[string]any{"name": "Red", "requirements": []map[string]string{{"kind": "manual"}}, "layout": map[string]string{"primary_colour": "red"}}, http.StatusBadRequest},
		{map[string]any{"name": "Logo", "requirements": []map[string]string{{"kind": "manual"}}, "layout": map[string]string{"logo_url": "javascript:alert(1)"}}, http.StatusBadRequest},
	} {
		r := ts.api(tok, "POST", "/api/v1/applications", bad.body)
		assert.Equal(t, bad.status, r.StatusCode, r.Body)
	}
	r = ts.api(tok, "GET", "/api/v1/applications", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	list := decode[struct{ Applications []onboarding.Application }](t, r)
	require.Len(t, list.Applications, 1, "the refused ones were not made")

	// The device: Credentials, then Manual.
	c, spki := ts.device()
	_, err := c.Start(ctx, "no such app")
	assert.Error(t, err)
	st, err := c.Start(ctx, "vpn")
	require.NoError(t, err)
	_, err = c.Credentials(ctx, st, "alice", "wrong")
	var apiErr *deviceclient.Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, onboarding.CodeRefused, apiErr.Code)
	st = untilPending(t, c, "vpn", "alice", "alice's long password")

	r = ts.api(tok, "GET", "/api/v1/applications/"+app.ID+"/pending", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	pending := decode[[]onboarding.PendingView](t, r)
	require.Len(t, pending, 1)
	art, err := keyart.OfSPKI(spki)
	require.NoError(t, err)
	assert.Equal(t, art.Code(), pending[0].Code, "the code the device shows")
	assert.Equal(t, st.ActivityID, pending[0].ActivityID)
	r = ts.api(tok, "GET", "/api/v1/activities/"+st.ActivityID+"/picture.svg", nil)
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "image/svg+xml", r.Header.Get("Content-Type"))

	r = ts.api(tok, "POST", "/api/v1/activities/"+st.ActivityID+"/approve", map[string]string{})
	require.Equal(t, http.StatusNoContent, r.StatusCode, r.Body)
	st, err = c.Status(ctx, st)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusAwaitingCSR, st.Status)
	deviceID, cert, err := c.Enrol(ctx, st)
	require.NoError(t, err)

	// The certificate chains to the CA the server publishes.
	r = ts.get(ts.browser(), deviceAPIPrefix+"/ca.crt")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "application/pkix-cert", r.Header.Get("Content-Type"))
	caCert, err := x509.ParseCertificate([]byte(r.Body))
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err)
	fi, err := os.Stat(filepath.Join(filepath.Dir(strings.TrimPrefix(ts.app.cfg.Database, "sqlite:")), "ca", "ca.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the CA key is its owner's only")

	r = ts.api(tok, "GET", "/api/v1/applications/"+app.ID+"/users/"+alice.ID+"/devices", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	devs := decode[struct{ Devices []onboarding.Device }](t, r)
	require.Len(t, devs.Devices, 1)
	assert.Equal(t, deviceID, devs.Devices[0].ID)

	// The export counts the device and dates the onboarding.
	r = ts.api(ts.token(scopeUsersRead), "GET", "/api/v1/users/export", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	recs, err := stdcsv.NewReader(strings.NewReader(r.Body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, "alice", recs[1][0])
	assert.Equal(t, "1", recs[1][2], "Device count")
	assert.NotEmpty(t, recs[1][5], "Last onboarding")

	// Metrics.
	r = ts.api(ts.token(scopeMetrics), "GET", "/metrics", nil)
	for _, line := range []string{`usher_onboardings_total{event="started"} 2`, `usher_onboardings_total{event="approved"} 1`,
		`usher_onboardings_total{event="completed"} 1`, `usher_devices_total{event="enrolled"} 1`} {
		assert.Contains(t, r.Body, line)
	}

	// Destroyed: the CRL lists its serial.
	assert.Equal(t, http.StatusNoContent, ts.api(tok, "DELETE", "/api/v1/devices/"+deviceID, nil).StatusCode)
	assert.Equal(t, http.StatusNotFound, ts.api(tok, "DELETE", "/api/v1/devices/"+deviceID, nil).StatusCode)
	r = ts.get(ts.browser(), deviceAPIPrefix+"/ca.crl")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "application/pkix-crl", r.Header.Get("Content-Type"))
	crl, err := x509.ParseRevocationList([]byte(r.Body))
	require.NoError(t, err)
	require.NoError(t, crl.CheckSignatureFrom(caCert))
	require.Len(t, crl.RevokedCertificateEntries, 1)
	assert.Equal(t, 0, crl.RevokedCertificateEntries[0].SerialNumber.Cmp(cert.SerialNumber))

	// A rejected onboarding ends for good.
	c2, _ := ts.device()
	st2 := untilPending(t, c2, "VPN", "alice", "alice's long password")
	assert.Equal(t, http.StatusNoContent, ts.api(tok, "POST", "/api/v1/activities/"+st2.ActivityID+"/reject", nil).StatusCode)
	_, err = c2.Status(ctx, st2)
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, onboarding.CodeRejected, apiErr.Code)
	r = ts.api(tok, "GET", "/api/v1/applications/"+app.ID+"/activities", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Len(t, decode[[]onboarding.Activity](t, r), 3)

	// Device bodies are bounded.
	big := `{"application": "VPN", "public_key": "` + strings.Repeat("A", onboarding.MaxRequestBody) + `"}`
	r = ts.api("", "POST", deviceAPIPrefix+"/v1/onboardings", big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.StatusCode, r.Body)
}

func TestOnboardingRealm(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeOnboarding)
	r := ts.api(tok, "POST", "/api/v1/applications", map[string]any{"name": "Contractors", "user_realm": "contractors",
		"requirements": []map[string]string{{"kind": "credentials"}, {"kind": "manual"}}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	ts.addUser("", "bob", "default realm password")
	app := decode[onboarding.Application](t, r)
	b := ts.signIn()
	r = ts.postForm(b, "/admin/applications/"+app.ID+"/users", url.Values{"username": {"carol"}, "password": {"contractor's password"}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Created carol in the realm contractors.")
	r = ts.postForm(b, "/admin/applications/"+app.ID+"/users", url.Values{"username": {"carol"}, "password": {"contractor's password"}})
	assert.Equal(t, http.StatusConflict, r.StatusCode)
	_, err := ts.app.users.GetUserByUsername(t.Context(), "carol")
	assert.ErrorIs(t, err, userstore.ErrNotFound, "not in the default realm")

	c, _ := ts.device()
	st, err := c.Start(t.Context(), "Contractors")
	require.NoError(t, err)
	_, err = c.Credentials(t.Context(), st, "bob", "default realm password")
	assert.Error(t, err, "a user of another realm is unknown here")
	untilPending(t, c, "Contractors", "carol", "contractor's password")
	r = ts.get(b, "/admin/")
	assert.Contains(t, r.Body, `<span class="n">1</span> devices waiting for approval`)
	r = ts.get(b, "/admin/applications/"+app.ID)
	assert.Contains(t, r.Body, "carol")
	assert.NotContains(t, r.Body, "bob")
}

func TestOnboardingAdminPages(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := t.Context()
	b := ts.signIn()
	alice := ts.addUser("", "alice", "alice's long password")

	assert.Equal(t, http.StatusSeeOther, ts.get(ts.browser(), "/admin/pending").StatusCode, "signed out")
	r := ts.get(b, "/admin/applications")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, "No applications yet.")

	form := url.Values{"name": {"Office"}, "description": {"<b>desk</b>"}, "primaryColour": {"#aabbcc"}, "step1": {"credentials"}, "step2": {"manual"}, "deviceLimit": {"2"}}
	r = ts.postForm(b, "/admin/applications", form)
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Created the application Office.")
	assert.Contains(t, r.Body, "&lt;b&gt;desk&lt;/b&gt;")
	for _, bad := range []struct {
		form   url.Values
		status int
		msg    string
	}{
		{url.Values{"name": {"office"}, "step1": {"manual"}}, http.StatusConflict, "An application of that name exists."},
		{url.Values{"name": {"Nothing"}}, http.StatusBadRequest, "at least one requirement"},
		{url.Values{"name": {"Colours"}, "step1": {"manual"}, "primaryColour": {"red"}}, http.StatusBadRequest, "Colours are #rrggbb."},
		{url.Values{"name": {"JSON"}, "requirements": {"[{"}}, http.StatusBadRequest, "JSON list"},
		{url.Values{"name": {"Admins"}, "step1": {"manual"}, "realm": {adminRealm}}, http.StatusBadRequest, "administrators"},
	} {
		r := ts.postForm(b, "/admin/applications", bad.form)
		assert.Equal(t, bad.status, r.StatusCode, bad.msg)
		assert.Contains(t, r.Body, bad.msg)
	}
	r = ts.postForm(b, "/admin/applications", url.Values{"name": {"By JSON"}, "requirements": {`[{"kind": "manual", "settings": {"note": "x"}}]`}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	apps, err := ts.app.applications(ctx)
	require.NoError(t, err)
	require.Len(t, apps, 2)
	app := apps[1]
	require.Equal(t, "Office", app.Name)
	assert.Equal(t, 2, app.DeviceLimit)

	// A device waits; the pending page shows its picture and code.
	c, spki := ts.device()
	st := untilPending(t, c, "Office", "alice", "alice's long password")
	art, err := keyart.OfSPKI(spki)
	require.NoError(t, err)
	r = ts.get(b, "/admin/pending")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, groupCode(art.Code()))
	assert.Contains(t, r.Body, `<img src="/admin/activities/`+st.ActivityID+`/picture.svg"`)
	assert.Contains(t, r.Body, "alice")
	r = ts.get(b, "/admin/activities/"+st.ActivityID+"/picture.svg")
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "image/svg+xml", r.Header.Get("Content-Type"))
	assert.Equal(t, http.StatusSeeOther, ts.get(ts.browser(), "/admin/activities/"+st.ActivityID+"/picture.svg").StatusCode)

	// A cross-origin approval is refused and changes nothing.
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+"/admin/activities/"+st.ActivityID+"/approve", nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, ts.do(b, req).StatusCode)
	act, err := ts.app.onboarding.Activity(ctx, st.ActivityID)
	require.NoError(t, err)
	assert.Equal(t, onboarding.StatusPending, act.Status)

	r = ts.postForm(b, "/admin/activities/"+st.ActivityID+"/approve", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Approved")
	assert.Contains(t, r.Body, "Nothing is waiting for approval.")
	r = ts.postForm(b, "/admin/activities/"+st.ActivityID+"/approve", nil)
	assert.Equal(t, http.StatusConflict, r.StatusCode, "approved already")
	st, err = c.Status(ctx, st)
	require.NoError(t, err)
	deviceID, _, err := c.Enrol(ctx, st)
	require.NoError(t, err)

	// The application's page lists the device; bulk destroy removes it.
	r = ts.get(b, "/admin/applications/"+app.ID)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, deviceID)
	assert.Contains(t, r.Body, "credentials")
	r = ts.postForm(b, "/admin/applications/"+app.ID+"/devices/destroy", url.Values{"id": {alice.ID}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Destroyed 1 devices")
	_, err = ts.app.obStore.GetDevice(ctx, deviceID)
	assert.ErrorIs(t, err, onboarding.ErrNotFound)

	// A second device, rejected on the page; the activities page groups
	// the steps by requirement, and destroys an activity.
	c2, _ := ts.device()
	st2 := untilPending(t, c2, "Office", "alice", "alice's long password")
	r = ts.postForm(b, "/admin/activities/"+st2.ActivityID+"/reject", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Rejected.")
	r = ts.get(b, "/admin/applications/"+app.ID+"/activities")
	require.Equal(t, http.StatusOK, r.StatusCode)
	for _, s := range []string{"<h3>system</h3>", "<h3>manual</h3>", "<h3>credentials</h3>", "Rejected by admin.", "Approved by admin.", "rejected", "completed"} {
		assert.Contains(t, r.Body, s)
	}
	r = ts.postForm(b, "/admin/activities/"+st2.ActivityID+"/destroy", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Destroyed the activity.")
	_, err = ts.app.onboarding.Activity(ctx, st2.ActivityID)
	assert.ErrorIs(t, err, onboarding.ErrNotFound)

	// The user's page lists a device and destroys it.
	c4, _ := ts.device()
	st4 := untilPending(t, c4, "Office", "alice", "alice's long password")
	require.NoError(t, ts.app.onboarding.Approve(ctx, st4.ActivityID, onboarding.Approval{Admin: "test"}))
	st4, err = c4.Status(ctx, st4)
	require.NoError(t, err)
	dev4, _, err := c4.Enrol(ctx, st4)
	require.NoError(t, err)
	r = ts.get(b, "/admin/users/"+alice.ID)
	assert.Contains(t, r.Body, dev4)
	r = ts.postForm(b, "/admin/users/"+alice.ID+"/devices", url.Values{"device": {dev4}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Destroyed the device")
	assert.NotContains(t, r.Body, dev4+"</code>")
	r = ts.postForm(b, "/admin/users/"+alice.ID+"/devices", url.Values{"device": {dev4}})
	assert.Equal(t, http.StatusNotFound, r.StatusCode)

	// Deleting a user destroys their devices.
	c3, _ := ts.device()
	st3 := untilPending(t, c3, "Office", "alice", "alice's long password")
	require.NoError(t, ts.app.onboarding.Approve(ctx, st3.ActivityID, onboarding.Approval{Admin: "test"}))
	st3, err = c3.Status(ctx, st3)
	require.NoError(t, err)
	dev3, _, err := c3.Enrol(ctx, st3)
	require.NoError(t, err)
	r = ts.postForm(b, "/admin/users/"+alice.ID+"/delete", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	_, err = ts.app.obStore.GetDevice(ctx, dev3)
	assert.ErrorIs(t, err, onboarding.ErrNotFound)

	r = ts.get(b, "/admin/audit?kind=onboarding.approved")
	assert.Contains(t, r.Body, "onboarding.approved")
}

func TestOnboardingSMS(t *testing.T) {
	t.Parallel()
	codes := make(chan map[string]string, 4)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		codes <- m
	}))
	t.Cleanup(gw.Close)
	dir := t.TempDir()
	smsCfg := filepath.Join(dir, "sms.json")
	require.NoError(t, os.WriteFile(smsCfg, []byte(`{"URL": "`+gw.URL+`/send", "ContentType": "application/json", "Body": "{\"to\": \"{{.To}}\", \"code\": \"{{.Code}}\"}"}`), 0o600))
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(dir, "usher.db")
	cfg.SMSConfig, cfg.SMSRegion = smsCfg, "44"
	ts := startTestServer(t, cfg)
	fi, err := os.Stat(filepath.Join(dir, "sms.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	pool, err := ts.app.realms.get(t.Context(), "")
	require.NoError(t, err)
	u, err := pool.store.GetUser(t.Context(), ts.addUser("", "erin", "erin's long password").ID)
	require.NoError(t, err)
	u.Phone = "+447700900123"
	_, err = pool.store.UpdateUser(t.Context(), u)
	require.NoError(t, err)
	r := ts.postForm(ts.signIn(), "/admin/applications", url.Values{"name": {"Texts"}, "step1": {"credentials"}, "step2": {"sms"}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)

	ctx := t.Context()
	c, _ := ts.device()
	st, err := c.Start(ctx, "Texts")
	require.NoError(t, err)
	st, err = c.Credentials(ctx, st, "erin", "erin's long password")
	require.NoError(t, err)
	require.Equal(t, onboarding.KindSMS, st.Prompt.Kind)
	st, err = c.Answer(ctx, st, map[string]string{"phone": "07700 900123"})
	require.NoError(t, err)
	var sent map[string]string
	select {
	case sent = <-codes:
	case <-time.After(10 * time.Second):
		t.Fatal("no SMS reached the gateway")
	}
	assert.Equal(t, "+447700900123", sent["to"])
	st, err = c.Answer(ctx, st, map[string]string{"code": sent["code"]})
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusAwaitingCSR, st.Status)
	_, _, err = c.Enrol(ctx, st)
	require.NoError(t, err)
}

func TestOnboardingOIDC(t *testing.T) {
	t.Parallel()
	ts, p := oidcServer(t)
	p.SetRedirectURIs(ts.app.baseURL()+"/admin/oidc/callback", ts.app.baseURL()+deviceOIDCCallback)
	p.SignInAs("bob-sub")
	tok := ts.token(scopeOnboarding)
	r := ts.api(tok, "POST", "/api/v1/applications", map[string]any{"name": "SSO", "user_realm": "sso",
		"requirements": []map[string]string{{"kind": "oidc"}}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)

	ctx := t.Context()
	c, _ := ts.device()
	st, err := c.Start(ctx, "SSO")
	require.NoError(t, err)
	require.Equal(t, onboarding.KindOIDC, st.Prompt.Kind)
	st, err = c.Answer(ctx, st, map[string]string{})
	require.NoError(t, err)
	require.NotEmpty(t, st.Prompt.URL)

	// The person's browser: the provider, then the server's page that
	// shows the address to paste into the device.
	resp, err := http.Get(st.Prompt.URL)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, deviceOIDCCallback, resp.Request.URL.Path)
	assert.Contains(t, string(body), ts.app.baseURL()+deviceOIDCCallback+"?")
	q := resp.Request.URL.Query()
	st, err = c.Answer(ctx, st, map[string]string{"state": q.Get("state"), "code": q.Get("code")})
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusAwaitingCSR, st.Status)
	_, _, err = c.Enrol(ctx, st)
	require.NoError(t, err)

	pool, err := ts.app.realms.get(ctx, "sso")
	require.NoError(t, err)
	u, err := pool.store.GetUserByUsername(ctx, "bob")
	require.NoError(t, err, "bob was made in the application's realm")
	_, err = ts.app.users.GetUserByUsername(ctx, "bob")
	assert.ErrorIs(t, err, userstore.ErrNotFound, "not among the default realm's users")
	act, err := ts.app.onboarding.Activity(ctx, st.ActivityID)
	require.NoError(t, err)
	assert.Equal(t, u.ID, act.UserID)
}

// TestOnboardingManualFirst: with Manual as the only requirement, the
// admin names the user when approving.
func TestOnboardingManualFirst(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := ts.signIn()
	frank := ts.addUser("", "frank", "frank's long password")
	r := ts.postForm(b, "/admin/applications", url.Values{"name": {"Desk"}, "step1": {"manual"}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	c, _ := ts.device()
	st, err := c.Start(t.Context(), "Desk")
	require.NoError(t, err)
	st, err = c.Answer(t.Context(), st, nil)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusPending, st.Status)

	r = ts.get(b, "/admin/pending")
	assert.Contains(t, r.Body, `name="username"`)
	r = ts.postForm(b, "/admin/activities/"+st.ActivityID+"/approve", url.Values{"username": {"nobody"}})
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, r.Body, "No user nobody")
	r = ts.postForm(b, "/admin/activities/"+st.ActivityID+"/approve", url.Values{"username": {"frank"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	st, err = c.Status(t.Context(), st)
	require.NoError(t, err)
	_, _, err = c.Enrol(t.Context(), st)
	require.NoError(t, err)
	act, err := ts.app.onboarding.Activity(t.Context(), st.ActivityID)
	require.NoError(t, err)
	assert.Equal(t, frank.ID, act.UserID)
}

// TestOnboardingRefusesBadSetup: the server does not start with a short
// SMS key, a gateway file it cannot read, or a CA key others may read.
func TestOnboardingRefusesBadSetup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	smsCfg := filepath.Join(dir, "sms.json")
	require.NoError(t, os.WriteFile(smsCfg, []byte(`{"URL": "https://gw.example/send?to={{.To}}&text={{.Text}}"}`), 0o600))
	badSMS := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badSMS, []byte(`{"Address": "x"}`), 0o600))
	caDir := filepath.Join(dir, "ca")
	require.NoError(t, os.MkdirAll(caDir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(caDir, "ca.key"), []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"), 0o644))
	for _, tt := range []struct {
		name string
		edit func(*settings)
		want string
	}{
		{"short SMS key", func(s *settings) { s.SMSConfig, s.SMSKey = smsCfg, "short" }, "sms key: at least 32 bytes"},
		{"bad gateway file", func(s *settings) { s.SMSConfig = badSMS }, "sms-config"},
		{"readable CA key", func(s *settings) { s.CADir = caDir }, "ca-dir"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testSettings(t)
			cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
			tt.edit(&cfg)
			a, err := openApp(t.Context(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				a.close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestOnboardingStartLimit: one address may start only so many
// onboardings in a window.
func TestOnboardingStartLimit(t *testing.T) {
	t.Parallel()
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	cfg.DeviceStarts = 3
	ts := startTestServer(t, cfg)
	r := ts.api(ts.token(scopeOnboarding), "POST", "/api/v1/applications", map[string]any{"name": "Desk", "requirements": []map[string]string{{"kind": "manual"}}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	for range 3 {
		c, _ := ts.device()
		_, err := c.Start(t.Context(), "Desk")
		require.NoError(t, err)
	}
	c, _ := ts.device()
	_, err := c.Start(t.Context(), "Desk")
	var apiErr *deviceclient.Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, http.StatusTooManyRequests, apiErr.Status)
	assert.Equal(t, onboarding.CodeThrottled, apiErr.Code)
}
