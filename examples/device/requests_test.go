package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
)

// onboardPush onboards a new key of user to "Push" (Credentials only) and
// returns the key's path; extra flags go to onboard.
func onboardPush(t *testing.T, s *testServer, user, password string, extra ...string) string {
	t.Helper()
	key := newKeyFile(t, "p256")
	pwFile := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(pwFile, []byte(password+"\n"), 0o600))
	args := append([]string{"onboard", "-server", s.url, "-app", "Push", "-key", key, "-username", user, "-password-file", pwFile}, extra...)
	code, out, errOut := runCmd(t, nil, args...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	return key
}

// create pushes a request to user of "Push", as a third party would.
func (s *testServer) create(t *testing.T, in authrequest.CreateRequest) authrequest.Created {
	t.Helper()
	in.ApplicationID = s.push.ID
	c, err := s.ar.Create(context.Background(), in)
	require.NoError(t, err)
	return c
}

func (s *testServer) status(t *testing.T, id string) authrequest.Status {
	t.Helper()
	_, st, err := s.ar.Get(context.Background(), id)
	require.NoError(t, err)
	return st
}

func TestRequestsApproveDeny(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	key := onboardPush(t, s, "alice", alicePassword)

	code, out, errOut := runCmd(t, nil, "requests", "-key", key)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, "No pending requests.\n", out)

	first := s.create(t, authrequest.CreateRequest{Username: "alice", Action: "Sign in to the VPN",
		Description: "from 192.0.2.1\x1b[31m red", Fingerprint: "ab:cd"})
	code, out, errOut = runCmd(t, nil, "requests", "-key", key)
	require.Equal(t, exitOK, code, errOut)
	for _, w := range []string{"request " + first.ID, "role:        user", "who:         alice",
		"action:      Sign in to the VPN", "description: from 192.0.2.1 [31m red", "fingerprint: ab:cd",
		"number:      not required", first.ExpiresAt.UTC().Format(time.RFC3339)} {
		assert.Contains(t, out, w)
	}
	assert.NotContains(t, out, "\x1b", "a third party's text cannot send terminal escapes")
	code, out, errOut = runCmd(t, nil, "requests", "-key", key, "-json")
	require.Equal(t, exitOK, code, errOut)
	var listed []authrequest.DeviceRequest
	require.NoError(t, json.Unmarshal([]byte(out), &listed))
	require.Len(t, listed, 1)
	assert.Equal(t, first.ID, listed[0].ID)

	// The only pending request is approved without -id.
	code, out, errOut = runCmd(t, nil, "approve", "-key", key, "-payload", "hello")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Approved "+first.ID+": approved.")
	st := s.status(t, first.ID)
	assert.Equal(t, authrequest.StateApproved, st.Status)
	assert.Equal(t, "hello", string(st.Payload))
	assert.Equal(t, "text/plain", st.PayloadType)

	second := s.create(t, authrequest.CreateRequest{Username: "alice", Action: "Pay 10 EUR"})
	third := s.create(t, authrequest.CreateRequest{Username: "alice", Action: "Pay 20 EUR"})
	code, _, errOut = runCmd(t, nil, "approve", "-key", key)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "2 requests are pending")
	code, _, errOut = runCmd(t, nil, "approve", "-key", key, "-id", "0123456789abcdef")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "not pending for this device")

	code, out, errOut = runCmd(t, nil, "deny", "-key", key, "-id", second.ID, "-reason", "this wasn't me")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Denied "+second.ID+": denied.")
	st = s.status(t, second.ID)
	assert.Equal(t, authrequest.StateDenied, st.Status)
	assert.Equal(t, "this wasn't me", st.Reason)

	fourth := s.create(t, authrequest.CreateRequest{Username: "alice", Action: "Pay 30 EUR"})
	code, _, errOut = runCmd(t, nil, "approve", "-key", key, "-all")
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, authrequest.StateApproved, s.status(t, third.ID).Status)
	assert.Equal(t, authrequest.StateApproved, s.status(t, fourth.ID).Status)

	code, _, errOut = runCmd(t, nil, "deny", "-key", key)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "no pending requests")
}

