package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	stdcsv "encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/authrequest"
	ardevice "github.com/usher-sdk/usher/authrequest/deviceclient"
	"github.com/usher-sdk/usher/onboarding"
	obdevice "github.com/usher-sdk/usher/onboarding/deviceclient"
)

// phone onboards a simulated phone of username to a Credentials-only
// application through the device API and returns its authrequest
// client.
func (ts *testServer) phone(app, username, password string) *ardevice.Client {
	ts.t.Helper()
	ctx := ts.t.Context()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(ts.t, err)
	ob, err := obdevice.New(ts.srv.URL+deviceAPIPrefix, key)
	require.NoError(ts.t, err)
	st, err := ob.Start(ctx, app)
	require.NoError(ts.t, err)
	st, err = ob.Credentials(ctx, st, username, password)
	require.NoError(ts.t, err)
	require.Equal(ts.t, onboarding.StatusAwaitingCSR, st.Status)
	id, _, err := ob.Enrol(ctx, st)
	require.NoError(ts.t, err)
	c, err := ardevice.New(ts.srv.URL+deviceAPIPrefix, id, key)
	require.NoError(ts.t, err)
	return c
}

// delivery is one call a receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is a callback receiver that keeps what it gets.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []delivery
	notify chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{notify: make(chan struct{}, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{r.Header.Clone(), b})
		rc.mu.Unlock()
		rc.notify <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// wait returns the first n deliveries, failing after 20 s.
func (rc *receiver) wait(t *testing.T, n int) []delivery {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		rc.mu.Lock()
		if len(rc.got) >= n {
			out := append([]delivery(nil), rc.got...)
			rc.mu.Unlock()
			return out
		}
		rc.mu.Unlock()
		select {
		case <-rc.notify:
		case <-deadline:
			t.Fatalf("the receiver got %d deliveries, want %d", len(rc.got), n)
		}
	}
}

// verified checks a delivery's Standard Webhooks signature with the
// reference library and returns its body's fields.
func verified(t *testing.T, secret string, d delivery) map[string]string {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	require.NoError(t, wh.Verify(d.body, d.header), "the signature verifies")
	var body map[string]string
	require.NoError(t, json.Unmarshal(d.body, &body), string(d.body))
	return body
}

// pushApp makes a Credentials-only application through the API.
func (ts *testServer) pushApp(name string) onboarding.Application {
	ts.t.Helper()
	r := ts.api(ts.token(scopeOnboarding), "POST", "/api/v1/applications", map[string]any{"name": name, "requirements": []map[string]string{{"kind": "credentials"}}})
	require.Equal(ts.t, http.StatusCreated, r.StatusCode, r.Body)
	return decode[onboarding.Application](ts.t, r)
}

