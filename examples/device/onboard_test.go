package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	armem "github.com/usher-sdk/usher/authrequest/memstore"
	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/onboarding/sms"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

const (
	alicePassword = "correct horse battery staple"
	alicePhone    = "+447700900123"
	bobPassword   = "bob's own password"
)

// outbox is an sms.Sender that hands each code to the test.
type outbox chan string

func (o outbox) Send(ctx context.Context, m sms.Message) error {
	select {
	case o <- m.Code:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// idp is an onboarding.OIDCClient standing in for claims.Client and its
// provider: the sign-in URL carries a state, and Complete accepts the code
// "good" for it. Each AuthURL hands its state to the test.
type idp struct {
	mu     sync.Mutex
	states map[string]string // state → returnTo
	issued chan string
}

func (p *idp) AuthURL(_ context.Context, returnTo string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := fmt.Sprintf("st%d", len(p.states)+1)
	p.states[st] = returnTo
	p.issued <- st
	return "https://idp.example/authorize?client_id=usher&state=" + st, nil
}

func (p *idp) Complete(_ context.Context, cb claims.Callback) (claims.Identity, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	returnTo, ok := p.states[cb.State]
	if !ok || cb.Code != "good" {
		return claims.Identity{}, "", claims.ErrRefused
	}
	delete(p.states, cb.State)
	return claims.Identity{Issuer: "https://idp.example", Subject: "alice-sub"}, returnTo, nil
}

// provisioner finds alice for every sign-in.
type provisioner struct{ alice userstore.User }

func (p provisioner) Provision(context.Context, claims.Identity) (userstore.User, bool, error) {
	return p.alice, false, nil
}

// testServer is an Usher server in the test process: a Manager on
// onboarding/memstore with the local CA, over a userstore memstore holding
// alice and bob, with its device API on httptest. Its applications: "Bank"
// (Credentials → Manual), "Texts" (Credentials → SMS), "SSO" (OIDC) and
// "Push" (Credentials). Beside it, an authrequest.Manager on
// authrequest/memstore over the same applications and devices, whose
// device API is at the same URL and under /auth.
type testServer struct {
	m     *onboarding.Manager
	ca    *issuer.LocalCA
	url   string
	bank  onboarding.Application
	texts onboarding.Application
	push  onboarding.Application
	sms   outbox
	idp   *idp

	ar      *authrequest.Manager
	arStore *armem.Store
	users   *usermem.Store
}

func newTestServer(t *testing.T) *testServer { return newTestServerWith(t, nil) }

// newTestServerWith is newTestServer with the SMS requirement's sender
// (the outbox when nil).
func newTestServerWith(t *testing.T, sender sms.Sender) *testServer {
	t.Helper()
	ctx := context.Background()
	users := usermem.New()
	t.Cleanup(func() { _ = users.Close() })
	reg, err := hasher.NewRegistry("usher", hasher.Config{})
	require.NoError(t, err)
	svc, err := userstore.NewService(users, reg, userstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	alice, err := users.CreateUser(ctx, userstore.User{Username: "alice", Phone: alicePhone, Enabled: true})
	require.NoError(t, err)
	require.NoError(t, svc.SetUserPassword(ctx, alice.ID, alicePassword))
	bob, err := users.CreateUser(ctx, userstore.User{Username: "bob", Enabled: true})
	require.NoError(t, err)
	require.NoError(t, svc.SetUserPassword(ctx, bob.ID, bobPassword))
	chain, err := directory.NewChain(users, directory.ChainConfig{
		Local: func(ctx context.Context, login, password string) (userstore.User, error) {
			return svc.Login(ctx, userstore.LoginRequest{Login: login, Password: password})
		},
	})
	require.NoError(t, err)
	codes, err := sms.NewCodes(sms.CodesConfig{Key: make([]byte, sms.MinKeyLen)}, &sms.MemStore{})
	require.NoError(t, err)
	box := make(outbox, 1)
	if sender == nil {
		sender = box
	}
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	provider := &idp{states: map[string]string{}, issued: make(chan string, 1)}
	obStore := memstore.New()
	m, err := onboarding.New(obStore, ca, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.OIDC{
			Client: func(context.Context, onboarding.Application) (onboarding.OIDCClient, error) { return provider, nil },
			Users: func(context.Context, onboarding.Application) (onboarding.IdentityProvisioner, error) {
				return provisioner{alice}, nil
			},
		},
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) { return chain, nil }},
		onboarding.SMS{Codes: codes, Sender: sender,
			Users: func(context.Context, onboarding.Application) (onboarding.UserGetter, error) { return users, nil }},
	}})
	require.NoError(t, err)
	bank, err := m.CreateApplication(ctx, onboarding.Application{Name: "Bank", Requirements: []onboarding.RequirementSpec{
		{Kind: onboarding.KindCredentials}, {Kind: onboarding.KindManual}}})
	require.NoError(t, err)
	texts, err := m.CreateApplication(ctx, onboarding.Application{Name: "Texts", Requirements: []onboarding.RequirementSpec{
		{Kind: onboarding.KindCredentials}, {Kind: onboarding.KindSMS}}})
	require.NoError(t, err)
	_, err = m.CreateApplication(ctx, onboarding.Application{Name: "SSO", Requirements: []onboarding.RequirementSpec{
		{Kind: onboarding.KindOIDC}}})
	require.NoError(t, err)
	push, err := m.CreateApplication(ctx, onboarding.Application{Name: "Push", Requirements: []onboarding.RequirementSpec{
		{Kind: onboarding.KindCredentials}}})
	require.NoError(t, err)

	arStore := armem.New()
	t.Cleanup(func() { _ = arStore.Close() })
	ar, err := authrequest.New(arStore, obStore, obStore, authrequest.Config{
		Users: func(context.Context, onboarding.Application) (authrequest.Users, error) { return users, nil }})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/", m.DeviceHandler())
	for _, p := range []string{"/v1/devices/", "/v1/requests/"} {
		mux.Handle(p, ar.DeviceHandler())
	}
	mux.Handle("/auth/", http.StripPrefix("/auth", ar.DeviceHandler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testServer{m: m, ca: ca, url: srv.URL, bank: bank, texts: texts, push: push, sms: box, idp: provider,
		ar: ar, arStore: arStore, users: users}
}

// newKeyFile runs init and returns the key's path.
func newKeyFile(t *testing.T, alg string) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "phone.key")
	code, _, errOut := runCmd(t, nil, "init", "-key", key, "-alg", alg)
	require.Equal(t, exitOK, code, errOut)
	return key
}