// TestApproveNumberMatching: the number is asked on standard input when
// -number is not given; a wrong one is refused and leaves the request
// pending.
func TestApproveNumberMatching(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestServer(t)
	key := onboardPush(t, s, "alice", alicePassword)
	prof, err := s.ar.CreateProfile(ctx, authrequest.Profile{ApplicationID: s.push.ID, Name: "nm", NumberMatching: true})
	require.NoError(t, err)
	created := s.create(t, authrequest.CreateRequest{Username: "alice", ProfileID: prof.ID, Action: "Sign in"})
	require.NotEmpty(t, created.Number)

	code, out, errOut := runCmd(t, nil, "requests", "-key", key)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "number:      required")

	wrong := "9" + created.Number
	code, out, errOut = runCmd(t, strings.NewReader(wrong+"\n"), "approve", "-key", key)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "needs number matching")
	assert.Contains(t, errOut, "the server refused")
	assert.Equal(t, authrequest.StatePending, s.status(t, created.ID).Status)

	code, _, errOut = runCmd(t, nil, "approve", "-key", key)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "give -number")

	code, out, errOut = runCmd(t, strings.NewReader(created.Number+"\n"), "approve", "-key", key)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Equal(t, authrequest.StateApproved, s.status(t, created.ID).Status)

	other := s.create(t, authrequest.CreateRequest{Username: "alice", ProfileID: prof.ID, Action: "Sign in again"})
	code, out, errOut = runCmd(t, nil, "approve", "-key", key, "-id", other.ID, "-number", other.Number)
	require.Equal(t, exitOK, code, errOut)
	assert.NotContains(t, out, "needs number matching")
	assert.Equal(t, authrequest.StateApproved, s.status(t, other.ID).Status)
}

// TestClaim: a QR request's text is claimed, then approved by its ID.
func TestClaim(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	key := onboardPush(t, s, "alice", alicePassword)
	qr := s.create(t, authrequest.CreateRequest{QR: true, Action: "Kiosk sign-in as {username}"})
	require.NotEmpty(t, qr.QRCode)

	code, out, errOut := runCmd(t, nil, "claim", "-key", key, "-qr", qr.QRCode)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Claimed:")
	assert.Contains(t, out, "action:      Kiosk sign-in as alice")
	assert.Contains(t, out, "approve -id "+qr.ID)
	code, _, errOut = runCmd(t, nil, "approve", "-key", key, "-id", qr.ID)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, authrequest.StateApproved, s.status(t, qr.ID).Status)

	code, _, errOut = runCmd(t, nil, "claim", "-key", key, "-qr", qr.QRCode)
	assert.Equal(t, exitFailure, code, "a QR code is claimed once")
	assert.Contains(t, errOut, "answered already")
	code, _, errOut = runCmd(t, nil, "claim", "-key", key, "-qr", "https://example.com/")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "not an Usher QR code")
	code, _, _ = runCmd(t, nil, "claim", "-key", key)
	assert.Equal(t, exitUsage, code)
}

// TestApprover: with a profile that requires an approver, alice's approval
// passes the request to bob, whose device lists it as approver.
func TestApprover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestServer(t)
	aliceKey := onboardPush(t, s, "alice", alicePassword)
	bobKey := onboardPush(t, s, "bob", bobPassword)
	alice, err := s.users.GetUserByUsername(ctx, "alice")
	require.NoError(t, err)
	bob, err := s.users.GetUserByUsername(ctx, "bob")
	require.NoError(t, err)
	require.NoError(t, s.arStore.SetApprover(ctx, s.push.ID, alice.ID, bob.ID))
	prof, err := s.ar.CreateProfile(ctx, authrequest.Profile{ApplicationID: s.push.ID, Name: "four eyes", RequireApprover: true})
	require.NoError(t, err)
	created := s.create(t, authrequest.CreateRequest{Username: "alice", ProfileID: prof.ID, Action: "Open the vault"})

	code, out, errOut := runCmd(t, nil, "requests", "-key", bobKey)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, "No pending requests.\n", out, "the approver is asked after the user")
	code, out, errOut = runCmd(t, nil, "approve", "-key", aliceKey)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "your approver must approve it too")
	assert.Equal(t, authrequest.StatePending, s.status(t, created.ID).Status)

	code, out, errOut = runCmd(t, nil, "requests", "-key", bobKey)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "role:        approver")
	assert.Contains(t, out, "who:         alice")
	code, _, errOut = runCmd(t, nil, "approve", "-key", bobKey)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, authrequest.StateApproved, s.status(t, created.ID).Status)
}

