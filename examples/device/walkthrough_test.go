package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/examples/device/internal/devsrv"
	"github.com/usher-sdk/usher/onboarding"
)

// TestWalkThrough runs README.md's walk-through with the commands it
// shows, against the server devserver wires: onboard with the SMS code
// read from -sms-dir and an administrator's approval over the admin API,
// then requests pushed with the printed token over the third-party API
// and answered with requests, approve (number matching typed in), deny
// and claim, the third party's wait and the signed callback.
func TestWalkThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	hooks := make(chan map[string]string, 8)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]string
		_ = json.NewDecoder(r.Body).Decode(&v)
		if r.Header.Get("webhook-signature") != "" {
			hooks <- v
		}
	}))
	t.Cleanup(receiver.Close)
	dir := t.TempDir()
	smsDir := filepath.Join(dir, "sms")
	s, err := devsrv.New(ctx, devsrv.Config{Dir: filepath.Join(dir, "ca"), App: "Demo", Username: "alice",
		Password: "demo password", Phone: "+447700900123", SMSDir: smsDir, Callback: receiver.URL + "/hook"})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler)
	t.Cleanup(srv.Close)
	curl := func(method, path, token, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, data
	}

	// 1. Onboard.
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("demo password\n"), 0o600))
	key := filepath.Join(dir, "phone.key")
	code, _, errOut := runCmd(t, nil, "init", "-key", key)
	require.Equal(t, exitOK, code, errOut)
	run := start(ctx, strings.NewReader(""), "onboard", "-server", srv.URL, "-app", "Demo", "-key", key,
		"-username", "alice", "-password-file", pw, "-phone", "+447700900123", "-sms-dir", smsDir, "-poll", "10ms")
	var pending []onboarding.PendingView
	for deadline := time.Now().Add(30 * time.Second); len(pending) == 0; {
		require.True(t, time.Now().Before(deadline), "nothing pending; stdout:\n%s\nstderr:\n%s", run.out, run.errOut)
		time.Sleep(10 * time.Millisecond)
		status, body := curl(http.MethodGet, "/admin/v1/applications/"+s.App.ID+"/pending", "", "")
		require.Equal(t, http.StatusOK, status, string(body))
		require.NoError(t, json.Unmarshal(body, &pending))
	}
	assert.Contains(t, run.out.String(), "code:    "+pending[0].Code)
	status, body := curl(http.MethodPost, "/admin/v1/activities/"+pending[0].ActivityID+"/approve", "", "{}")
	require.Equal(t, http.StatusNoContent, status, string(body))
	require.Equal(t, exitOK, run.wait(t), "stdout:\n%s\nstderr:\n%s", run.out, run.errOut)
	assert.Contains(t, run.out.String(), "Read the code from the file")

	// 2. Push a request with the token and approve it.
	push := func(body string) authrequest.Created {
		t.Helper()
		status, data := curl(http.MethodPost, "/api/v1/requests", s.Token, body)
		require.Equal(t, http.StatusCreated, status, string(data))
		var c authrequest.Created
		require.NoError(t, json.Unmarshal(data, &c))
		return c
	}
	result := func(id string) authrequest.Status {
		t.Helper()
		status, data := curl(http.MethodGet, "/api/v1/requests/"+id+"/wait?timeout=5", s.Token, "")
		require.Equal(t, http.StatusOK, status, string(data))
		var st authrequest.Status
		require.NoError(t, json.Unmarshal(data, &st))
		return st
	}
	created := push(`{"application":"Demo","username":"alice","profile":"demo"}`)
	code, out, errOut := runCmd(t, nil, "requests", "-key", key)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "request "+created.ID)
	assert.Contains(t, out, "action:      Sign in to alice's demo")
	assert.Contains(t, out, "number:      not required")
	code, out, errOut = runCmd(t, nil, "approve", "-key", key, "-payload", "hello from the phone")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Approved "+created.ID+": approved.")
	st := result(created.ID)
	assert.Equal(t, authrequest.StateApproved, st.Status)
	assert.Equal(t, "hello from the phone", string(st.Payload))
	select {
	case v := <-hooks:
		assert.Equal(t, created.ID, v["id"])
		assert.Equal(t, "approve", v["response"])
	case <-time.After(30 * time.Second):
		t.Fatal("no callback")
	}

	// Number matching, typed in.
	created = push(`{"application":"Demo","username":"alice","profile":"demo-number"}`)
	code, _, errOut = runCmd(t, strings.NewReader(created.Number+"\n"), "approve", "-key", key)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, authrequest.StateApproved, result(created.ID).Status)

	// Deny.
	created = push(`{"application":"Demo","username":"alice","profile":"demo"}`)
	code, _, errOut = runCmd(t, nil, "deny", "-key", key, "-id", created.ID, "-reason", "this wasn't me")
	require.Equal(t, exitOK, code, errOut)
	st = result(created.ID)
	assert.Equal(t, authrequest.StateDenied, st.Status)
	assert.Equal(t, "this wasn't me", st.Reason)

	// QR.
	created = push(`{"application":"Demo","qr":true}`)
	code, out, errOut = runCmd(t, nil, "claim", "-key", key, "-qr", created.QRCode)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "who:         alice")
	code, _, errOut = runCmd(t, nil, "approve", "-key", key, "-id", created.ID)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, authrequest.StateApproved, result(created.ID).Status)
}