// started is a run of the program in the background.
type started struct {
	out, errOut *syncBuffer
	done        chan int
}

func start(ctx context.Context, stdin io.Reader, args ...string) *started {
	s := &started{out: &syncBuffer{}, errOut: &syncBuffer{}, done: make(chan int, 1)}
	go func() { s.done <- run(ctx, args, stdin, s.out, s.errOut) }()
	return s
}

func (s *started) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-s.done:
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("the program did not end; stdout:\n%s\nstderr:\n%s", s.out, s.errOut)
		return -1
	}
}

// pending waits until the application has one onboarding waiting for
// approval and returns it.
func (s *testServer) pending(t *testing.T, run *started) onboarding.PendingApproval {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		p, err := s.m.Pending(context.Background(), s.bank.ID)
		require.NoError(t, err)
		if len(p) == 1 {
			return p[0]
		}
		select {
		case code := <-run.done:
			t.Fatalf("the program ended with %d before waiting; stdout:\n%s\nstderr:\n%s", code, run.out, run.errOut)
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatal("no pending onboarding")
	return onboarding.PendingApproval{}
}

// TestOnboardManual runs the whole onboarding of "Bank" (Credentials typed
// on standard input, then Manual approved by an administrator through the
// Manager while the simulator polls), for both key algorithms, and checks
// the certificate, the state file and show.
func TestOnboardManual(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"p256", "ed25519"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newTestServer(t)
			key := newKeyFile(t, alg)
			picture := filepath.Join(t.TempDir(), "picture.png")

			// A wrong password first: typed answers may be typed again.
			stdin := strings.NewReader("alice\nwrong\nalice\n" + alicePassword + "\n")
			run := start(ctx, stdin, "onboard", "-server", s.url, "-app", "bank", "-key", key,
				"-picture", picture, "-poll", "10ms")
			p := s.pending(t, run)
			assert.Contains(t, run.out.String(), "code:    "+p.Code, "the simulator shows the code the administrator sees")
			assert.Contains(t, run.out.String(), "refused the username or password")
			assert.NotContains(t, run.out.String()+run.errOut.String(), alicePassword)
			shown, err := os.ReadFile(picture)
			require.NoError(t, err)
			var want strings.Builder
			require.NoError(t, p.Art.PNG(&want, defaultPNGSize))
			assert.Equal(t, want.String(), string(shown), "the simulator's picture is the administrator's")
			require.NoError(t, s.m.Approve(ctx, p.Activity.ID, onboarding.Approval{Admin: "admin"}))

			require.Equal(t, exitOK, run.wait(t), "stdout:\n%s\nstderr:\n%s", run.out, run.errOut)
			assert.Equal(t, os.FileMode(0o600), mode(t, key))
			assert.Equal(t, os.FileMode(0o644), mode(t, key+".crt"))
			assert.Equal(t, os.FileMode(0o600), mode(t, key+".json"))

			cert, err := readCert(key + ".crt")
			require.NoError(t, err)
			root, err := s.ca.Certificate(ctx)
			require.NoError(t, err)
			roots := x509.NewCertPool()
			roots.AddCert(root)
			_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			require.NoError(t, err)
			sub, err := issuer.SubjectOf(cert)
			require.NoError(t, err)
			assert.Equal(t, s.bank.Name, sub.Application)
			assert.Equal(t, p.Activity.UserID, sub.UserID)

			st, err := readState(key + ".json")
			require.NoError(t, err)
			assert.Equal(t, s.url, st.Server)
			assert.Equal(t, "Bank", st.Application, "the name the server uses, not the one typed")
			assert.Equal(t, sub.DeviceID, st.DeviceID)
			assert.Equal(t, p.Activity.KeyFingerprint, st.Fingerprint)
			act, err := s.m.Activity(ctx, p.Activity.ID)
			require.NoError(t, err)
			assert.Equal(t, onboarding.StatusCompleted, act.Status)

			code, out, errOut := runCmd(t, nil, "show", "-key", key)
			require.Equal(t, exitOK, code, errOut)
			for _, w := range []string{
				"fingerprint: " + p.Activity.KeyFingerprint, "code:        " + p.Code,
				"serial:    " + fmt.Sprintf("%X", cert.SerialNumber), "device ID:   " + sub.DeviceID,
				"server:      " + s.url, cert.NotAfter.UTC().Format(time.RFC3339),
			} {
				assert.Contains(t, out, w)
			}

			// The key is onboarded: a second onboard refuses before
			// asking the server.
			code, _, errOut = runCmd(t, nil, "onboard", "-server", s.url, "-app", "Bank", "-key", key)
			assert.Equal(t, exitFailure, code)
			assert.Contains(t, errOut, "onboarded already")
			acts, err := s.m.Activities(ctx, s.bank.ID)
			require.NoError(t, err)
			assert.Len(t, acts, 1)
		})
	}
}

