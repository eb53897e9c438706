package deviceclient_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/deviceclient"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

type server struct {
	m     *onboarding.Manager
	store *memstore.Store
	url   string
	ca    *issuer.LocalCA
	appID string
}

func newServer(t *testing.T) server {
	t.Helper()
	ctx := context.Background()
	users := usermem.New()
	t.Cleanup(func() { _ = users.Close() })
	_, err := users.CreateUser(ctx, userstore.User{Username: "alice", Enabled: true})
	require.NoError(t, err)
	chain, err := directory.NewChain(users, directory.ChainConfig{
		Local: func(ctx context.Context, login, password string) (userstore.User, error) {
			u, err := users.GetUserByUsername(ctx, login)
			if err != nil || subtle.ConstantTimeCompare([]byte(password), []byte("secret")) != 1 {
				return userstore.User{}, userstore.ErrInvalidCredentials
			}
			return u, nil
		},
	})
	require.NoError(t, err)
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	store := memstore.New()
	m, err := onboarding.New(store, ca, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) { return chain, nil }},
	}})
	require.NoError(t, err)
	app, err := m.CreateApplication(ctx, onboarding.Application{Name: "Bank", Requirements: []onboarding.RequirementSpec{
		{Kind: onboarding.KindCredentials}, {Kind: onboarding.KindManual},
	}})
	require.NoError(t, err)
	srv := httptest.NewServer(m.DeviceHandler())
	t.Cleanup(srv.Close)
	return server{m: m, store: store, url: srv.URL, ca: ca, appID: app.ID}
}

func p256(t *testing.T) crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func code(err error) string {
	var e *deviceclient.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "not a server error: " + err.Error()
}

// TestDeviceOnboarding drives simulated devices (P-256 and Ed25519) through
// Credentials → Manual (an administrator approves) → certificate.
func TestDeviceOnboarding(t *testing.T) {
	t.Parallel()
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	for name, key := range map[string]crypto.Signer{"p256": p256(t), "ed25519": ed} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newServer(t)
			c, err := deviceclient.New(s.url, key)
			require.NoError(t, err)

			st, err := c.Start(ctx, "Bank")
			require.NoError(t, err)
			require.Equal(t, onboarding.KindCredentials, st.Prompt.Kind)
			_, err = c.Credentials(ctx, st, "alice", "wrong")
			assert.Equal(t, onboarding.CodeRefused, code(err))
			st, err = c.Credentials(ctx, st, "alice", "secret")
			require.NoError(t, err)
			require.Equal(t, onboarding.KindManual, st.Prompt.Kind)
			code := st.Prompt.Code
			st, err = c.Answer(ctx, st, nil)
			require.NoError(t, err)
			require.Equal(t, onboarding.StatusPending, st.Status)

			pend, err := s.m.Pending(ctx, s.appID)
			require.NoError(t, err)
			require.Len(t, pend, 1)
			require.Equal(t, code, pend[0].Code)
			require.NoError(t, s.m.Approve(ctx, pend[0].Activity.ID, onboarding.Approval{Admin: "admin"}))

			st, err = c.Status(ctx, st)
			require.NoError(t, err)
			require.Equal(t, onboarding.StatusAwaitingCSR, st.Status)
			id, cert, err := c.Enrol(ctx, st)
			require.NoError(t, err)
			root, err := s.ca.Certificate(ctx)
			require.NoError(t, err)
			pool := x509.NewCertPool()
			pool.AddCert(root)
			_, err = cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			require.NoError(t, err)
			sub, err := issuer.SubjectOf(cert)
			require.NoError(t, err)
			assert.Equal(t, id, sub.DeviceID)
		})
	}
}

