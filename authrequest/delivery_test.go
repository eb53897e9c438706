package authrequest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	"github.com/usher-sdk/usher/authrequest/memstore"
)

// receiver records the callbacks it gets and answers with status.
type receiver struct {
	mu     sync.Mutex
	got    []received
	status int
	srv    *httptest.Server
	arrive chan struct{}
}

type received struct {
	path   string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, status int) *receiver {
	rc := &receiver{status: status, arrive: make(chan struct{}, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.URL.RequestURI(), r.Header.Clone(), b})
		rc.mu.Unlock()
		w.WriteHeader(rc.status)
		rc.arrive <- struct{}{}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) wait(t *testing.T, n int) []received {
	t.Helper()
	for range n {
		select {
		case <-rc.arrive:
		case <-time.After(10 * time.Second):
			t.Fatalf("waited for %d callbacks", n)
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func TestCallbacksArriveSigned(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	rc := newReceiver(t, http.StatusNoContent)
	prof, err := e.m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app.ID, Name: "vpn", Callbacks: []callback.Callback{
		{Event: "Create", URL: rc.srv.URL + "/created/{uuid}", Body: `{"event":"{event}","user":"{username}"}`},
		{Event: "Response", URL: rc.srv.URL + "/answered?type={response_type}", Body: `{"user":"{username}","ip":"{response_ip}"}`},
	}})
	require.NoError(t, err)
	require.NoError(t, e.store.StartDelivery(ctx, e.m.Deliverer(nil)))

	c, err := e.m.Create(ctx, authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: prof.ID, Action: "x"})
	require.NoError(t, err)
	_, err = phone.answer(t, e, phone.pending(t, e)[0], authrequest.Approve, "", "")
	require.NoError(t, err)
	got := rc.wait(t, 2)
	wh, err := standardwebhooks.NewWebhook(prof.Secrets[0])
	require.NoError(t, err)
	paths := map[string]received{}
	for _, g := range got {
		require.NoError(t, wh.Verify(g.body, g.header), "the reference library verifies %s", g.path)
		paths[g.path] = g
	}
	require.Contains(t, paths, "/created/"+c.ID)
	require.Contains(t, paths, "/answered?type=approve")
	var body map[string]string
	require.NoError(t, json.Unmarshal(paths["/answered?type=approve"].body, &body))
	assert.Equal(t, map[string]string{"user": "frank", "ip": "192.0.2.7"}, body)
}

func TestFailedCallbackFiresError(t *testing.T) {
	// A store whose outbox gives up fast.
	e := newEnvOn(t, []memstore.Option{memstore.WithDelivery(memstore.DeliveryConfig{MaxAttempts: 2, Backoff: time.Millisecond, MaxBackoff: time.Millisecond})})
	ctx, m := t.Context(), e.m
	e.user(t, "frank")
	broken := newReceiver(t, http.StatusInternalServerError)
	errors := newReceiver(t, http.StatusOK)
	prof, err := m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app.ID, Name: "vpn", Callbacks: []callback.Callback{
		{Event: "Create", URL: broken.srv.URL + "/hook"},
		{Event: "Error", URL: errors.srv.URL + "/error?code={error}", Body: `{"message":"{error_message}","user":"{username}"}`},
	}})
	require.NoError(t, err)
	require.NoError(t, e.store.StartDelivery(ctx, m.Deliverer(nil)))
	_, err = m.Create(ctx, authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: prof.ID, Action: "x"})
	require.NoError(t, err)
	broken.wait(t, 2)
	got := errors.wait(t, 1)
	assert.Equal(t, "/error?code=delivery_failed", got[0].path)
	var body map[string]string
	require.NoError(t, json.Unmarshal(got[0].body, &body))
	assert.Equal(t, "frank", body["user"])
	assert.Contains(t, body["message"], "the receiver answered 500")
	assert.NotContains(t, body["message"], broken.srv.URL, "no URL in what an Error callback is told")
}

// A delivery recorded for a callback that an administrator then removes
// goes nowhere, not to the callback that took its place in the list.
func TestRemovedCallbackIsNotShifted(t *testing.T) {
	e := newEnvOn(t, []memstore.Option{memstore.WithDelivery(memstore.DeliveryConfig{MaxAttempts: 1})})
	ctx := t.Context()
	e.user(t, "frank")
	first, second := newReceiver(t, http.StatusOK), newReceiver(t, http.StatusOK)
	prof, err := e.m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app.ID, Name: "vpn", Callbacks: []callback.Callback{
		{Event: "Create", URL: first.srv.URL + "/first"},
		{Event: "Create", URL: second.srv.URL + "/second"},
	}})
	require.NoError(t, err)
	require.NotEmpty(t, prof.Callbacks[0].ID)
	require.NotEqual(t, prof.Callbacks[0].ID, prof.Callbacks[1].ID)
	_, err = e.m.Create(ctx, authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: prof.ID, Action: "x"})
	require.NoError(t, err)

	prof.Callbacks = prof.Callbacks[1:]
	_, err = e.m.UpdateProfile(ctx, prof)
	require.NoError(t, err)
	require.NoError(t, e.store.StartDelivery(ctx, e.m.Deliverer(nil)))
	got := second.wait(t, 1)
	assert.Equal(t, "/second", got[0].path)
	time.Sleep(100 * time.Millisecond)
	second.mu.Lock()
	assert.Len(t, second.got, 1, "the removed callback's delivery did not shift onto the second")
	second.mu.Unlock()
	first.mu.Lock()
	assert.Empty(t, first.got)
	first.mu.Unlock()
}

// Try tells an administrator's test event what the receiver answered.
func TestDelivererTry(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	busy := newReceiver(t, http.StatusServiceUnavailable)
	prof, err := e.m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app.ID, Name: "vpn", Callbacks: []callback.Callback{
		{Event: "Any", URL: busy.srv.URL + "/hook?token=s3cr3t"},
	}})
	require.NoError(t, err)
	d := e.m.Deliverer(nil)
	res, err := d.Try(ctx, authrequest.Delivery{ID: "msg_test", ProfileID: prof.ID, CallbackID: prof.Callbacks[0].ID, Event: authrequest.EventCreate})
	require.Error(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	assert.Equal(t, "the receiver answered 503", authrequest.DeliveryErrorSummary(err))
	assert.NotContains(t, authrequest.DeliveryErrorSummary(err), "s3cr3t")
	_, err = d.Try(ctx, authrequest.Delivery{ID: "msg_test", ProfileID: prof.ID, CallbackID: "cb_gone", Event: authrequest.EventCreate})
	assert.ErrorIs(t, err, authrequest.ErrPermanent)
}