// TestOnboardRejected: an administrator's rejection ends onboard with
// exit code 3 and writes no certificate.
func TestOnboardRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestServer(t)
	key := newKeyFile(t, "p256")
	pwFile := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(pwFile, []byte(alicePassword+"\n"), 0o600))
	run := start(ctx, strings.NewReader(""), "onboard", "-server", s.url, "-app", "Bank", "-key", key,
		"-username", "alice", "-password-file", pwFile, "-poll", "10ms")
	p := s.pending(t, run)
	require.NoError(t, s.m.Reject(ctx, p.Activity.ID, onboarding.Approval{Admin: "admin"}))
	assert.Equal(t, exitRejected, run.wait(t))
	assert.Contains(t, run.errOut.String(), "rejected")
	assert.NoFileExists(t, key+".crt")
	assert.NoFileExists(t, key+".json")
}

// TestOnboardSMS runs Credentials (from flags) → SMS: the phone number and
// then the code typed on standard input, the code coming from the server's
// sender.
func TestOnboardSMS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestServer(t)
	key := newKeyFile(t, "p256")
	pwFile := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(pwFile, []byte(alicePassword), 0o600))
	stdinR, stdinW := io.Pipe()
	t.Cleanup(func() { _ = stdinW.Close() })
	run := start(ctx, stdinR, "onboard", "-server", s.url, "-app", "Texts", "-key", key,
		"-username", "alice", "-password-file", pwFile)
	_, err := io.WriteString(stdinW, "07700 900123\n") // not E.164: the server has no DefaultRegion
	require.NoError(t, err)
	code := run.wait(t)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, run.errOut.String(), "SMS: sending the phone number")

	run = start(ctx, stdinR, "onboard", "-server", s.url, "-app", "Texts", "-key", key,
		"-username", "alice", "-password-file", pwFile)
	_, err = io.WriteString(stdinW, alicePhone+"\n")
	require.NoError(t, err)
	var smsCode string
	select {
	case smsCode = <-s.sms:
	case <-time.After(30 * time.Second):
		t.Fatalf("no SMS sent; stdout:\n%s\nstderr:\n%s", run.out, run.errOut)
	}
	_, err = io.WriteString(stdinW, "000000x\n"+smsCode+"\n") // a wrong code first
	require.NoError(t, err)
	require.Equal(t, exitOK, run.wait(t), "stdout:\n%s\nstderr:\n%s", run.out, run.errOut)
	assert.Contains(t, run.out.String(), "refused the code")
	assert.NotContains(t, run.out.String()+run.errOut.String(), alicePassword)
	data, err := os.ReadFile(key + ".crt")
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	sub, err := issuer.SubjectOf(cert)
	require.NoError(t, err)
	assert.Equal(t, s.texts.Name, sub.Application)
}

