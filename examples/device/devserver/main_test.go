package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	arclient "github.com/usher-sdk/usher/authrequest/deviceclient"
	"github.com/usher-sdk/usher/examples/device/internal/devsrv"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/deviceclient"
	"github.com/usher-sdk/usher/onboarding/sms"
)

// TestWalkThrough does what the README's walk-through does, with the
// device as deviceclient and the administrator's curl as HTTP calls.
func TestWalkThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := devsrv.New(ctx, devsrv.Config{Dir: t.TempDir(), App: "Demo", Username: "alice", Password: "demo password", Phone: "+447700900123"})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler)
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

	resp, err := http.Get(srv.URL + "/admin/v1/applications/" + s.App.ID + "/pending")
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

// onboardDevice onboards a new key through the server's onboarding
// device API (credentials, then SMS when smsDir is set, then manual
// approval by the Manager) and returns the key and device ID.
func onboardDevice(t *testing.T, s *devsrv.Server, url, smsDir string) (*ecdsa.PrivateKey, string) {
	t.Helper()
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	c, err := deviceclient.New(url, key)
	require.NoError(t, err)
	st, err := c.Start(ctx, "Demo")
	require.NoError(t, err)
	st, err = c.Credentials(ctx, st, "alice", "demo password")
	require.NoError(t, err)
	if smsDir != "" {
		require.Equal(t, onboarding.KindSMS, st.Prompt.Kind)
		st, err = c.Answer(ctx, st, map[string]string{"phone": "+447700900123"})
		require.NoError(t, err)
		path, err := sms.FilePath(smsDir, "+447700900123")
		require.NoError(t, err)
		data, err := os.ReadFile(path)
		require.NoError(t, err, "the FileSender wrote the code")
		msg, err := sms.ParseFile(data)
		require.NoError(t, err)
		st, err = c.Answer(ctx, st, map[string]string{"code": msg.Code})
		require.NoError(t, err)
	}
	st, err = c.Answer(ctx, st, nil)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusPending, st.Status)
	p, err := s.Onboarding.Pending(ctx, s.App.ID)
	require.NoError(t, err)
	require.Len(t, p, 1)
	require.NoError(t, s.Onboarding.Approve(ctx, p[0].Activity.ID, onboarding.Approval{Admin: "admin"}))
	st, err = c.Status(ctx, st)
	require.NoError(t, err)
	id, _, err := c.Enrol(ctx, st)
	require.NoError(t, err)
	return key, id
}

// TestPushApprove is the quick start's second half: a third party pushes
// a request with curl (the API with the printed token), the device lists
// and approves it, the third party's wait returns approved, and the
// callback arrives signed with the profile's secret.
func TestPushApprove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), body}
	}))
	t.Cleanup(receiver.Close)
	smsDir := filepath.Join(t.TempDir(), "sms")
	s, err := devsrv.New(ctx, devsrv.Config{Dir: t.TempDir(), App: "Demo", Username: "alice", Password: "demo password",
		Phone: "+447700900123", SMSDir: smsDir, Callback: receiver.URL + "/hook"})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler)
	t.Cleanup(srv.Close)
	key, deviceID := onboardDevice(t, s, srv.URL, smsDir)
	phone, err := arclient.New(srv.URL, deviceID, key)
	require.NoError(t, err)

	api := func(method, path, body string) (int, []byte) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, data
	}
	code, body := api(http.MethodPost, "/api/v1/requests", `{"application":"Demo","username":"alice","profile":"demo"}`)
	require.Equal(t, http.StatusCreated, code, string(body))
	var created authrequest.Created
	require.NoError(t, json.Unmarshal(body, &created))
	assert.Empty(t, created.Number, `"demo" has no number matching`)

	rs, err := phone.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, "Sign in to alice's demo", rs[0].Action)
	assert.False(t, rs[0].NumberMatching)
	_, err = phone.Approve(ctx, rs[0], arclient.Answer{Payload: []byte("ok"), PayloadType: "text/plain"})
	require.NoError(t, err)

	code, body = api(http.MethodGet, "/api/v1/requests/"+created.ID+"/wait?timeout=5", "")
	require.Equal(t, http.StatusOK, code, string(body))
	var st authrequest.Status
	require.NoError(t, json.Unmarshal(body, &st))
	assert.Equal(t, authrequest.StateApproved, st.Status)

	select {
	case d := <-got:
		var v map[string]string
		require.NoError(t, json.Unmarshal(d.body, &v), string(d.body))
		assert.Equal(t, map[string]string{"event": "Approve", "id": created.ID, "username": "alice", "response": "approve", "payload": "b2s="}, v)
		ts, err := strconv.ParseInt(d.header.Get("webhook-timestamp"), 10, 64)
		require.NoError(t, err)
		want, err := callback.Sign(s.Profiles[0].Secrets, d.header.Get("webhook-id"), time.Unix(ts, 0), d.body)
		require.NoError(t, err)
		assert.Equal(t, want, d.header.Get("webhook-signature"), "signed with the secret devserver prints")
	case <-time.After(30 * time.Second):
		t.Fatal("no callback arrived")
	}

	code, _ = api(http.MethodPost, "/api/v1/requests", `{"application":"Demo","username":"alice","profile":"demo-number"}`)
	assert.Equal(t, http.StatusCreated, code)
	rs, err = phone.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.True(t, rs[0].NumberMatching)

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/requests", strings.NewReader(`{"application":"Demo","username":"alice"}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the third-party API needs the token")
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
		{config{addr: "localhost:0", passwordFile: "pw", callback: "ftp://x"}, "-callback"},
		{config{addr: "localhost:0", passwordFile: "pw", secretFile: "s"}, "-secret-file needs -callback"},
		{config{addr: "localhost:0", passwordFile: "pw", callback: "http://127.0.0.1:9/hook"}, ""},
	} {
		err := tc.cfg.check()
		if tc.want == "" {
			assert.NoError(t, err, tc.cfg.addr)
		} else {
			assert.ErrorContains(t, err, tc.want, tc.cfg.addr)
		}
	}
}
