package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/authrequest"
	ardevice "github.com/usher-sdk/usher/authrequest/deviceclient"
	"github.com/usher-sdk/usher/internal/testenv"
)

// TestPushAuthTwoProcesses: two servers on one PostgreSQL: a request
// created on one is answered on the other, the waiter on the first sees
// the answer, and its callback is delivered once though both processes
// run delivery workers.
func TestPushAuthTwoProcesses(t *testing.T) {
	t.Parallel()
	cfg := testSettings(t)
	cfg.Database = testenv.PostgresDB(t)
	cfg.ActivationKey = "0123456789abcdef0123456789abcdef-shared"
	cfg.CADir = t.TempDir()
	one := startTestServer(t, cfg)
	two := startTestServer(t, cfg)
	ctx := t.Context()

	app := one.pushApp("Shared VPN")
	one.addUser("", "gina", "gina's long password")
	phone := two.phone("Shared VPN", "gina", "gina's long password")
	tok := one.token(scopeAuthRequest)
	rc := newReceiver(t)
	r := two.api(tok, "POST", "/api/v1/applications/"+app.ID+"/profiles", map[string]any{"name": "login",
		"callbacks": []map[string]any{{"event": "Any", "url": rc.srv.URL, "body": `{"event": "{event}", "uuid": "{uuid}"}`}}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	secret := decode[profileJSON](t, r).Secret

	r = one.api(tok, "POST", "/api/v1/auth/requests", map[string]any{"application": app.ID, "username": "gina", "profile": "login"})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	id := decode[authrequest.Created](t, r).ID
	waited := make(chan response, 1)
	go func() { waited <- one.api(tok, "GET", "/api/v1/auth/requests/"+id+"/wait?timeout=20", nil) }()

	pending, err := phone.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	st, err := phone.Approve(ctx, pending[0], ardevice.Answer{})
	require.NoError(t, err)
	require.Equal(t, authrequest.StateApproved, st.Status)
	w := <-waited
	require.Equal(t, http.StatusOK, w.StatusCode, w.Body)
	assert.Equal(t, authrequest.StateApproved, decode[authrequest.Status](t, w).Status, "process one sees the answer taken on two")

	events := map[string]int{}
	for _, d := range rc.wait(t, 2) {
		events[verified(t, secret, d)["event"]]++
	}
	time.Sleep(2 * time.Second) // time for a duplicate to show
	rc.mu.Lock()
	n := len(rc.got)
	rc.mu.Unlock()
	assert.Equal(t, 2, n, "each callback once")
	assert.Equal(t, map[string]int{"Create": 1, "Approve": 1}, events)
	s1, s2 := one.app.arStore.Outbox().Stats(), two.app.arStore.Outbox().Stats()
	assert.Equal(t, uint64(2), s1.Delivered+s2.Delivered, "delivered by one process or the other")
}

// TestPushAuthCallbackSurvivesRestart: a callback whose receiver is away
// when the server stops is delivered by the next server on the database.
func TestPushAuthCallbackSurvivesRestart(t *testing.T) {
	t.Parallel()
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "data", "usher.db")
	first := startTestServer(t, cfg)
	ctx := t.Context()
	app := first.pushApp("Restart")
	first.addUser("", "hana", "hana's long password")
	phone := first.phone("Restart", "hana", "hana's long password")
	tok := first.token(scopeAuthRequest)

	var ready atomic.Bool
	attempts := make(chan struct{}, 100)
	var mu sync.Mutex
	var took []delivery
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !ready.Load() {
			attempts <- struct{}{}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		took = append(took, delivery{r.Header.Clone(), b})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	r := first.api(tok, "POST", "/api/v1/applications/"+app.ID+"/profiles", map[string]any{"name": "login",
		"callbacks": []map[string]any{{"event": "Approve", "url": rc.URL, "body": `{"uuid": "{uuid}"}`}}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	secret := decode[profileJSON](t, r).Secret
	r = first.api(tok, "POST", "/api/v1/auth/requests", map[string]any{"application": app.ID, "username": "hana", "profile": "login"})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	id := decode[authrequest.Created](t, r).ID
	pending, err := phone.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	_, err = phone.Approve(ctx, pending[0], ardevice.Answer{})
	require.NoError(t, err)
	select {
	case <-attempts:
	case <-time.After(20 * time.Second):
		t.Fatal("no attempt at the callback")
	}
	first.srv.Close()
	first.app.close()

	ready.Store(true)
	startTestServer(t, cfg)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(took) > 0
	}, 60*time.Second, 50*time.Millisecond, "the next server delivers it")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, id, verified(t, secret, took[0])["uuid"])
}