// TestOnboardOIDC: the simulator prints the sign-in URL and relays the
// callback address pasted on standard input; a refused callback fails.
func TestOnboardOIDC(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestServer(t)
	key := newKeyFile(t, "ed25519")
	stdinR, stdinW := io.Pipe()
	t.Cleanup(func() { _ = stdinW.Close() })
	signIn := func(code string) *started {
		run := start(ctx, stdinR, "onboard", "-server", s.url, "-app", "SSO", "-key", key)
		var state string
		select {
		case state = <-s.idp.issued:
		case <-time.After(30 * time.Second):
			t.Fatalf("no sign-in started; stdout:\n%s\nstderr:\n%s", run.out, run.errOut)
		}
		_, err := io.WriteString(stdinW, "usher-device://callback?state="+state+"&code="+code+"\n")
		require.NoError(t, err)
		return run
	}

	run := signIn("bad")
	assert.Equal(t, exitFailure, run.wait(t))
	assert.Contains(t, run.errOut.String(), "OpenID Connect: completing the sign-in: the server refused")
	assert.NoFileExists(t, key+".crt")

	run = signIn("good")
	require.Equal(t, exitOK, run.wait(t), "stdout:\n%s\nstderr:\n%s", run.out, run.errOut)
	assert.Contains(t, run.out.String(), "https://idp.example/authorize?client_id=usher&state=")
	assert.FileExists(t, key+".crt")
}

