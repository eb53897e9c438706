package onboarding_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

// recorder is an Auditor that keeps events.
type recorder struct {
	mu     sync.Mutex
	events []userstore.AuditEvent
}

func (r *recorder) AppendAudit(_ context.Context, e userstore.AuditEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, onboarding.NotakeyLine(e))
	}
	return out
}

type fixture struct {
	m     *onboarding.Manager
	store *memstore.Store
	ca    *issuer.LocalCA
	revs  *issuer.MemoryRevocations
	audit *recorder
	app   onboarding.Application
	users *usermem.Store
}

// newFixture makes a Manager with the chain Credentials → Manual over a
// directory.Chain on a memstore user store holding alice / secret.
func newFixture(t testing.TB, limit int, kinds ...string) *fixture {
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
	revs := &issuer.MemoryRevocations{}
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: t.TempDir()}, issuer.WithRevocationStore(revs))
	require.NoError(t, err)
	store := memstore.New()
	audit := &recorder{}
	m, err := onboarding.New(store, ca, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) {
			return chain, nil
		}},
	}}, onboarding.WithAudit(audit))
	require.NoError(t, err)
	if len(kinds) == 0 {
		kinds = []string{onboarding.KindCredentials, onboarding.KindManual}
	}
	var specs []onboarding.RequirementSpec
	for _, k := range kinds {
		specs = append(specs, onboarding.RequirementSpec{Kind: k})
	}
	app, err := m.CreateApplication(ctx, onboarding.Application{Name: "Bank", Requirements: specs, DeviceLimit: limit})
	require.NoError(t, err)
	return &fixture{m: m, store: store, ca: ca, revs: revs, audit: audit, app: app, users: users}
}

// device is a simulated device key.
type device struct {
	key  *ecdsa.PrivateKey
	spki []byte
}

func newDevice(t testing.TB) device {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	spki, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	require.NoError(t, err)
	return device{key: k, spki: spki}
}

func (d device) csr(t *testing.T, nonce string) []byte {
	t.Helper()
	csr, err := issuer.NewCSR(rand.Reader, d.key, pkix.Name{CommonName: "phone"}, nonce)
	require.NoError(t, err)
	return csr
}
