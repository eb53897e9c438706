package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/deviceclient"
)

// TestWalkThrough does what the README's walk-through does, with the
// device as deviceclient and the administrator's curl as HTTP calls.
func TestWalkThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := newServer(ctx, t.TempDir(), "Demo", "alice", "demo password")
	require.NoError(t, err)
	t.Cleanup(s.close)
	srv := httptest.NewServer(s.handler)
	t.Cleanup(srv.Close)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	c, err := deviceclient.New(srv.URL, key)
	require.NoError(t, err)
	st, err := c.Start(ctx, "Demo")
	require.NoError(t, err)
	st, err = c.Credentials(ctx, st, "alice", "demo password")
	require.NoError(t, err)
	st, err = c.Answer(ctx, st, nil)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusPending, st.Status)

	resp, err := http.Get(srv.URL + "/admin/v1/applications/" + s.app.ID + "/pending")
	require.NoError(t, err)
	var pending []onboarding.PendingView
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&pending))
	_ = resp.Body.Close()
	require.Len(t, pending, 1)
	assert.Equal(t, "alice", pending[0].Login)
	resp, err = http.Post(srv.URL+"/admin/v1/activities/"+pending[0].ActivityID+"/approve", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)

	st, err = c.Status(ctx, st)
	require.NoError(t, err)
	_, _, err = c.Enrol(ctx, st)
	require.NoError(t, err)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  config
		want string
	}{
		{config{addr: "127.0.0.1:8080"}, "-password-file is required"},
		{config{addr: "0.0.0.0:8080", passwordFile: "pw"}, "loopback"},
		{config{addr: "example.com:80", passwordFile: "pw"}, "loopback"},
		{config{addr: "nonsense", passwordFile: "pw"}, "-addr"},
		{config{addr: "[::1]:0", passwordFile: "pw"}, ""},
		{config{addr: "localhost:0", passwordFile: "pw"}, ""},
	} {
		err := tc.cfg.check()
		if tc.want == "" {
			assert.NoError(t, err, tc.cfg.addr)
		} else {
			assert.ErrorContains(t, err, tc.want, tc.cfg.addr)
		}
	}
}