// TestDeviceRefusals: every refusal has its stable code and changes nothing.
func TestDeviceRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newServer(t)
	key := p256(t)
	c, err := deviceclient.New(s.url, key)
	require.NoError(t, err)

	_, err = c.Start(ctx, "Unknown")
	assert.Equal(t, onboarding.CodeUnknownApplication, code(err))

	st0, err := c.Start(ctx, "Bank")
	require.NoError(t, err)
	snapshot := func() onboarding.Activity {
		a, err := s.m.Activity(ctx, st0.ActivityID)
		require.NoError(t, err)
		return a
	}
	before := snapshot()
	skipped := st0
	skipped.Step = 1
	_, err = c.Answer(ctx, skipped, nil)
	assert.Equal(t, onboarding.CodeOutOfOrder, code(err), "skipped step")
	_, _, err = c.Enrol(ctx, st0)
	assert.Equal(t, onboarding.CodeOutOfOrder, code(err), "CSR before the chain is met")
	assert.Equal(t, before, snapshot())

	st1, err := c.Credentials(ctx, st0, "alice", "secret")
	require.NoError(t, err)
	before = snapshot()
	_, err = c.Credentials(ctx, st0, "alice", "secret")
	assert.Equal(t, onboarding.CodeReplay, code(err), "replayed answer")
	repeated := st1
	repeated.Step = 0
	_, err = c.Credentials(ctx, repeated, "alice", "secret")
	assert.Equal(t, onboarding.CodeOutOfOrder, code(err), "repeated step")
	assert.Equal(t, before, snapshot())

	st2, err := c.Answer(ctx, st1, nil)
	require.NoError(t, err)
	require.NoError(t, s.m.Approve(ctx, st0.ActivityID, onboarding.Approval{Admin: "admin"}))
	st3, err := c.Status(ctx, st2)
	require.NoError(t, err)
	before = snapshot()

	// Replayed nonce in the CSR, forged signature, another key's CSR.
	old, err := issuer.NewCSR(rand.Reader, key, pkix.Name{}, st1.Nonce)
	require.NoError(t, err)
	_, _, err = c.SendCSR(ctx, st3, old)
	assert.Equal(t, onboarding.CodeReplay, code(err), "replayed nonce")
	forged, err := issuer.NewCSR(rand.Reader, key, pkix.Name{}, st3.Nonce)
	require.NoError(t, err)
	forged[len(forged)-2] ^= 0x40
	_, _, err = c.SendCSR(ctx, st3, forged)
	assert.Equal(t, onboarding.CodeBadCSR, code(err), "forged signature")
	otherCSR, err := issuer.NewCSR(rand.Reader, p256(t), pkix.Name{}, st3.Nonce)
	require.NoError(t, err)
	_, _, err = c.SendCSR(ctx, st3, otherCSR)
	assert.Equal(t, onboarding.CodeKeyMismatch, code(err), "another key")
	assert.Equal(t, before, snapshot())

	_, _, err = c.Enrol(ctx, st3)
	require.NoError(t, err)
	_, _, err = c.Enrol(ctx, st3)
	assert.Equal(t, onboarding.CodeReplay, code(err), "nonce used twice")

	// A second device of alice is over the limit of 1.
	c2, err := deviceclient.New(s.url, p256(t))
	require.NoError(t, err)
	st, err := c2.Start(ctx, "Bank")
	require.NoError(t, err)
	st, err = c2.Credentials(ctx, st, "alice", "secret")
	require.NoError(t, err)
	st, err = c2.Answer(ctx, st, nil)
	require.NoError(t, err)
	require.NoError(t, s.m.Approve(ctx, st.ActivityID, onboarding.Approval{Admin: "admin"}))
	st, err = c2.Status(ctx, st)
	require.NoError(t, err)
	_, _, err = c2.Enrol(ctx, st)
	assert.Equal(t, onboarding.CodeDeviceLimit, code(err), "over the limit")
	devs, err := s.store.ListDevices(ctx, s.appID, snapshot().UserID)
	require.NoError(t, err)
	assert.Len(t, devs, 1)
}