// TestOnboardTLS: a server whose certificate the system does not trust is
// reached with -cacert.
func TestOnboardTLS(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	srv := httptest.NewTLSServer(s.m.DeviceHandler())
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644))
	key := newKeyFile(t, "p256")

	code, _, errOut := runCmd(t, nil, "onboard", "-server", srv.URL, "-app", "Nope", "-key", key)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "certificate")
	code, _, errOut = runCmd(t, nil, "onboard", "-server", srv.URL, "-app", "Nope", "-key", key, "-cacert", caFile)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "no such application", "the TLS connection worked")
	code, _, errOut = runCmd(t, nil, "onboard", "-server", srv.URL, "-app", "Nope", "-key", key, "-cacert", key+".none")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "-cacert")
}

// TestOnboardErrors: what goes wrong is said clearly and exits 1.
func TestOnboardErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	key := newKeyFile(t, "p256")
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	require.NoError(t, os.WriteFile(good, []byte(alicePassword+"\n"), 0o600))
	wrong := filepath.Join(dir, "wrong")
	require.NoError(t, os.WriteFile(wrong, []byte("nope\n"), 0o600))
	open := filepath.Join(dir, "open")
	require.NoError(t, os.WriteFile(open, []byte(alicePassword+"\n"), 0o644))
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"unknown application", []string{"-app", "Nope", "-username", "alice", "-password-file", good}, "", "no such application"},
		{"wrong password from a file", []string{"-app", "Bank", "-username", "alice", "-password-file", wrong}, "", "the server refused: answer refused (refused)"},
		{"password file others can read", []string{"-app", "Bank", "-username", "alice", "-password-file", open}, "", "chmod 600"},
		{"no answer on stdin", []string{"-app", "Bank"}, "", "no answer on standard input (give -username)"},
		{"three wrong passwords", []string{"-app", "Bank", "-username", "alice"}, "a\nb\nc\nd\n", "refused"},
		{"wrong path", []string{"-app", "Bank", "-server", s.url + "/nowhere"}, "", "is -server the base URL"},
		{"bad server URL", []string{"-app", "Bank", "-server", "ftp://x"}, "", "bad base URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"onboard", "-server", s.url, "-key", key}, tc.args...)
			code, out, errOut := runCmd(t, strings.NewReader(tc.stdin), args...)
			assert.NotEqual(t, exitOK, code)
			assert.Contains(t, errOut, tc.want, out)
			assert.NotContains(t, out+errOut, alicePassword)
			assert.NoFileExists(t, key+".crt")
		})
	}
}

// TestOnboardSMSDir: with -sms-dir the simulator reads the code from the
// file the server's development FileSender writes, and removes it.
func TestOnboardSMSDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sms")
	fs, err := sms.NewFileSender(dir)
	require.NoError(t, err)
	s := newTestServerWith(t, fs)
	key := newKeyFile(t, "p256")
	pwFile := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(pwFile, []byte(alicePassword+"\n"), 0o600))
	base := []string{"onboard", "-server", s.url, "-app", "Texts", "-key", key, "-username", "alice", "-password-file", pwFile, "-sms-dir", dir}

	// Not the user's number: the server sends nothing, the simulator gives up.
	code, _, errOut := runCmd(t, nil, append(base, "-phone", "+447700900999", "-sms-wait", "200ms")...)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "no code file")
	// A national number cannot name the file.
	code, _, errOut = runCmd(t, nil, append(base, "-phone", "07700 900123")...)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "international form")

	// A stale file from an earlier run is removed before the new code comes.
	stale, err := sms.FilePath(dir, alicePhone)
	require.NoError(t, err)
	require.NoError(t, fs.Send(context.Background(), sms.Message{To: alicePhone, Text: "Your code is 000000", Code: "000000"}))
	code, out, errOut := runCmd(t, nil, append(base, "-phone", alicePhone)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "Read the code from the file")
	assert.NoFileExists(t, stale)
	assert.FileExists(t, key+".crt")
}
