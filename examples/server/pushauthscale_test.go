package main

import (
	"net/http"
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