// TestWait: wait returns when a request arrives, and exits 4 when none
// does within -timeout.
func TestWait(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	key := onboardPush(t, s, "alice", alicePassword)

	code, _, errOut := runCmd(t, nil, "wait", "-key", key, "-timeout", "50ms", "-poll", "10ms")
	assert.Equal(t, exitTimeout, code)
	assert.Contains(t, errOut, "no request arrived within 50ms")

	run := start(context.Background(), strings.NewReader(""), "wait", "-key", key, "-poll", "10ms", "-timeout", "30s")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(run.out.String(), "Waiting") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	created := s.create(t, authrequest.CreateRequest{Username: "alice", Action: "Sign in"})
	require.Equal(t, exitOK, run.wait(t), "stdout:\n%s\nstderr:\n%s", run.out, run.errOut)
	assert.Contains(t, run.out.String(), "request "+created.ID)
}

// TestAPIPrefix: a device API mounted elsewhere than onboarding's is
// given to onboard with -api, kept in the state file, and overridden per
// command.
func TestAPIPrefix(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	key := onboardPush(t, s, "alice", alicePassword, "-api", s.url+"/auth")
	st, err := readState(key + ".json")
	require.NoError(t, err)
	assert.Equal(t, s.url+"/auth", st.API)
	created := s.create(t, authrequest.CreateRequest{Username: "alice", Action: "Sign in"})
	code, out, errOut := runCmd(t, nil, "requests", "-key", key)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, created.ID)
	code, _, errOut = runCmd(t, nil, "requests", "-key", key, "-api", s.url+"/nowhere")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "is -api the base URL")
	code, _, errOut = runCmd(t, nil, "requests", "-key", key, "-api", "ftp://x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "-api")
}

// TestRequestsErrors: a key not onboarded, a destroyed device.
func TestRequestsErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestServer(t)
	fresh := newKeyFile(t, "ed25519")
	for _, cmd := range []string{"requests", "approve", "deny", "wait"} {
		code, _, errOut := runCmd(t, nil, cmd, "-key", fresh)
		assert.Equal(t, exitFailure, code, cmd)
		assert.Contains(t, errOut, "onboard the key first", cmd)
	}
	key := onboardPush(t, s, "alice", alicePassword)
	st, err := readState(key + ".json")
	require.NoError(t, err)
	require.NoError(t, s.m.DestroyDevice(ctx, st.DeviceID))
	code, _, errOut := runCmd(t, nil, "requests", "-key", key)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "destroyed or revoked")
}

func TestClean(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Sign in":                     "Sign in",
		"a\x1b[2Jb":                   "a [2Jb",
		"line\nbreak\r\ttab":          "line break  tab",
		"evil\u202Etxt.exe":           "evil txt.exe",
		"bad \xff byte":               "bad \uFFFD byte",
		"Zürich café":                 "Zürich café",
		strings.Repeat("é", 600) + "": strings.Repeat("é", 512) + "…",
	} {
		assert.Equal(t, want, clean(in), "%q", in)
	}
}

// FuzzClean: what a third party writes never reaches the terminal with a
// control or format character, and stays bounded.
func FuzzClean(f *testing.F) {
	f.Add("a\x1b[31mb\u202E\n")
	f.Fuzz(func(t *testing.T, s string) {
		out := clean(s)
		if len(out) > authrequest.MaxTextLength+len("…") {
			t.Fatalf("%d bytes", len(out))
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("%q in %q", r, out)
			}
		}
	})
}
