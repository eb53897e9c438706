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