// TestPushAuthentication: a device onboarded through the device API
// answers requests a third party pushes with a server access token;
// the profile's callback arrives signed; deny with a reason; number
// matching; the test event; the admin API, metrics and the export.
func TestPushAuthentication(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := t.Context()
	app := ts.pushApp("VPN")
	ts.addUser("", "alice", "alice's long password")
	phone := ts.phone("VPN", "alice", "alice's long password")
	tok := ts.token(scopeAuthRequest)
	rc := newReceiver(t)

	assert.Equal(t, http.StatusUnauthorized, ts.api("", "POST", "/api/v1/auth/requests", map[string]any{"application": "VPN", "username": "alice"}).StatusCode)
	assert.Equal(t, http.StatusForbidden, ts.api(ts.token(scopeOnboarding), "POST", "/api/v1/auth/requests", map[string]any{"application": "VPN", "username": "alice"}).StatusCode)

	r := ts.api(tok, "POST", "/api/v1/applications/"+app.ID+"/profiles", map[string]any{"name": "login", "ttl": 120, "action": "Sign in as {username}",
		"callbacks": []map[string]any{{"event": "Response", "url": rc.srv.URL + "/cb/{uuid}", "body": `{"event": "{event}", "user": "{username}", "uuid": "{uuid}", "state": "{state}"}`,
			"auth": map[string]string{"kind": "header", "header": "Authorization", "value": "Bearer receiver-secret"}}}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	prof := decode[profileJSON](t, r)
	require.True(t, strings.HasPrefix(prof.Secret, "whsec_"), "the secret is shown once: %q", prof.Secret)
	assert.Empty(t, prof.Callbacks[0].Auth.Value, "a callback's auth value is never shown")
	r = ts.api(tok, "GET", "/api/v1/profiles/"+prof.ID, nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.NotContains(t, r.Body, "whsec_")
	assert.NotContains(t, r.Body, "receiver-secret")

	// Create, list and approve, wait.
	r = ts.api(tok, "POST", "/api/v1/auth/requests", map[string]any{"application": "VPN", "username": "alice", "profile": "login", "state": "s1"})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	created := decode[authrequest.Created](t, r)
	assert.Empty(t, created.Number)
	pending, err := phone.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.Equal(t, "Sign in as alice", pending[0].Action)
	st, err := phone.Approve(ctx, pending[0], ardevice.Answer{})
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, st.Status)
	r = ts.api(tok, "GET", "/api/v1/auth/requests/"+created.ID+"/wait?timeout=5", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Equal(t, authrequest.StateApproved, decode[authrequest.Status](t, r).Status)
	got := rc.wait(t, 1)
	body := verified(t, prof.Secret, got[0])
	assert.Equal(t, map[string]string{"event": "Approve", "user": "alice", "uuid": created.ID, "state": "s1"}, body)
	assert.Equal(t, "Bearer receiver-secret", got[0].header.Get("Authorization"))

	// Deny with a reason.
	r = ts.api(tok, "POST", "/api/v1/auth/requests", map[string]any{"application": app.ID, "username": "alice", "profile": prof.ID})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	denied := decode[authrequest.Created](t, r)
	pending, err = phone.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	_, err = phone.Deny(ctx, pending[0], ardevice.Answer{Reason: "this wasn't me"})
	require.NoError(t, err)
	r = ts.api(tok, "GET", "/api/v1/auth/requests/"+denied.ID, nil)
	s := decode[authrequest.Status](t, r)
	assert.Equal(t, authrequest.StateDenied, s.Status)
	assert.Equal(t, "this wasn't me", s.Reason)
	assert.Equal(t, "Deny", verified(t, prof.Secret, rc.wait(t, 2)[1])["event"])

	// Number matching: the wrong number is refused, the right one taken.
	r = ts.api(tok, "POST", "/api/v1/applications/"+app.ID+"/profiles", map[string]any{"name": "number", "number_matching": true})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	r = ts.api(tok, "POST", "/api/v1/auth/requests", map[string]any{"application": "VPN", "username": "alice", "profile": "number"})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	num := decode[authrequest.Created](t, r)
	require.Len(t, num.Number, authrequest.DefaultNumberDigits)
	pending, err = phone.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.True(t, pending[0].NumberMatching)
	wrong := "999"
	if num.Number == wrong {
		wrong = "998"
	}
	_, err = phone.Approve(ctx, pending[0], ardevice.Answer{Number: wrong})
	require.Error(t, err)
	st, err = phone.Approve(ctx, pending[0], ardevice.Answer{Number: num.Number})
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, st.Status)

	// A QR request, claimed by scanning.
	r = ts.api(tok, "POST", "/api/v1/auth/requests", map[string]any{"application": "VPN", "qr": true, "action": "Sign in at the kiosk"})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	qr := decode[authrequest.Created](t, r)
	require.True(t, strings.HasPrefix(qr.QRCode, "usher-auth:"), qr.QRCode)
	claimed, err := phone.Claim(ctx, qr.QRCode)
	require.NoError(t, err)
	assert.Equal(t, "Sign in at the kiosk", claimed.Action)
	st, err = phone.Approve(ctx, claimed, ardevice.Answer{})
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, st.Status)

	// Send test event: delivered at once, signed; never a secret in the answer.
	r = ts.api(tok, "POST", "/api/v1/profiles/"+prof.ID+"/callbacks/0/test", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	tr := decode[testResult](t, r)
	assert.True(t, tr.Delivered, r.Body)
	assert.Equal(t, http.StatusNoContent, tr.Status, "the receiver's exact status")
	assert.GreaterOrEqual(t, tr.DurationMS, int64(0))
	assert.Equal(t, "Approve", verified(t, prof.Secret, rc.wait(t, 3)[2])["event"])
	assert.Equal(t, http.StatusNotFound, ts.api(tok, "POST", "/api/v1/profiles/"+prof.ID+"/callbacks/7/test", nil).StatusCode)

	// Rotation: both secrets sign until the old is dropped.
	r = ts.api(tok, "POST", "/api/v1/profiles/"+prof.ID+"/secret", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	newSecret := decode[map[string]string](t, r)["secret"]
	require.NotEqual(t, prof.Secret, newSecret)
	require.Equal(t, http.StatusOK, ts.api(tok, "POST", "/api/v1/profiles/"+prof.ID+"/callbacks/0/test", nil).StatusCode)
	d := rc.wait(t, 4)[3]
	verified(t, prof.Secret, d)
	verified(t, newSecret, d)
	require.Equal(t, http.StatusNoContent, ts.api(tok, "DELETE", "/api/v1/profiles/"+prof.ID+"/old-secrets", nil).StatusCode)

	// An update that sends the callback's auth value back empty keeps it.
	r = ts.api(tok, "GET", "/api/v1/profiles/"+prof.ID, nil)
	upd := decode[profileJSON](t, r)
	upd.Action = "Log in as {username}"
	upd.ID, upd.ApplicationID, upd.Secrets, upd.CreatedAt, upd.UpdatedAt = "", "", 0, time.Time{}, time.Time{}
	r = ts.api(tok, "PUT", "/api/v1/profiles/"+prof.ID, upd)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	stored, err := ts.app.arStore.GetProfile(ctx, prof.ID)
	require.NoError(t, err)
	assert.Equal(t, "Bearer receiver-secret", stored.Callbacks[0].Auth.Value)
	assert.Equal(t, "Log in as {username}", stored.Action)

	// Activities newest first; destroy one.
	r = ts.api(tok, "GET", "/api/v1/applications/"+app.ID+"/auth-requests", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	list := decode[struct{ Requests []authrequest.Request }](t, r).Requests
	require.Len(t, list, 4)
	assert.Equal(t, qr.ID, list[0].ID)
	assert.Equal(t, authrequest.OriginQR, list[0].Origin)
	assert.Equal(t, num.ID, list[1].ID)
	assert.Equal(t, created.ID, list[3].ID)
	require.Len(t, list[3].Answers, 1)
	require.Equal(t, http.StatusNoContent, ts.api(tok, "DELETE", "/api/v1/auth-requests/"+denied.ID, nil).StatusCode)
	assert.Equal(t, http.StatusNotFound, ts.api(tok, "DELETE", "/api/v1/auth-requests/"+denied.ID, nil).StatusCode)
	r = ts.api(tok, "GET", "/api/v1/applications/"+app.ID+"/active-users", nil)
	assert.Equal(t, float64(1), decode[map[string]any](t, r)["count"])

	// The export's Last authentication.
	r = ts.api(ts.token(scopeUsersRead), "GET", "/api/v1/users/export", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	rows, err := stdcsv.NewReader(strings.NewReader(r.Body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, "Last authentication", rows[0][4])
	last, err := time.Parse(time.RFC3339, rows[1][4])
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), last, time.Minute)

	// The audit trail has the Manager's events.
	r = ts.get(ts.signIn(), "/admin/audit?kind="+string(authrequest.AuditDenied))
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, "alice")
	assert.Contains(t, r.Body, string(authrequest.AuditDenied))

	// Metrics. River marks a delivered job completed a moment after the
	// delivery (its completer writes in batches): the gauge of pending
	// deliveries reaches 0 soon, not at once.
	metricsToken := ts.token(scopeMetrics)
	require.Eventually(t, func() bool {
		r = ts.api(metricsToken, "GET", "/metrics", nil)
		return r.StatusCode == http.StatusOK && strings.Contains(r.Body, "\nusher_callback_deliveries_pending 0\n")
	}, 10*time.Second, 20*time.Millisecond, "pending deliveries never reached 0")
	for _, want := range []string{`usher_auth_requests_total{outcome="created"} 4`, `usher_auth_requests_total{outcome="approved"} 3`,
		`usher_auth_requests_total{outcome="denied"} 1`, `usher_auth_requests_total{outcome="refused"} 1`,
		`usher_callback_deliveries_total{event="delivered"} 2`, `usher_callback_deliveries_total{event="queued"} 2`, "usher_callback_deliveries_pending 0"} {
		assert.Contains(t, r.Body, want)
	}
}

var statusLink = regexp.MustCompile(`/preapprove/status/([0-9a-f]+)`)

// TestPreApprovalPage: the public page of a policy's link asks; the user
// confirms on their device, the approver approves on theirs; the status
// page follows; during the period a profile that requires the approver
// needs only the user.
func TestPreApprovalPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := t.Context()
	app := ts.pushApp("Payroll")
	ts.addUser("", "carol", "carol's long password")
	ts.addUser("", "dave", "dave's long password")
	carol := ts.phone("Payroll", "carol", "carol's long password")
	dave := ts.phone("Payroll", "dave", "dave's long password")
	tok := ts.token(scopeAuthRequest)
	require.Equal(t, http.StatusNoContent, ts.api(tok, "PUT", "/api/v1/applications/"+app.ID+"/users/carol/approver", map[string]string{"approver": "dave"}).StatusCode)
	r := ts.api(tok, "POST", "/api/v1/applications/"+app.ID+"/pre-approval-policies", map[string]any{"name": "office hours", "max_period": 3600})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	pol := decode[policyJSON](t, r)
	require.Equal(t, ts.srv.URL+"/preapprove/"+pol.ID, pol.Link)
	r = ts.api(tok, "POST", "/api/v1/applications/"+app.ID+"/profiles", map[string]any{"name": "pay", "require_approver": true})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)

	// Without a pre-approval carol gets no request.
	r = ts.api(tok, "POST", "/api/v1/auth/requests", map[string]any{"application": "Payroll", "username": "carol", "profile": "pay"})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	pending, err := carol.Pending(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending)

	b := ts.browser()
	r = ts.get(b, "/preapprove/"+pol.ID)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, `id="ask"`)
	assert.Equal(t, http.StatusNotFound, ts.get(b, "/preapprove/0123456789abcdef0123456789abcdef").StatusCode)
	r = ts.postForm(b, "/preapprove/"+pol.ID, url.Values{"username": {"carol"}, "period": {"30"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	m := statusLink.FindStringSubmatch(r.Header.Get("Location"))
	require.Len(t, m, 2, r.Header.Get("Location"))
	status := func() string {
		r := ts.get(b, "/preapprove/status/"+m[1])
		require.Equal(t, http.StatusOK, r.StatusCode)
		return r.Body
	}
	assert.Contains(t, status(), `class="state-asked"`)
	assert.Contains(t, status(), `http-equiv="refresh"`)

	pending, err = carol.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.Equal(t, authrequest.KindPreApproval, pending[0].Kind)
	_, err = carol.Approve(ctx, pending[0], ardevice.Answer{})
	require.NoError(t, err)
	assert.Contains(t, status(), `class="state-confirmed"`)
	pending, err = dave.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.Equal(t, authrequest.RoleApprover, pending[0].Role)
	_, err = dave.Approve(ctx, pending[0], ardevice.Answer{})
	require.NoError(t, err)
	page := status()
	assert.Contains(t, page, `class="state-active"`)
	assert.NotContains(t, page, `http-equiv="refresh"`)

	// During the period carol's requests need only her.
	r = ts.api(tok, "POST", "/api/v1/auth/requests", map[string]any{"application": "Payroll", "username": "carol", "profile": "pay"})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	id := decode[authrequest.Created](t, r).ID
	pending, err = carol.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	st, err := carol.Approve(ctx, pending[0], ardevice.Answer{})
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, st.Status, "no approver during the period")
	r = ts.api(tok, "GET", "/api/v1/auth/requests/"+id, nil)
	assert.Equal(t, authrequest.StateApproved, decode[authrequest.Status](t, r).Status)
}
